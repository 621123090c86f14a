package jclip.clip.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) from its IDX files, captioned from prompt
 * templates and the class names.
 *
 * <p>The files are {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
 * {@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, plain or gzipped
 * ({@code .gz}), in one folder: by default {@link #DEFAULT_DIR}, where the Debian package
 * {@code dataset-fashion-mnist} installs the gzipped ones. A split is read into memory whole
 * (47 MB for the training split).
 *
 * <p>Each example's caption is one of the {@link #TEMPLATES} filled with its class name (see
 * {@link Prompts#fill}), the template chosen per (seed, epoch, index); the 28×28 grey image is
 * copied to three channels. Labels index {@link #CLASS_NAMES}.
 */
public final class FashionMnist extends IndexedSource {
    /** Where the Debian package {@code dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The ten classes, in label order, as natural lower-case names. */
    public static final List<String> CLASS_NAMES = List.of(
            "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot");
    /** Prompt templates for captions and zero-shot evaluation. */
    public static final List<String> TEMPLATES = List.of(
            "a photo of a {}.",
            "a black and white photo of a {}.",
            "a low resolution photo of a {}.",
            "a grayscale photo of a {}.",
            "a blurry photo of a {}.",
            "a photo of the {}.",
            "a close-up photo of a {}.",
            "a cropped photo of a {}.");

    static final String INSTALL_HINT = "apt-get install dataset-fashion-mnist";
    private static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    /** The two splits and their file-name prefixes. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private final Path dir;
    private final Split split;
    private final byte[] pixels;
    private final byte[] labels;
    private final int count, rows, cols;

    private FashionMnist(Path dir, Split split, byte[] pixels, byte[] labels, int count, int rows, int cols) {
        this.dir = dir;
        this.split = split;
        this.pixels = pixels;
        this.labels = labels;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
    }

    /** The 60,000 training images from {@link #DEFAULT_DIR}. */
    public static FashionMnist train() throws IOException {
        return load(DEFAULT_DIR, Split.TRAIN);
    }

    /** The 10,000 test images from {@link #DEFAULT_DIR}. */
    public static FashionMnist test() throws IOException {
        return load(DEFAULT_DIR, Split.TEST);
    }

    /**
     * Reads a split from a folder. A missing folder or file, a bad magic number, a truncated file
     * or mismatched counts give an {@link IOException} naming the path.
     */
    public static FashionMnist load(Path dir, Split split) throws IOException {
        if (!Files.isDirectory(dir))
            throw new NoSuchFileException(dir.toAbsolutePath().toString(), null,
                    "Fashion-MNIST folder not found (install it with: " + INSTALL_HINT + ")");
        Path imagesFile = find(dir, split.prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, split.prefix + "-labels-idx1-ubyte");
        byte[] images = readAll(imagesFile);
        byte[] labelBytes = readAll(labelsFile);

        int[] imageDims = header(imagesFile, images, IMAGES_MAGIC, 3);
        int[] labelDims = header(labelsFile, labelBytes, LABELS_MAGIC, 1);
        int n = imageDims[0], rows = imageDims[1], cols = imageDims[2];
        long imageBytes = (long) n * rows * cols;
        checkLength(imagesFile, images, 16, imageBytes, n + " images of " + rows + "x" + cols);
        checkLength(labelsFile, labelBytes, 8, labelDims[0], labelDims[0] + " labels");
        if (labelDims[0] != n)
            throw new IOException(labelsFile + " has " + labelDims[0] + " labels but " + imagesFile + " has " + n + " images");
        byte[] pixels = new byte[(int) imageBytes];
        System.arraycopy(images, 16, pixels, 0, pixels.length);
        byte[] labels = new byte[n];
        System.arraycopy(labelBytes, 8, labels, 0, n);
        for (int i = 0; i < n; i++)
            if ((labels[i] & 255) >= CLASS_NAMES.size())
                throw new IOException(labelsFile + ": label " + (labels[i] & 255) + " of item " + i + " is not a class 0..9");
        return new FashionMnist(dir, split, pixels, labels, n, rows, cols);
    }

    private static Path find(Path dir, String name) throws IOException {
        Path plain = dir.resolve(name), gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(plain)) return plain;
        if (Files.isRegularFile(gz)) return gz;
        throw new NoSuchFileException(plain.toAbsolutePath() + "[.gz]", null,
                "Fashion-MNIST file not found (install it with: " + INSTALL_HINT + ")");
    }

    private static byte[] readAll(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            if (!file.getFileName().toString().endsWith(".gz")) return in.readAllBytes();
            try (InputStream z = new GZIPInputStream(in, 1 << 16)) {
                return z.readAllBytes();
            }
        } catch (IOException e) {
            throw new IOException(file + ": cannot read (truncated or corrupt gzip?): " + e.getMessage(), e);
        }
    }

    /** The dimensions after checking the magic number. */
    private static int[] header(Path file, byte[] data, int magic, int ndim) throws IOException {
        if (data.length < 4 + 4 * ndim)
            throw new IOException(file + " is truncated: " + data.length + " bytes, shorter than the IDX header");
        int m = readInt(data, 0);
        if (m != magic)
            throw new IOException(file + ": bad magic number 0x" + String.format("%08x", m) + ", expected 0x"
                    + String.format("%08x", magic) + " (an IDX file of unsigned bytes with " + ndim + " dimension" + (ndim > 1 ? "s" : "") + ")");
        int[] dims = new int[ndim];
        for (int i = 0; i < ndim; i++) {
            dims[i] = readInt(data, 4 + 4 * i);
            if (dims[i] < 0) throw new IOException(file + ": negative dimension " + dims[i]);
        }
        return dims;
    }

    private static void checkLength(Path file, byte[] data, int headerBytes, long expected, String what) throws IOException {
        long have = data.length - headerBytes;
        if (have < expected)
            throw new IOException(file + " is truncated: the header says " + what + " (" + expected + " bytes) but only " + have + " follow");
        if (have > expected)
            throw new IOException(file + ": " + (have - expected) + " unexpected bytes after " + what);
    }

    private static int readInt(byte[] b, int at) {
        return ((b[at] & 255) << 24) | ((b[at + 1] & 255) << 16) | ((b[at + 2] & 255) << 8) | (b[at + 3] & 255);
    }

    public Split split() {
        return split;
    }

    /** The label of image {@code index}. */
    public int label(int index) {
        return labels[index] & 255;
    }

    /** The grey pixels of image {@code index}, row-major, 0..255. */
    public int[] pixels(int index) {
        int n = rows * cols;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = pixels[index * n + i] & 255;
        return out;
    }

    /** Image {@code index} as RGB with the grey value in all three channels. */
    public BufferedImage image(int index) {
        BufferedImage img = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        int[] p = pixels(index);
        for (int i = 0; i < p.length; i++) p[i] = (p[i] << 16) | (p[i] << 8) | p[i];
        img.setRGB(0, 0, cols, rows, p, 0, cols);
        return img;
    }

    @Override
    public int count() {
        return count;
    }

    @Override
    public String describe() {
        return "fashion-mnist " + split.name().toLowerCase() + " (" + count + " images, " + dir + ")";
    }

    @Override
    public List<String> classNames() {
        return CLASS_NAMES;
    }

    @Override
    public List<String> templates() {
        return TEMPLATES;
    }

    @Override
    public Example example(int index, long seed, int epoch) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException(index + " of " + count);
        int label = label(index);
        String template = TEMPLATES.get(Seeds.random(seed, epoch, index, 0xFA5410L).nextInt(TEMPLATES.size()));
        String caption = Prompts.fill(template, CLASS_NAMES.get(label));
        return new Example("fashion-mnist " + split.name().toLowerCase() + " #" + index, () -> image(index), caption, label);
    }
}
