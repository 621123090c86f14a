package jclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jclip.clip.ClipEmbedder;
import jclip.clip.cli.Main;
import jclip.clip.data.FashionMnist;
import jclip.tensor.Device;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job in local mode (local[2], one session for the class) on a few hundred generated images
 * and some broken files, against the single-process paths: the {@code embed} and {@code zeroshot}
 * commands, and {@link ClipEmbedder} in this JVM.
 */
class EmbedJobTest {
    static final int IMAGES = 240;
    /**
     * How far the job's embeddings may be from the {@code embed} command's, per component. The job
     * embeds through ClipEmbedder, which fuses the last projection with the normalisation
     * (ClipModel.imageEmbeddings, Functional.normalizedLinear); {@code embed --normalize} projects,
     * then normalises, so the float sums run in another order. Components of a 64-d unit vector are
     * about 0.1, float32's spacing there is 7e-9: 1e-6 allows over a hundred ulps of rounding yet is
     * far below any difference a wrong image, model or preprocessing would make (about 1e-2).
     */
    static final float EMBED_TOLERANCE = 1e-6f;

    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path checkpoint, tokenizer, classes, templates, imageList;
    static List<Path> images;
    /** The embeddings ClipEmbedder gives in this JVM, outside Spark, by image index. */
    static float[][] reference;

    record Result(int code, String out, String err) {}

    @BeforeAll
    static void modelImagesAndSession() throws Exception {
        Path run = dir.resolve("run");
        Result train = jclip("train", "--data", "shapes", "--data-size", "64", "--steps", "2", "--batch-size", "8", "--bpe-merges", "40",
                "--threads", "2", "--no-progress", "--out", run.toString());
        assertEquals(0, train.code(), train.err());
        try (Stream<Path> files = Files.walk(run)) {
            checkpoint = files.filter(p -> p.getFileName().toString().equals("model.safetensors")).findFirst().orElseThrow();
        }
        tokenizer = run.resolve("tokenizer.txt.gz");

        images = TestImages.writePngs(dir.resolve("images"), IMAGES);
        Path broken = Files.createDirectories(dir.resolve("broken"));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) {
            lines.add(images.get(i).toString());
            // the broken files spread over the list, so that they fall into different partitions
            if (i == 10) lines.add(Files.write(broken.resolve("truncated.png"), TestImages.truncatedPng()).toString());
            if (i == 70) lines.add(Files.writeString(broken.resolve("not-an-image.png"), "hello").toString());
            if (i == 130) lines.add(Files.write(broken.resolve("empty.jpg"), new byte[0]).toString());
            if (i == 200) lines.add(broken.resolve("missing.png").toString());
            if (i == 220) lines.add("   ");
        }
        imageList = Files.write(dir.resolve("images.txt"), lines);
        classes = Files.write(dir.resolve("classes.txt"), FashionMnist.CLASS_NAMES);
        templates = Files.write(dir.resolve("templates.txt"), FashionMnist.TEMPLATES);

        try (ClipEmbedder embedder = ClipEmbedder.load(checkpoint, null, Device.cpu())) {
            reference = embedder.embedImageFiles(images);
        }
        spark = SparkSession.builder().master("local[2]").appName("EmbedJobTest")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    @AfterAll
    static void stop() {
        ExecutorModels.closeAll();
        if (spark != null) spark.stop();
    }

    static Result jclip(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Result job(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = EmbedJob.run(args, new PrintWriter(out, true), new PrintWriter(err, true), () -> spark);
        return new Result(code, out.toString(), err.toString());
    }

    static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** The job's output rows by id. */
    static Map<String, Row> output(Path out) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (Row r : spark.read().parquet(out.toString()).collectAsList()) rows.put(r.getString(r.fieldIndex("id")), r);
        return rows;
    }

    static float[] embedding(Row r) {
        List<Float> list = r.getList(r.fieldIndex("embedding"));
        float[] e = new float[list.size()];
        for (int i = 0; i < e.length; i++) e[i] = list.get(i);
        return e;
    }

