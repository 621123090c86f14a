package jclip.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import jclip.clip.data.ShapesDataset;
import jclip.clip.data.TarWriter;

/**
 * The tests' images: generated shapes in grey (so that the same pixels can also be written as a
 * Fashion-MNIST IDX file, the labelled input the {@code zeroshot} command reads), as PNG files,
 * WebDataset shards, and broken files of each kind a job meets.
 */
final class TestImages {
    /** The images' side: Fashion-MNIST's. */
    static final int SIDE = 28;

    private static final ShapesDataset SHAPES = ShapesDataset.train(11, 100_000, SIDE);

    private TestImages() {}

    /** Grey value 0..255 of each pixel of image i, row-major. */
    static byte[] grey(int i) throws IOException {
        BufferedImage colour = SHAPES.example(i).image().read();
        byte[] g = new byte[SIDE * SIDE];
        for (int y = 0; y < SIDE; y++)
            for (int x = 0; x < SIDE; x++) {
                int p = colour.getRGB(x, y);
                g[y * SIDE + x] = (byte) Math.round(0.299 * (p >> 16 & 255) + 0.587 * (p >> 8 & 255) + 0.114 * (p & 255));
            }
        return g;
    }

    /** Image i as PNG bytes: RGB with the grey value in every channel, as FashionMnist.image(i) makes it. */
    static byte[] png(int i) throws IOException {
        byte[] g = grey(i);
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int k = 0; k < g.length; k++) {
            int v = g[k] & 255;
            img.setRGB(k % SIDE, k / SIDE, v << 16 | v << 8 | v);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** Images 0..n-1 as dir/img-NNN.png; the paths in order. */
    static List<Path> writePngs(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        List<Path> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) paths.add(Files.write(dir.resolve(String.format("img-%03d.png", i)), png(i)));
        return paths;
    }

    /** A PNG cut off after its first 60 bytes: the header reads, the pixels do not. */
    static byte[] truncatedPng() throws IOException {
        return java.util.Arrays.copyOf(png(0), 60);
    }

    /**
     * Images first..first+n-1 as a shard of sample-NNN.png and .txt samples, then the bad samples:
     * each key with its .txt and, unless null, the given bytes as its .png.
     */
    static void writeShard(Path shard, int first, int n, Map<String, byte[]> bad) throws IOException {
        try (OutputStream file = Files.newOutputStream(shard); TarWriter tar = new TarWriter(new java.io.BufferedOutputStream(file))) {
            for (int i = first; i < first + n; i++) {
                String key = String.format("sample-%03d", i);
                tar.add(key + ".png", png(i));
                tar.add(key + ".txt", ("image " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            for (Map.Entry<String, byte[]> b : bad.entrySet()) {
                if (b.getValue() != null) tar.add(b.getKey() + ".png", b.getValue());
                tar.add(b.getKey() + ".txt", "a bad sample".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * The test split of a Fashion-MNIST folder (t10k-*-idx*-ubyte) holding images 0..labels.length-1
     * with the given labels.
     */
    static void writeFashionMnist(Path dir, int[] labels) throws IOException {
        Files.createDirectories(dir);
        try (DataOutputStream images = new DataOutputStream(Files.newOutputStream(dir.resolve("t10k-images-idx3-ubyte")));
                DataOutputStream classes = new DataOutputStream(Files.newOutputStream(dir.resolve("t10k-labels-idx1-ubyte")))) {
            images.writeInt(0x00000803);
            images.writeInt(labels.length);
            images.writeInt(SIDE);
            images.writeInt(SIDE);
            classes.writeInt(0x00000801);
            classes.writeInt(labels.length);
            for (int i = 0; i < labels.length; i++) {
                images.write(grey(i));
                classes.writeByte(labels[i]);
            }
        }
    }
}
