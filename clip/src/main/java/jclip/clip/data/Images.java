package jclip.clip.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/** Image decoding and pixel access helpers. */
public final class Images {
    private Images() {}

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Makes sure AWT runs headless (no display needed) unless the application chose otherwise. */
    static void headless() {
        // the static initialiser does the work
    }

    /**
     * Decodes JPEG, PNG, GIF or BMP bytes with ImageIO, in memory (no cache files).
     *
     * @throws BadItemException when the bytes are not an image or are corrupt (the message does not
     *     know where they came from: callers add that)
     */
    public static BufferedImage decode(byte[] bytes) throws BadItemException {
        BufferedImage img;
        ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
        try {
            img = ImageIO.read(in); // closes the stream unless it returns null
            if (img == null) in.close();
        } catch (IOException e) {
            throw new BadItemException("corrupt image: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadItemException("corrupt image: " + e, e);
        }
        if (img == null) throw new BadItemException("not a readable image (unknown format or corrupt, " + bytes.length + " bytes)");
        return img;
    }

    /**
     * Reads and decodes an image file (JPEG, PNG, GIF, BMP).
     *
     * @throws BadItemException naming the file: missing, a directory, unreadable, not an image or corrupt
     */
    public static BufferedImage read(Path file) throws BadItemException {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new BadItemException(file + " is a directory, not an image");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadItemException("no such file: " + file, e);
        } catch (BadItemException e) {
            throw e;
        } catch (IOException e) {
            throw new BadItemException("cannot read " + file + ": " + e.getMessage(), e);
        }
        try {
            return decode(bytes);
        } catch (BadItemException e) {
            // ImageIO's own messages ("Error reading PNG image data") do not say which file
            throw new BadItemException(file + ": " + e.getMessage(), e.getCause());
        }
    }

    /**
     * The pixels as interleaved 8-bit RGB (r, g, b per pixel, row-major). Grey images (with or
     * without alpha) are read from the raster and copied to the three channels, avoiding Java's
     * gamma conversion of linear-grey colour spaces; alpha is dropped as PIL's convert("RGB") does.
     */
    static int[] rgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        int[] out = new int[3 * w * h];
        if (img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY && img.getRaster().getNumBands() <= 2) {
            Raster r = img.getRaster();
            int bits = img.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = row[x];
                    if (bits > 8) v >>= bits - 8;
                    else if (bits < 8) v = v * 255 / ((1 << bits) - 1);
                    int o = 3 * (y * w + x);
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                }
            }
            return out;
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], o = 3 * (y * w + x);
                out[o] = (p >> 16) & 255;
                out[o + 1] = (p >> 8) & 255;
                out[o + 2] = p & 255;
            }
        }
        return out;
    }
}
