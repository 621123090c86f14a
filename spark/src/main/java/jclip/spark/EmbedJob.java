package jclip.spark;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import jclip.clip.data.WebDatasetShards;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import static org.apache.spark.sql.functions.col;

/**
 * The Spark job: images (and zero-shot labels) or texts in, Parquet of embeddings out.
 *
 * <pre>
 * spark-submit --class jclip.spark.EmbedJob spark/target/jclip-spark.jar \
 *     --checkpoint model.safetensors --image-paths images.txt --out embeddings/
 * </pre>
 *
 * Flags are checked, and the class and template files read, on the driver before Spark starts.
 * Run without {@code spark-submit} (no {@code spark.master} set) the job starts an embedded local
 * Spark on all cores.
 */
@Command(name = "jclip-spark", mixinStandardHelpOptions = true, sortOptions = false, version = "jclip-spark 0.1.0",
        description = "Embed images (and label them zero-shot) or texts with a CLIP checkpoint as a Spark job; writes Parquet.")
public final class EmbedJob implements Callable<Integer> {
    static final String DEFAULT_TEMPLATE = "a photo of a {}.";

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Input input;

    static final class Input {
        @Option(names = "--image-paths", paramLabel = "FILE", description = "A text file of image paths, one a line (relative to its folder).")
        Path imagePaths;

        @Option(names = "--wds", paramLabel = "PATTERN", description = "WebDataset tar shards, e.g. data/shard-{000..099}.tar; one partition each.")
        String wds;

        @Option(names = "--image-table", paramLabel = "PATH", description = "A table (see --format) with an id and an image-bytes column.")
        String imageTable;

        @Option(names = "--texts", paramLabel = "FILE", description = "A text file of captions, one a line.")
        Path texts;

        @Option(names = "--text-table", paramLabel = "PATH", description = "A table (see --format) with an id and a text column.")
        String textTable;
    }

    @Option(names = "--format", description = "Format of a table: parquet (default), orc, json, ..., or binaryFile (a folder of image files; "
            + "id column 'path', image column 'content').")
    String format;

    @Option(names = "--id-column", description = "A table's id column (default: id; path for binaryFile).")
    String idColumn;

    @Option(names = "--image-column", description = "An image table's bytes column (default: image; content for binaryFile).")
    String imageColumn;

    @Option(names = "--text-column", description = "A text table's text column (default: text).")
    String textColumn;

    @Option(names = "--checkpoint", required = true, description = "The model (.safetensors), at a path every executor reads, "
            + "or shipped with spark-submit --files.")
    Path checkpoint;

    @Option(names = "--tokenizer", description = "BPE merges file (needed for texts and --classes); found as --checkpoint is.")
    Path tokenizer;

    @Option(names = "--classes", paramLabel = "FILE", description = "Label images zero-shot: class names, one a line.")
    Path classes;

    @Option(names = "--templates", paramLabel = "FILE", description = "Prompt templates for --classes, one a line, {} for the class name "
            + "(default: \"" + DEFAULT_TEMPLATE + "\").")
    Path templates;

    @Option(names = "--batch-size", converter = Positive.class, description = "Items per model call (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--partitions", converter = Positive.class, description = "Split the input into this many partitions "
            + "(default: Spark's default parallelism for text files, as read for tables; shards are one partition each).")
    Integer partitions;

    @Option(names = "--device", converter = DeviceName.class, description = "cpu (default), cuda (each task's GPU, or the CPU on an "
            + "executor without one) or cuda:N.")
    String device = "cpu";

    @Option(names = "--out", required = true, description = "Output folder (Parquet); any path Spark writes to.")
    String out;

    @Option(names = "--overwrite", description = "Replace --out if it exists.")
    boolean overwrite;

    @Option(names = "--verbose", description = "Show the stack trace of an error.")
    boolean verbose;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private final Supplier<SparkSession> session;

    EmbedJob(Supplier<SparkSession> session) {
        this.session = session;
    }

