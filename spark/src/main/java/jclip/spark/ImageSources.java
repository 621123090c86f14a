package jclip.spark;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.StreamSupport;
import jclip.clip.data.BadItemException;
import jclip.clip.data.Example;
import jclip.clip.data.Images;
import jclip.clip.data.WebDatasetShards;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

import static org.apache.spark.sql.functions.col;

/**
 * The three ways images come in, each as an RDD whose elements are made inside the tasks (nothing
 * but paths, shard names or table rows crosses the network, and images are decoded only when
 * {@link ImageEmbedding} reads them).
 */
final class ImageSources {
    private ImageSources() {}

    /**
     * A text file of image paths, one a line (blank lines ignored), relative ones against the
     * list's folder; the id is the path as written. The list and the images must be readable at the
     * same path on every executor (a local run, or a shared file system).
     */
    static JavaRDD<ImageInput> paths(JavaSparkContext spark, Path list, int partitions) {
        String root = list.toAbsolutePath().getParent().toString();
        return spark.textFile(list.toAbsolutePath().toUri().toString(), partitions)
                .filter(line -> !line.isBlank())
                .map(line -> {
                    String path = line.strip();
                    return new ImageInput(path, () -> Images.read(Path.of(root).resolve(path)));
                });
    }

    /**
     * WebDataset shards, one partition each, read in order as {@link WebDatasetShards} does
     * (its rules for samples: an image member and a caption); the id is {@code shard:key}. A missing,
     * truncated or corrupt shard and a sample without an image become bad rows naming them.
     */
    static JavaRDD<ImageInput> shards(JavaSparkContext spark, List<Path> shards) {
        List<String> names = shards.stream().map(p -> p.toAbsolutePath().toString()).toList();
        return spark.parallelize(names, names.size()).flatMap(ImageSources::samples);
    }

    private static Iterator<ImageInput> samples(String shard) {
        Iterator<Example> examples = WebDatasetShards.of(List.of(Path.of(shard))).shuffleShards(false).shuffleBuffer(0).examples(0, 0);
        // The stream closes its shard at the end; a task that stops early (killed, failed) closes it here.
        if (examples instanceof AutoCloseable open && TaskContext.get() != null)
            TaskContext.get().addTaskCompletionListener((TaskCompletionListener) task -> close(open));
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(examples, Spliterator.ORDERED), false)
                .map(e -> new ImageInput(e.origin(), e.image()))
                .iterator();
    }

    private static void close(AutoCloseable open) {
        try {
            open.close();
        } catch (Exception ignored) {
            // the task is over; an unclosable shard stream has nothing left to report
        }
    }

    /**
     * A table's rows: the id column (as a string) and the image bytes column, decoded in the task;
     * repartitioned when partitions is not null.
     */
    static JavaRDD<ImageInput> table(Dataset<Row> table, String idColumn, String imageColumn, Integer partitions) {
        Dataset<Row> columns = table.select(col(idColumn).cast("string"), col(imageColumn));
        if (partitions != null) columns = columns.repartition(partitions);
        return columns.javaRDD().map(row -> {
            String id = row.isNullAt(0) ? null : row.getString(0);
            byte[] bytes = row.isNullAt(1) ? null : (byte[]) row.get(1);
            return new ImageInput(id, () -> {
                if (bytes == null) throw new BadItemException("no image bytes (" + imageColumn + " is null)");
                return Images.decode(bytes);
            });
        });
    }
}
