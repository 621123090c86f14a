package jclip.spark;

import java.nio.file.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import static org.apache.spark.sql.functions.col;

/** The two ways texts come in: a file of captions or a table's text column. */
final class TextSources {
    private TextSources() {}

    /**
     * A text file, one caption a line (UTF-8), every line an item (a blank one is reported bad);
     * the id is {@code FILE:LINE}, lines counted from 1. Readable at the same path on every executor.
     */
    static JavaRDD<TextInput> lines(JavaSparkContext spark, Path file, int partitions) {
        String name = file.toString();
        return spark.textFile(file.toAbsolutePath().toUri().toString(), partitions)
                .zipWithIndex()
                .map(line -> new TextInput(name + ":" + (line._2() + 1), line._1()));
    }

    /** A table's rows: the id column (as a string) and the text column; repartitioned when partitions is not null. */
    static JavaRDD<TextInput> table(Dataset<Row> table, String idColumn, String textColumn, Integer partitions) {
        Dataset<Row> columns = table.select(col(idColumn).cast("string"), col(textColumn).cast("string"));
        if (partitions != null) columns = columns.repartition(partitions);
        return columns.javaRDD().map(row -> new TextInput(row.isNullAt(0) ? null : row.getString(0), row.isNullAt(1) ? null : row.getString(1)));
    }
}
