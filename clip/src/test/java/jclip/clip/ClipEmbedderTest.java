package jclip.clip;

import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.model.ParityTest;
import jclip.clip.text.ShapesTokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import jclip.clip.data.Preprocess;
import jclip.clip.data.ShapesDataset;
import jclip.clip.eval.ZeroShot;
import jclip.kernels.DType;
import jclip.tensor.Device;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipEmbedderTest {
    static final int RES = 16;
    static ClipTokenizer tokenizer;
    static final ShapesDataset data = ShapesDataset.train(5, 48, RES);

    @BeforeAll
    static void learnTokenizer(@TempDir Path dir) {
        tokenizer = ShapesTokenizer.learn(data, dir);
    }

    static ClipModel model() {
        return new ClipModel(ClipConfig.vit(16, RES, 8, 64, 2, 12, tokenizer.vocabSize(), 64, 1), new Rng(3));
    }

    /** Images of assorted sizes and colours, so the resize and crop take different paths. */
    static BufferedImage image(int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int w = 8 + r.nextInt(40), h = 8 + r.nextInt(40);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        return img;
    }

    static String text(int seed) {
        List<String> c = ShapesDataset.COLOURS, s = ShapesDataset.SHAPES;
        return "a " + c.get(seed % c.size()) + " " + s.get(seed / c.size() % s.size()) + (seed % 3 == 0 ? " on the left" : "");
    }

    @Test
    void concurrentCallsAreBatchedAndEqualSingleThreadedResults() throws Exception {
        int calls = 200;
        try (ClipModel model = model(); ClipEmbedder embedder = new ClipEmbedder(model, tokenizer, 16)) {
            // Reference: one item per call, one call at a time, so every model call has batch 1.
            float[][][] expected = new float[calls][][];
            for (int i = 0; i < calls; i++) {
                expected[i] = i % 2 == 0
                        ? embedder.embedImages(List.of(image(i), image(i + 1000)))
                        : embedder.embedTexts(List.of(text(i)));
            }
            long callsBefore = embedder.modelCalls(), requestsBefore = embedder.requests();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<float[][]>> got = new ArrayList<>();
                for (int i = 0; i < calls; i++) {
                    int k = i;
                    got.add(pool.submit(() -> k % 2 == 0
                            ? embedder.embedImages(List.of(image(k), image(k + 1000)))
                            : embedder.embedTexts(List.of(text(k)))));
                }
                for (int i = 0; i < calls; i++) {
                    float[][] rows = got.get(i).get();
                    assertEquals(expected[i].length, rows.length);
                    // Exact: every op of the eval-mode model is row-independent, whatever the batch size.
                    for (int j = 0; j < rows.length; j++) assertArrayEquals(expected[i][j], rows[j], "call " + i + " row " + j);
                }
            } finally {
                pool.shutdown();
            }
            long modelCalls = embedder.modelCalls() - callsBefore, requests = embedder.requests() - requestsBefore;
            assertEquals(calls, requests);
            assertTrue(modelCalls < requests, "requests were not batched: " + modelCalls + " model calls for " + requests + " requests");
            for (float[] row : expected[0]) {
                double n = 0;
                for (float v : row) n += v * v;
                assertEquals(1, Math.sqrt(n), 1e-5);
            }
        }
    }

    @Test
    void batchedRowsEqualTheModelsOwnBatchOfOne() {
        try (ClipModel model = model(); ClipEmbedder embedder = new ClipEmbedder(model, tokenizer, 32)) {
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < 37; i++) images.add(image(i)); // more than maxBatch: two model calls
            float[][] all = embedder.embedImages(images);
            for (int i = 0; i < images.size(); i++) assertArrayEquals(embedder.embedImages(List.of(images.get(i)))[0], all[i], "image " + i);
        }
    }

    @Test
    void aBadFileFailsOnlyItsOwnCall(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.png"), bad = dir.resolve("bad.png"), missing = dir.resolve("missing.jpg");
        ImageIO.write(image(1), "png", good.toFile());
        Files.write(bad, new byte[] {1, 2, 3, 4});
        try (ClipModel model = model(); ClipEmbedder embedder = new ClipEmbedder(model, tokenizer)) {
            float[][] expected = embedder.embedImageFiles(List.of(good));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[][]>> fs = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    Path p = i % 3 == 0 ? bad : i % 3 == 1 ? missing : good;
                    fs.add(pool.submit(() -> embedder.embedImageFiles(List.of(good, p))));
                }
                for (int i = 0; i < 12; i++) {
                    if (i % 3 == 2) {
                        assertArrayEquals(expected[0], fs.get(i).get()[1]);
                        continue;
                    }
                    Path p = i % 3 == 0 ? bad : missing;
                    var e = assertThrows(java.util.concurrent.ExecutionException.class, fs.get(i)::get);
                    assertTrue(e.getCause() instanceof IllegalArgumentException, e.getCause().toString());
                    assertTrue(e.getCause().getMessage().contains(p.toString()), e.getCause().getMessage());
                }
            } finally {
                pool.shutdown();
            }
            assertArrayEquals(expected[0], embedder.embedImageFiles(List.of(good))[0]); // the worker lives on
        }
    }

    @Test
    void classifierAgreesWithZeroShot() throws Exception {
        List<String> classes = List.of("red circle", "blue square", "green triangle", "yellow star");
        List<String> templates = List.of("a photo of a {}.", "a {}.");
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < 20; i++) images.add(image(i));
        try (ClipModel model = model(); ClipEmbedder embedder = new ClipEmbedder(model, tokenizer)) {
            ZeroShotClassifier classifier = embedder.classifier(classes, templates);
            assertTrue(classifier == embedder.classifier(classes, templates), "the classifier is cached");
            List<ZeroShotClassifier.Prediction> got = classifier.classify(images, 3);
            int[] labels = new int[images.size()];
            for (int i = 0; i < labels.length; i++) {
                ZeroShotClassifier.Prediction p = got.get(i);
                labels[i] = classes.indexOf(p.label());
                assertEquals(3, p.topLabels().size());
                assertEquals(p.label(), p.topLabels().get(0));
                assertTrue(p.topProbabilities()[0] >= p.topProbabilities()[1] && p.topProbabilities()[1] >= p.topProbabilities()[2]);
                assertTrue(p.probability() > 0 && p.probability() <= 1);
            }
            Preprocess pre = Preprocess.eval(RES);
            float[] pixels = new float[images.size() * pre.outputSize()];
            for (int i = 0; i < images.size(); i++) pre.apply(images.get(i), 0, pixels, i * pre.outputSize());
            // ZeroShot with the predictions as labels: it finds the same class for every image.
            try (Tensor batch = Tensor.fromHost(pixels, DType.F32, images.size(), 3, RES, RES);
                 ZeroShot reference = new ZeroShot(model, tokenizer, classes, templates)) {
                reference.add(batch, labels);
                assertEquals(1.0, reference.result().top1());
            }
            // And the class embeddings are ZeroShot's.
            float[][] mine = classifierRows(embedder, classes, templates);
            try (Tensor ref = ZeroShot.classEmbeddings(model, tokenizer, classes, templates)) {
                float[] flat = ref.toFloatArray();
                for (int c = 0; c < classes.size(); c++)
                    assertArrayEquals(java.util.Arrays.copyOfRange(flat, c * mine[c].length, (c + 1) * mine[c].length), mine[c]);
            }
        }
    }

    /** The class rows a classifier holds (a private field, read reflectively). */
    static float[][] classifierRows(ClipEmbedder embedder, List<String> classes, List<String> templates) throws Exception {
        var f = ZeroShotClassifier.class.getDeclaredField("classes");
        f.setAccessible(true);
        return (float[][]) f.get(embedder.classifier(classes, templates));
    }

    @Test
    void manyCallsLeaveNoBuffersBehind() throws Exception {
        try (ClipModel model = model()) {
            long before = Device.cpu().memory().liveBuffers();
            try (ClipEmbedder embedder = new ClipEmbedder(model, tokenizer, 8)) {
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<?>> fs = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                        int k = i;
                        fs.add(pool.submit(() -> k % 2 == 0 ? embedder.embedImages(List.of(image(k))) : embedder.embedTexts(List.of(text(k)))));
                    }
                    for (Future<?> f : fs) f.get();
                } finally {
                    pool.shutdown();
                }
                embedder.classifier(List.of("red circle", "blue square"), List.of("a {}.")).classify(List.of(image(3)));
            }
            assertEquals(before, Device.cpu().memory().liveBuffers());
        }
    }

    @Test
    void theFixtureModelBatchesExactly() throws Exception {
        // The original CLIP's ViT fixture (wider than model() above): batch 37 through maxBatch 32 against batch 1.
        try (ClipEmbedder embedder = ClipEmbedder.load(ParityTest.fixtures().resolve("vit-tiny.weights.safetensors"), null, Device.cpu())) {
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < 37; i++) images.add(image(i));
            float[][] all = embedder.embedImages(images);
            for (int i = 0; i < images.size(); i++) assertArrayEquals(embedder.embedImages(List.of(images.get(i)))[0], all[i], "image " + i);
        }
    }

    @Test
    void closeWhileCallsWaitFailsThemCleanly() throws Exception {
        try (ClipModel model = model()) {
            ClipEmbedder embedder = new ClipEmbedder(model, tokenizer, 4);
            float[] expected = embedder.embedImages(List.of(image(5)))[0];
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<float[][]>> fs = new ArrayList<>();
            for (int i = 0; i < 64; i++) fs.add(pool.submit(() -> embedder.embedImages(List.of(image(5)))));
            Thread.sleep(5);
            embedder.close();
            int done = 0, failed = 0;
            for (Future<float[][]> f : fs) {
                try {
                    assertArrayEquals(expected, f.get(10, java.util.concurrent.TimeUnit.SECONDS)[0]);
                    done++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof IllegalStateException, e.getCause().toString());
                    failed++;
                }
            }
            pool.shutdown();
            assertEquals(64, done + failed);
        }
    }

    @Test
    void closeFailsLaterCallsAndIsIdempotent() {
        ClipModel model = model();
        ClipEmbedder embedder = new ClipEmbedder(model, null);
        embedder.embedImages(List.of(image(0)));
        assertThrows(IllegalStateException.class, () -> embedder.embedTexts(List.of("a red circle")), "no tokenizer");
        embedder.close();
        embedder.close();
        assertThrows(IllegalStateException.class, () -> embedder.embedImages(List.of(image(0))));
        model.close(); // the caller's model stays the caller's
    }
}
