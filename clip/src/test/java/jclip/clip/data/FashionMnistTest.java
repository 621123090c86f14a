package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path dir;

    private static final int[] LABELS = {9, 0, 3};

    private static int pixel(int image, int i) {
        return (image * 71 + i * 13) % 256;
    }

    static byte[] imagesIdx(int n, int rows, int cols) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x00000803);
        d.writeInt(n);
        d.writeInt(rows);
        d.writeInt(cols);
        for (int k = 0; k < n; k++) for (int i = 0; i < rows * cols; i++) d.writeByte(pixel(k, i));
        return b.toByteArray();
    }

    static byte[] labelsIdx(int[] labels) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(0x00000801);
        d.writeInt(labels.length);
        for (int l : labels) d.writeByte(l);
        return b.toByteArray();
    }

    private void write(String name, byte[] data, boolean gzip) throws IOException {
        try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz"))) : Files.newOutputStream(dir.resolve(name))) {
            out.write(data);
        }
    }

    @Test
    void readsTinyIdxFilesPlainAndGzipped() throws Exception {
        write("train-images-idx3-ubyte", imagesIdx(3, 28, 28), true);
        write("train-labels-idx1-ubyte", labelsIdx(LABELS), false);
        FashionMnist train = FashionMnist.load(dir, FashionMnist.Split.TRAIN);
        assertEquals(3, train.count());
        assertEquals(3, train.size());
        for (int k = 0; k < 3; k++) {
            assertEquals(LABELS[k], train.label(k));
            BufferedImage img = train.image(k);
            assertEquals(28, img.getWidth());
            assertEquals(28, img.getHeight());
            for (int i = 0; i < 28 * 28; i++) {
                int v = pixel(k, i), rgb = img.getRGB(i % 28, i / 28) & 0xFFFFFF;
                assertEquals((v << 16) | (v << 8) | v, rgb, "grey copied to three channels");
            }
        }
        Example e = train.example(0, 1, 0);
        assertEquals(9, e.label());
        assertTrue(e.caption().contains("ankle boot"), e.caption());
        assertTrue(e.caption().contains("an ankle boot"), "article fixed: " + e.caption());
        assertTrue(e.origin().contains("#0"));
        // one template per (seed, epoch, index), repeatably; it varies over epochs
        assertEquals(e.caption(), train.example(0, 1, 0).caption());
        Set<String> captions = new HashSet<>();
        for (int epoch = 0; epoch < 40; epoch++) captions.add(train.example(1, 1, epoch).caption());
        assertTrue(captions.size() >= 4, captions.toString());
        for (String c : captions) assertTrue(FashionMnist.TEMPLATES.stream().anyMatch(t -> Prompts.fill(t, "t-shirt").equals(c)), c);
        assertEquals(10, train.classNames().size());
        assertEquals("t-shirt", train.classNames().get(0));
        assertEquals(8, train.templates().size());
        // the loader turns them into 3-channel tensors
        try (DataLoader loader = DataLoader.builder(train.inOrder()).batchSize(3).threads(2).preprocess(Preprocess.eval(28)).build()) {
            Batch b = loader.next();
            assertEquals(Arrays.toString(LABELS), Arrays.toString(b.labels()));
            float[] px = b.images().toFloatArray();
            int v = pixel(1, 5);
            for (int c = 0; c < 3; c++) assertEquals((v / 255f - Preprocess.MEAN[c]) / Preprocess.STD[c], px[3 * 784 + c * 784 + 5], 0f);
            b.close();
        }
    }

    @Test
    void badMagicNamesTheFile() throws Exception {
        byte[] images = imagesIdx(3, 28, 28);
        images[3] = 0x01; // a labels magic number in an images file
        write("t10k-images-idx3-ubyte", images, false);
        write("t10k-labels-idx1-ubyte", labelsIdx(LABELS), false);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains(dir.resolve("t10k-images-idx3-ubyte").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void truncationNamesTheFile() throws Exception {
        write("t10k-images-idx3-ubyte", Arrays.copyOf(imagesIdx(3, 28, 28), 16 + 2 * 784 + 100), true);
        write("t10k-labels-idx1-ubyte", labelsIdx(LABELS), false);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        // a cut gzip stream too
        write("t10k-images-idx3-ubyte", imagesIdx(3, 28, 28), true);
        byte[] gz = Files.readAllBytes(dir.resolve("t10k-images-idx3-ubyte.gz"));
        Files.write(dir.resolve("t10k-images-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz"), e.getMessage());

        // labels that do not match the images
        write("t10k-images-idx3-ubyte", imagesIdx(3, 28, 28), true);
        write("t10k-labels-idx1-ubyte", labelsIdx(new int[] {1, 2}), false);
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void missingFolderOrFileGivesTheInstallHint() throws Exception {
        Path missing = dir.resolve("nowhere");
        IOException e = assertThrows(IOException.class, () -> FashionMnist.load(missing, FashionMnist.Split.TRAIN));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TRAIN));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void theDebianPackageWhenInstalled() throws Exception {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "dataset-fashion-mnist is not installed");
        FashionMnist test = FashionMnist.test();
        assertEquals(10_000, test.count());
        int[] perClass = new int[10];
        for (int i = 0; i < test.count(); i++) perClass[test.label(i)]++;
        for (int n : perClass) assertEquals(1000, n);
    }
}
