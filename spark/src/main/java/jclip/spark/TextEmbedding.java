package jclip.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import jclip.clip.ClipEmbedder;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;

/**
 * One partition's texts to output rows ({@link OutputSchema#texts}), a batch per call of the
 * executor's shared model. A missing or blank text becomes a row whose status says so.
 */
final class TextEmbedding implements FlatMapFunction<Iterator<TextInput>, Row> {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(TextEmbedding.class.getName());

    private final Broadcast<ModelSpec> spec;
    private final CollectionAccumulator<PartitionCount> counts;

    TextEmbedding(Broadcast<ModelSpec> spec, CollectionAccumulator<PartitionCount> counts) {
        this.spec = spec;
        this.counts = counts;
    }

    @Override
    public Iterator<Row> call(Iterator<TextInput> texts) {
        ModelSpec s = spec.value();
        Partition p = new Partition(s);
        return Batches.map(texts, s.batchSize(), p::embed, p::report);
    }

    private static String problem(TextInput t) {
        if (t.text() == null) return "no text";
        if (t.text().isBlank()) return "empty text";
        return null;
    }

    /** The state of one task: its model, found at the first batch, and its counts. */
    private final class Partition {
        private final ModelSpec spec;
        private final int index = TaskContext.get() == null ? -1 : TaskContext.getPartitionId();
        private ClipEmbedder embedder;
        private long items, bad;

        Partition(ModelSpec spec) {
            this.spec = spec;
        }

        List<Row> embed(List<TextInput> batch) {
            if (embedder == null) embedder = ExecutorModels.embedder(spec);
            List<String> good = new ArrayList<>(batch.size());
            for (TextInput t : batch) if (problem(t) == null) good.add(t.text());
            float[][] embeddings = embedder.embedTexts(good);
            List<Row> rows = new ArrayList<>(batch.size());
            int next = 0;
            for (TextInput t : batch) {
                String problem = problem(t);
                if (problem != null) bad++;
                rows.add(RowFactory.create(t.id(), t.text(), problem != null ? problem : OutputSchema.OK, problem != null ? null : embeddings[next++]));
            }
            items += batch.size();
            return rows;
        }

        void report() {
            counts.add(new PartitionCount(index, items, bad));
            LOG.log(bad > 0 ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                    "partition " + index + ": " + items + " texts, " + bad + " bad (see the status column)");
        }
    }
}
