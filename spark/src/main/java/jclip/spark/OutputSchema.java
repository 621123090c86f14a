package jclip.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet columns the job writes, one row per input item, bad ones included:
 * <ul>
 *   <li>images: {@code id} (path, {@code shard:key} or the table's id), {@code status},
 *       {@code embedding}, and with {@code --classes} also {@code label} and {@code probability};</li>
 *   <li>texts: {@code id} ({@code file:line} or the table's id), {@code text}, {@code status},
 *       {@code embedding}.</li>
 * </ul>
 * {@code status} is {@link #OK} or why the item could not be embedded (then the embedding and label
 * are null). Embeddings are L2-normalised float arrays of the model's embedding dimension.
 */
final class OutputSchema {
    /** The status of an item that was embedded. */
    static final String OK = "ok";

    private OutputSchema() {}

    static StructType images(boolean labels) {
        StructType s = new StructType()
                .add("id", DataTypes.StringType, true)
                .add("status", DataTypes.StringType, false)
                .add(embedding());
        if (labels) s = s.add("label", DataTypes.StringType, true).add("probability", DataTypes.DoubleType, true);
        return s;
    }

    static StructType texts() {
        return new StructType()
                .add("id", DataTypes.StringType, true)
                .add("text", DataTypes.StringType, true)
                .add("status", DataTypes.StringType, false)
                .add(embedding());
    }

    private static StructField embedding() {
        return DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true);
    }
}