    /** Bounds checked while parsing, so that nothing starts with a batch size of 0. */
    static final class Positive implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int v;
            try {
                v = Integer.parseInt(value.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a whole number");
            }
            if (v < 1) throw new TypeConversionException(value + " is not a positive whole number");
            return v;
        }
    }

    static final class DeviceName implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!TaskDevice.isValid(value)) throw new TypeConversionException("'" + value + "' is not cpu, cuda or cuda:N (N = 0, 1, ...)");
            return value;
        }
    }

    public static void main(String[] args) {
        AtomicReference<SparkSession> started = new AtomicReference<>();
        int code = run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true), () -> {
            started.set(startSession());
            return started.get();
        });
        if (started.get() != null) {
            ExecutorModels.closeAll();
            started.get().stop();
        }
        // Only on failure: under YARN's cluster mode an exit from the application's main would end the driver early.
        if (code != 0) System.exit(code);
    }

    /** The session spark-submit configured, or an embedded local one on all cores when there is no master. */
    static SparkSession startSession() {
        SparkSession.Builder builder = SparkSession.builder().appName("jclip embed");
        if (!new SparkConf().contains("spark.master")) builder.master("local[*]");
        return builder.getOrCreate();
    }

    /** Runs the job's command line in the session the supplier gives (asked for only once the flags are checked); returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Supplier<SparkSession> session) {
        CommandLine cli = new CommandLine(new EmbedJob(session));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (parsed.originalArgs().contains("--verbose")) e.printStackTrace(commandLine.getErr());
            commandLine.getErr().println("jclip-spark: " + message(e));
            return 1;
        });
        cli.setParameterExceptionHandler((e, given) -> {
            e.getCommandLine().getErr().println("jclip-spark: " + e.getMessage().replace('\n', ' ') + " (--help lists the options)");
            return 2;
        });
        return cli.execute(args);
    }

    /** One line: the failure itself, not Spark's wrappers around a task's exception. */
    static String message(Throwable e) {
        while (e instanceof SparkException && e.getCause() != null) e = e.getCause();
        String m = e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.getClass().getSimpleName();
        if (!(e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof UncheckedIOException))
            m = e.getClass().getSimpleName() + ": " + m;
        return m.replace('\n', ' ');
    }

    @Override
    public Integer call() throws IOException {
        boolean images = input.texts == null && input.textTable == null;
        checkFlags(images);
        List<String> classNames = classes == null ? List.of() : lines(classes, "--classes");
        List<String> prompts = templates == null ? List.of(DEFAULT_TEMPLATE) : lines(templates, "--templates");
        checkClassesAndTemplates(classNames, prompts);
        List<Path> shards = input.wds == null ? null : WebDatasetShards.pattern(input.wds).shards();
        requireFile(input.imagePaths, "--image-paths");
        requireFile(input.texts, "--texts");

        SparkSession spark = session.get();
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        requireReadable(checkpoint, "--checkpoint");
        boolean needsTokenizer = !images || !classNames.isEmpty();
        if (needsTokenizer) requireReadable(tokenizer, "--tokenizer");
        org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
        if (!overwrite && outPath.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(outPath))
            throw new IllegalArgumentException("--out " + out + " already exists (--overwrite replaces it)");

        ModelSpec model = new ModelSpec(checkpoint.toString(), needsTokenizer ? tokenizer.toString() : null, device, batchSize,
                classNames, classNames.isEmpty() ? List.of() : prompts);
        Broadcast<ModelSpec> broadcast = context.broadcast(model);
        CollectionAccumulator<PartitionCount> counts = spark.sparkContext().collectionAccumulator("jclip items per partition");
        int parts = partitions != null ? partitions : context.defaultParallelism();
        JavaRDD<Row> rows;
        StructType schema;
        if (images) {
            JavaRDD<ImageInput> in;
            if (input.imagePaths != null) in = ImageSources.paths(context, input.imagePaths, parts);
            else if (shards != null) in = ImageSources.shards(context, shards);
            else in = ImageSources.table(table(spark, input.imageTable, "--image-table"), tableIdColumn(), imageColumn(), partitions);
            rows = in.mapPartitions(new ImageEmbedding(broadcast, counts));
            schema = OutputSchema.images(!classNames.isEmpty());
        } else {
            JavaRDD<TextInput> in = input.texts != null ? TextSources.lines(context, input.texts, parts)
                    : TextSources.table(table(spark, input.textTable, "--text-table"), tableIdColumn(), textColumn(), partitions);
            rows = in.mapPartitions(new TextEmbedding(broadcast, counts));
            schema = OutputSchema.texts();
        }
        spark.createDataFrame(rows, schema).write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(out);
        report(spark, counts.value(), images ? "images" : "texts");
        return 0;
    }

    private void checkFlags(boolean images) {
        boolean table = input.imageTable != null || input.textTable != null;
        if (!table && (format != null || idColumn != null))
            throw new ParameterException(spec.commandLine(), (format != null ? "--format" : "--id-column") + " applies only to --image-table and --text-table");
        if (imageColumn != null && input.imageTable == null)
            throw new ParameterException(spec.commandLine(), "--image-column applies only to --image-table");
        if (textColumn != null && input.textTable == null)
            throw new ParameterException(spec.commandLine(), "--text-column applies only to --text-table");
        if (partitions != null && input.wds != null)
            throw new ParameterException(spec.commandLine(), "--partitions does not apply to --wds: each shard is one partition");
        if (!images && classes != null)
            throw new ParameterException(spec.commandLine(), "--classes labels images; it does not apply to --texts or --text-table");
        if (templates != null && classes == null)
            throw new ParameterException(spec.commandLine(), "--templates needs --classes");
        if (tokenizer == null && (!images || classes != null))
            throw new ParameterException(spec.commandLine(), (images ? "--classes" : input.texts != null ? "--texts" : "--text-table")
                    + " needs --tokenizer (the BPE merges file the model was trained with)");
    }

    private static void checkClassesAndTemplates(List<String> classNames, List<String> prompts) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < classNames.size(); i++) {
            Integer before = seen.putIfAbsent(classNames.get(i), i);
            if (before != null)
                throw new IllegalArgumentException("--classes: '" + classNames.get(i) + "' is named twice (entries " + (before + 1) + " and " + (i + 1) + ")");
        }
        for (String t : prompts)
            if (!t.contains("{}")) throw new IllegalArgumentException("--templates: '" + t + "' has no {} for the class name");
    }

    /** The non-blank lines of a small file the driver reads, stripped; at least one. */
    private static List<String> lines(Path file, String flag) {
        List<String> all;
        try {
            all = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(flag + " " + file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(flag + " " + file + ": " + (Files.exists(file) ? "cannot read: " + e.getMessage() : "no such file"), e);
        }
        List<String> kept = new ArrayList<>();
        for (String line : all) if (!line.isBlank()) kept.add(line.strip());
        if (kept.isEmpty()) throw new IllegalArgumentException(flag + " " + file + " is empty");
        return kept;
    }

    private static void requireFile(Path file, String flag) {
        if (file != null && !Files.isRegularFile(file)) throw new IllegalArgumentException(flag + " " + file + ": no such file");
    }

    /** A model or tokenizer file on the driver, or shipped with --files (which executors then find the same way). */
    private static void requireReadable(Path file, String flag) {
        if (Files.isRegularFile(file) || Files.isRegularFile(Path.of(SparkFiles.get(file.getFileName().toString())))) return;
        throw new IllegalArgumentException(flag + " " + file + ": no such file (give a path every executor can read, or ship it with spark-submit --files)");
    }

    private boolean binaryFiles() {
        return "binaryFile".equalsIgnoreCase(format);
    }

    private String tableIdColumn() {
        return idColumn != null ? idColumn : binaryFiles() ? "path" : "id";
    }

    private String imageColumn() {
        return imageColumn != null ? imageColumn : binaryFiles() ? "content" : "image";
    }

    private String textColumn() {
        return textColumn != null ? textColumn : "text";
    }

    /** The table, its columns checked against the flags before any task runs. */
    private Dataset<Row> table(SparkSession spark, String path, String flag) {
        Dataset<Row> t;
        try {
            t = spark.read().format(format != null ? format : "parquet").load(path);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(flag + " " + path + ": " + message(e), e);
        }
        StructType schema = t.schema();
        requireColumn(schema, tableIdColumn(), "--id-column", null, flag, path);
        if (input.imageTable != null) requireColumn(schema, imageColumn(), "--image-column", DataTypes.BinaryType, flag, path);
        else requireColumn(schema, textColumn(), "--text-column", null, flag, path);
        return t;
    }

    private static void requireColumn(StructType schema, String name, String columnFlag, org.apache.spark.sql.types.DataType type,
            String tableFlag, String path) {
        for (StructField f : schema.fields()) {
            if (!f.name().equals(name)) continue;
            if (type != null && !f.dataType().equals(type))
                throw new IllegalArgumentException(tableFlag + " " + path + ": column '" + name + "' (" + columnFlag + ") is "
                        + f.dataType().simpleString() + ", not " + type.simpleString());
            return;
        }
        throw new IllegalArgumentException(tableFlag + " " + path + " has no column '" + name + "' (" + columnFlag + "); its columns: "
                + String.join(", ", schema.fieldNames()));
    }

    /** The totals, the partitions that had bad items, and a few of those items. */
    private void report(SparkSession spark, List<PartitionCount> reported, String what) {
        // A partition retried or run speculatively reports more than once: keep one report each.
        Map<Integer, PartitionCount> byPartition = new TreeMap<>();
        for (PartitionCount c : reported) byPartition.put(c.partition(), c);
        long items = 0, bad = 0;
        List<String> withBad = new ArrayList<>();
        for (PartitionCount c : byPartition.values()) {
            items += c.items();
            bad += c.bad();
            if (c.bad() > 0) withBad.add(c.partition() + " (" + c.bad() + " of " + c.items() + ")");
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf("wrote %,d %s to %s in %d partitions: %,d embedded, %,d bad%n", items, what, out, byPartition.size(), items - bad, bad);
        if (bad == 0) return;
        o.println("bad items by partition: " + String.join(", ", withBad));
        for (Row r : spark.read().parquet(out).filter(col("status").notEqual(OutputSchema.OK)).select("id", "status").limit(5).collectAsList())
            o.println("  " + r.getString(0) + ": " + r.getString(1));
        if (bad > 5) o.println("  ... (the status column names every one)");
    }
}
