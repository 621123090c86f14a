package jclip.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jclip.clip.ClipEmbedder;
import jclip.clip.ZeroShotClassifier;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;

/**
 * One partition's images to output rows ({@link OutputSchema#images}): a batch at a time, each image
 * decoded and preprocessed in the task, the batch's good images embedded (and labelled) by the
 * executor's shared model in one call. An image that cannot be read becomes a row whose status
 * says why; it never fails the task.
 */
final class ImageEmbedding implements FlatMapFunction<Iterator<ImageInput>, Row> {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ImageEmbedding.class.getName());

    private final Broadcast<ModelSpec> spec;
    private final CollectionAccumulator<PartitionCount> counts;

    ImageEmbedding(Broadcast<ModelSpec> spec, CollectionAccumulator<PartitionCount> counts) {
        this.spec = spec;
        this.counts = counts;
    }

    @Override
    public Iterator<Row> call(Iterator<ImageInput> images) {
        ModelSpec s = spec.value();
        Partition p = new Partition(s);
        return Batches.map(images, s.batchSize(), p::embed, p::report);
    }

    /** The state of one task: its model, found at the first batch, and its counts. */
    private final class Partition {
        private final ModelSpec spec;
        private final int index = TaskContext.get() == null ? -1 : TaskContext.getPartitionId();
        private ClipEmbedder embedder;
        private ZeroShotClassifier classifier;
        private long items, bad;

        Partition(ModelSpec spec) {
            this.spec = spec;
        }

        List<Row> embed(List<ImageInput> batch) {
            if (embedder == null) {
                embedder = ExecutorModels.embedder(spec);
                if (spec.labels()) classifier = embedder.classifier(spec.classNames(), spec.templates());
            }
            List<BufferedImage> good = new ArrayList<>(batch.size());
            String[] problems = new String[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                try {
                    good.add(batch.get(i).image().read());
                } catch (IOException e) {
                    problems[i] = e.getMessage() != null ? e.getMessage() : e.toString();
                }
            }
            float[][] embeddings = embedder.embedImages(good);
            List<ZeroShotClassifier.Prediction> labels = classifier == null ? null : classifier.classifyEmbeddings(embeddings, 1);
            List<Row> rows = new ArrayList<>(batch.size());
            int next = 0;
            for (int i = 0; i < batch.size(); i++) {
                String id = batch.get(i).id();
                if (problems[i] != null) {
                    bad++;
                    rows.add(spec.labels() ? RowFactory.create(id, problems[i], null, null, null) : RowFactory.create(id, problems[i], null));
                    continue;
                }
                float[] e = embeddings[next];
                rows.add(labels == null ? RowFactory.create(id, OutputSchema.OK, e)
                        : RowFactory.create(id, OutputSchema.OK, e, labels.get(next).label(), labels.get(next).probability()));
                next++;
            }
            items += batch.size();
            return rows;
        }

        void report() {
            counts.add(new PartitionCount(index, items, bad));
            LOG.log(bad > 0 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                    "partition " + index + ": " + items + " images, " + bad + " bad (see the status column)");
        }
    }
}
