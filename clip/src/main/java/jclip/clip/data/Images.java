package jclip.clip.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
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
     * Decodes JPEG, PNG, GIF or BMP bytes with ImageIO, in memory (no cache files), keeping the
     * decoder's 8-bit values as Pillow (and so the original CLIP) does: no colour management.
     *
     * @throws BadItemException when the bytes are not an image or are corrupt (the message does not
     *     know where they came from: callers add that)
     */
    public static BufferedImage decode(byte[] bytes) throws BadItemException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new BadItemException("not a readable image (unknown format or corrupt, " + bytes.length + " bytes)");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                ImageReadParam param = reader.getDefaultReadParam();
                if ("jpeg".equalsIgnoreCase(reader.getFormatName())) {
                    // The JDK's JPEG reader converts a file with an embedded ICC profile (Adobe RGB,
                    // say) to sRGB, changing every pixel, while Pillow keeps libjpeg's values. A
                    // param that names the bands, even in their own order, makes the reader keep
                    // the decoder's colour conversion only (JPEGImageReader.checkColorConversion).
                    int[] bands = IntStream.range(0, reader.getImageTypes(0).next().getNumBands()).toArray();
                    param.setSourceBands(bands);
                    param.setDestinationBands(bands);
                }
                return reader.read(0, param);
            } finally {
                reader.dispose();
            }
        } catch (BadItemException e) {
            throw e;
        } catch (IOException e) {
            throw new BadItemException("corrupt image: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadItemException("corrupt image: " + e, e);
        }
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
     * 8-bit pixels as Pillow holds an image when CLIP resizes it: interleaved RGB, or RGBA
     * (straight, not premultiplied, alpha) for an image with alpha, {@code channels} values a
     * pixel, row-major. {@code indexed}: an image with a palette (Pillow's modes "P" and "1"), whose
     * colours are looked up here and whose transparency is dropped, as Pillow's convert("RGB") of a
     * "P" image does; Pillow resizes such images by NEAREST.
     */
    record Pixels(int[] data, int width, int height, int channels, boolean indexed) {}

    /**
     * The pixels of an image. Grey images (with or without alpha) are read from the raster and
     * copied to the three channels, avoiding Java's gamma conversion of linear-grey colour spaces;
     * samples wider than 8 bits keep their high byte.
     */
    static Pixels pixels(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        ColorModel cm = img.getColorModel();
        boolean indexed = cm instanceof IndexColorModel, alpha = cm.hasAlpha() && !indexed;
        int channels = alpha ? 4 : 3;
        int[] out = new int[channels * w * h];
        Raster r = img.getRaster();
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !indexed && r.getNumBands() <= 2) {
            int[] grey = new int[w], a = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, grey);
                if (alpha) r.getSamples(0, y, w, 1, 1, a);
                for (int x = 0; x < w; x++) {
                    int v = to8Bits(grey[x], cm.getComponentSize(0)), o = channels * (y * w + x);
                    out[o] = v;
                    out[o + 1] = v;
                    out[o + 2] = v;
                    if (alpha) out[o + 3] = to8Bits(a[x], cm.getComponentSize(1));
                }
            }
            return new Pixels(out, w, h, channels, false);
        }
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], o = channels * (y * w + x);
                out[o] = (p >> 16) & 255;
                out[o + 1] = (p >> 8) & 255;
                out[o + 2] = p & 255;
                if (alpha) out[o + 3] = p >>> 24;
            }
        }
        return new Pixels(out, w, h, channels, indexed);
    }

    private static int to8Bits(int v, int bits) {
        if (bits > 8) return v >> (bits - 8);
        if (bits < 8) return v * 255 / ((1 << bits) - 1);
        return v;
    }
}