    static String status(Row r) {
        return r.getString(r.fieldIndex("status"));
    }

    /** The image index of a name like img-017.png or sample-017. */
    static int index(String id) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{3})(\\.png)?$").matcher(id);
        assertTrue(m.find(), id);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void imagePathsGiveTheEmbedCommandsEmbeddingsAndTheZeroshotCommandsLabels() throws Exception {
        Path out = dir.resolve("out-paths");
        int loadsBefore = ExecutorModels.loads();
        // A batch size no other test uses, so that this job's model is loaded here, by its tasks.
        Result r = job("--checkpoint", checkpoint.toString(), "--tokenizer", tokenizer.toString(), "--image-paths", imageList.toString(),
                "--classes", classes.toString(), "--templates", templates.toString(), "--batch-size", "16", "--partitions", "4",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 244 images to " + out + " in 4 partitions: 240 embedded, 4 bad"), r.out());
        assertEquals(4, r.out().lines().filter(l -> l.startsWith("  ")).count(), "each bad item listed: " + r.out());
        assertEquals(1, ExecutorModels.loads() - loadsBefore, "the four tasks share one model");

        Map<String, Row> rows = output(out);
        assertEquals(244, rows.size(), "one row per path, the blank line ignored");
        Path broken = dir.resolve("broken");
        assertTrue(status(rows.get(broken.resolve("truncated.png").toString())).contains("truncated.png: corrupt image"), rows.toString());
        assertTrue(status(rows.get(broken.resolve("not-an-image.png").toString())).contains("not a readable image"));
        assertTrue(status(rows.get(broken.resolve("empty.jpg").toString())).contains("not a readable image (unknown format or corrupt, 0 bytes)"));
        assertEquals("no such file: " + broken.resolve("missing.png"), status(rows.get(broken.resolve("missing.png").toString())));
        for (String bad : List.of("truncated.png", "not-an-image.png", "empty.jpg", "missing.png")) {
            Row b = rows.get(broken.resolve(bad).toString());
            assertNull(b.get(b.fieldIndex("embedding")), bad);
            assertNull(b.get(b.fieldIndex("label")), bad);
        }

        // The embed command on the same files, one process, its own batches of 64.
        Path embedded = dir.resolve("embed.safetensors");
        List<String> embedArgs = new ArrayList<>(List.of("embed", "--checkpoint", checkpoint.toString(), "--normalize", "--out", embedded.toString(), "--images"));
        for (Path p : images) embedArgs.add(p.toString());
        Result e = jclip(embedArgs.toArray(String[]::new));
        assertEquals(0, e.code(), e.err());
        float[] single;
        Map<String, Tensor> file = SafeTensors.load(embedded);
        single = file.get("embeddings").toFloatArray();
        file.values().forEach(Tensor::close);
        int d = single.length / IMAGES;
        int[] labels = new int[IMAGES];
        java.util.Set<String> distinct = new java.util.HashSet<>();
        for (int i = 0; i < IMAGES; i++) {
            Row row = rows.get(images.get(i).toString());
            assertEquals(OutputSchema.OK, status(row));
            float[] got = embedding(row);
            assertArrayEquals(reference[i], got, "image " + i + ": the job computes what ClipEmbedder computes, bit for bit");
            assertArrayEquals(java.util.Arrays.copyOfRange(single, i * d, (i + 1) * d), got, EMBED_TOLERANCE, "image " + i + " against embed");
            String label = row.getString(row.fieldIndex("label"));
            labels[i] = FashionMnist.CLASS_NAMES.indexOf(label);
            assertTrue(labels[i] >= 0, label);
            double p = row.getDouble(row.fieldIndex("probability"));
            assertTrue(p >= 1.0 / FashionMnist.CLASS_NAMES.size() && p <= 1, "the top class's probability " + p);
            distinct.add(label);
        }
        assertTrue(distinct.size() >= 2, "the images are told apart: " + distinct);

        // The zeroshot command on the same pixels, with the job's labels as the truth: it agrees on every image exactly when top-1 is 100 %.
        Path fmnist = dir.resolve("fashion-mnist");
        TestImages.writeFashionMnist(fmnist, labels);
        Result z = jclip("zeroshot", "--checkpoint", checkpoint.toString(), "--tokenizer", tokenizer.toString(),
                "--data", "fashion-mnist-test:" + fmnist, "--threads", "2");
        assertEquals(0, z.code(), z.err());
        assertTrue(z.out().contains("(" + IMAGES + " images, 10 classes, 8 prompt templates)"), z.out());
        assertTrue(z.out().contains("top-1 100.0%"), "zeroshot labels some image otherwise than the job: " + z.out());
    }

    @Test
    void shardsAndTablesGiveTheEmbeddingsOfTheSameImages() throws Exception {
        Path shards = Files.createDirectories(dir.resolve("shards"));
        TestImages.writeShard(shards.resolve("shard-000.tar"), 0, 40, Map.of());
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("broken", TestImages.truncatedPng());
        bad.put("caption-only", null);
        TestImages.writeShard(shards.resolve("shard-001.tar"), 40, 40, bad);
        Path wdsOut = dir.resolve("out-wds");
        // shard-002.tar does not exist
        Result w = job("--checkpoint", checkpoint.toString(), "--wds", shards + "/shard-{000..002}.tar", "--batch-size", "8", "--out", wdsOut.toString());
        assertEquals(0, w.code(), w.err());
        assertTrue(w.out().contains("wrote 83 images to " + wdsOut + " in 3 partitions: 80 embedded, 3 bad"), w.out());
        assertTrue(w.out().contains("bad items by partition: 1 (2 of 42), 2 (1 of 1)"), w.out());
        Map<String, Row> rows = output(wdsOut);
        assertEquals(83, rows.size());
        assertTrue(status(rows.get(shards.resolve("shard-001.tar") + ":broken")).startsWith("corrupt image"), rows.toString());
        assertTrue(status(rows.get(shards.resolve("shard-001.tar") + ":caption-only")).startsWith("no image (.jpg, .jpeg or .png) in the sample"));
        assertEquals("no such shard", status(rows.get(shards.resolve("shard-002.tar").toString())));
        for (int i = 0; i < 80; i++) {
            Row row = rows.get(shards.resolve(i < 40 ? "shard-000.tar" : "shard-001.tar") + String.format(":sample-%03d", i));
            assertEquals(OutputSchema.OK, status(row));
            assertArrayEquals(reference[i], embedding(row), "sample " + i);
        }

        // A table with an image-bytes column, two rows of it bad.
        List<Row> table = new ArrayList<>();
        for (int i = 100; i < 130; i++) table.add(RowFactory.create("t" + i, TestImages.png(i)));
        table.add(RowFactory.create("no-bytes", null));
        table.add(RowFactory.create("garbage", "not an image".getBytes(StandardCharsets.UTF_8)));
        StructType schema = new StructType().add("key", DataTypes.StringType).add("jpg", DataTypes.BinaryType);
        Path tablePath = dir.resolve("table.parquet");
        spark.createDataFrame(table, schema).write().parquet(tablePath.toString());
        Path tableOut = dir.resolve("out-table");
        Result t = job("--checkpoint", checkpoint.toString(), "--image-table", tablePath.toString(), "--id-column", "key", "--image-column", "jpg",
                "--partitions", "3", "--batch-size", "8", "--out", tableOut.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("wrote 32 images to " + tableOut + " in 3 partitions: 30 embedded, 2 bad"), t.out());
        rows = output(tableOut);
        assertEquals("no image bytes (jpg is null)", status(rows.get("no-bytes")));
        assertTrue(status(rows.get("garbage")).startsWith("not a readable image"));
        for (int i = 100; i < 130; i++) assertArrayEquals(reference[i], embedding(rows.get("t" + i)), "table row t" + i);

        // A folder of image files through Spark's binaryFile source (what images on HDFS or S3 would use).
        Path folder = Files.createDirectories(dir.resolve("folder"));
        for (int i = 0; i < 6; i++) Files.copy(images.get(i), folder.resolve(images.get(i).getFileName()));
        Files.write(folder.resolve("img-999.png"), TestImages.truncatedPng());
        Path folderOut = dir.resolve("out-folder");
        Result f = job("--checkpoint", checkpoint.toString(), "--image-table", folder.toString(), "--format", "binaryFile", "--out", folderOut.toString());
        assertEquals(0, f.code(), f.err());
        rows = output(folderOut);
        assertEquals(7, rows.size());
        for (Map.Entry<String, Row> row : rows.entrySet()) {
            int i = index(row.getKey());
            if (i == 999) assertTrue(status(row.getValue()).startsWith("corrupt image"), status(row.getValue()));
            else assertArrayEquals(reference[i], embedding(row.getValue()), row.getKey());
        }
    }

    @Test
    void textsGiveTheEmbedCommandsEmbeddings() throws Exception {
        List<String> captions = List.of("a red circle", "a small blue square above a green star", "a photo of a dress.", "",
                "a yellow cross", "the same caption twice", "the same caption twice", "a purple diamond to the left of an orange triangle");
        Path file = Files.write(dir.resolve("captions.txt"), captions);
        Path out = dir.resolve("out-texts");
        Result r = job("--checkpoint", checkpoint.toString(), "--tokenizer", tokenizer.toString(), "--texts", file.toString(),
                "--batch-size", "3", "--partitions", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 8 texts to " + out + " in 2 partitions: 7 embedded, 1 bad"), r.out());
        Map<String, Row> rows = output(out);
        assertEquals("empty text", status(rows.get(file + ":4")));

        List<String> good = new ArrayList<>(captions);
        good.remove("");
        Path embedded = dir.resolve("texts.safetensors");
        List<String> args = new ArrayList<>(List.of("embed", "--checkpoint", checkpoint.toString(), "--tokenizer", tokenizer.toString(),
                "--normalize", "--out", embedded.toString(), "--texts"));
        args.addAll(good);
        Result e = jclip(args.toArray(String[]::new));
        assertEquals(0, e.code(), e.err());
        Map<String, Tensor> st = SafeTensors.load(embedded);
        float[] single = st.get("embeddings").toFloatArray();
        st.values().forEach(Tensor::close);
        int d = single.length / good.size();
        Map<String, float[]> byText = new HashMap<>();
        for (int k = 0; k < good.size(); k++) byText.put(good.get(k), java.util.Arrays.copyOfRange(single, k * d, (k + 1) * d));
        for (int line = 1; line <= captions.size(); line++) {
            Row row = rows.get(file + ":" + line);
            assertEquals(captions.get(line - 1), row.getString(row.fieldIndex("text")));
            if (captions.get(line - 1).isEmpty()) continue;
            assertEquals(OutputSchema.OK, status(row));
            assertArrayEquals(byText.get(captions.get(line - 1)), embedding(row), EMBED_TOLERANCE, "line " + line);
        }

        // The same texts from a table, one row without text.
        List<Row> table = new ArrayList<>();
        for (int k = 0; k < good.size(); k++) table.add(RowFactory.create(k, good.get(k)));
        table.add(RowFactory.create(99, null));
        Path tablePath = dir.resolve("texts.parquet");
        spark.createDataFrame(table, new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType))
                .write().parquet(tablePath.toString());
        Path tableOut = dir.resolve("out-text-table");
        Result t = job("--checkpoint", checkpoint.toString(), "--tokenizer", tokenizer.toString(), "--text-table", tablePath.toString(),
                "--out", tableOut.toString());
        assertEquals(0, t.code(), t.err());
        Map<String, Row> fromTable = output(tableOut);
        assertEquals("no text", status(fromTable.get("99")));
        for (int k = 0; k < good.size(); k++)
            assertArrayEquals(byText.get(good.get(k)), embedding(fromTable.get(String.valueOf(k))), EMBED_TOLERANCE, good.get(k));
    }

    @Test
    void badFlagsAndFilesAreOneLineNamingThem() throws Exception {
        String[] base = {"--checkpoint", checkpoint.toString(), "--image-paths", imageList.toString()};
        Path out = dir.resolve("out-errors");

        Result noModel = job("--checkpoint", dir.resolve("nope.safetensors").toString(), "--image-paths", imageList.toString(), "--out", out.toString());
        assertEquals(1, noModel.code());
        assertEquals("jclip-spark: --checkpoint " + dir.resolve("nope.safetensors")
                + ": no such file (give a path every executor can read, or ship it with spark-submit --files)", noModel.err().strip());

        Result noTokenizer = job(concat(base, "--classes", classes.toString(), "--out", out.toString()));
        assertEquals(2, noTokenizer.code());
        assertTrue(noTokenizer.err().contains("--classes needs --tokenizer"), noTokenizer.err());

        Result badBatch = job(concat(base, "--batch-size", "0", "--out", out.toString()));
        assertEquals(2, badBatch.code());
        assertTrue(badBatch.err().contains("'--batch-size': 0 is not a positive whole number"), badBatch.err());

        Result badDevice = job(concat(base, "--device", "gpu", "--out", out.toString()));
        assertEquals(2, badDevice.code());
        assertTrue(badDevice.err().contains("'gpu' is not cpu, cuda or cuda:N"), badDevice.err());

        Path noBraces = Files.writeString(dir.resolve("bad-templates.txt"), "a photo of a {}.\na photo\n");
        Result badTemplate = job(concat(base, "--tokenizer", tokenizer.toString(), "--classes", classes.toString(),
                "--templates", noBraces.toString(), "--out", out.toString()));
        assertEquals(1, badTemplate.code());
        assertTrue(badTemplate.err().contains("--templates: 'a photo' has no {} for the class name"), badTemplate.err());

        Path existing = Files.createDirectories(dir.resolve("existing"));
        Result exists = job(concat(base, "--out", existing.toString()));
        assertEquals(1, exists.code());
        assertTrue(exists.err().contains("--out " + existing + " already exists (--overwrite replaces it)"), exists.err());

        Path table = dir.resolve("captions-only.parquet");
        spark.createDataFrame(List.of(RowFactory.create("a", "b")), new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType))
                .write().parquet(table.toString());
        Result noColumn = job("--checkpoint", checkpoint.toString(), "--image-table", table.toString(), "--out", out.toString());
        assertEquals(1, noColumn.code());
        assertTrue(noColumn.err().contains("--image-table " + table + " has no column 'image' (--image-column); its columns: id, text"), noColumn.err());

        for (Result each : List.of(noModel, noTokenizer, badBatch, badDevice, badTemplate, exists, noColumn))
            assertEquals(1, each.err().strip().lines().count(), each.err());
        assertTrue(Files.notExists(out), "nothing was written");
    }

    /**
     * --device cuda on the CUDA device (the simulated GPU in mvn verify): the executor's model lives
     * there and gives the CPU's embeddings within float tolerance (other kernels, other sums).
     */
    @Tag("gpu")
    @Test
    void cudaDeviceGivesTheCpuEmbeddings() throws Exception {
        Path list = Files.write(dir.resolve("few.txt"), images.subList(0, 12).stream().map(Path::toString).toList());
        Path out = dir.resolve("out-cuda-" + System.nanoTime());
        Result r = job("--checkpoint", checkpoint.toString(), "--image-paths", list.toString(), "--device", "cuda", "--batch-size", "6",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(ExecutorModels.devices().stream().anyMatch(d -> d.startsWith("cuda:0")), "a model on the GPU: " + ExecutorModels.devices());
        Map<String, Row> rows = output(out);
        for (int i = 0; i < 12; i++) assertArrayEquals(reference[i], embedding(rows.get(images.get(i).toString())), 1e-4f, "image " + i);
    }
}
