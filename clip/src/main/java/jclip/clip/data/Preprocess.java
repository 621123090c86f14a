package jclip.clip.data;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * CLIP's image preprocessing, producing a normalised float[3*R*R] in CHW order.
 *
 * <p>Evaluation ({@link #eval}), as the original CLIP's {@code Compose([Resize(R, BICUBIC),
 * CenterCrop(R), convert RGB, ToTensor(), Normalize(mean, std)])}:
 * <ol>
 *   <li>Resize so the shorter side is R and the longer side is {@code int(R * long / short)}
 *       (torchvision's rounding: truncation), unless the image already has that size.</li>
 *   <li>Centre crop R×R at {@code top = round((h - R) / 2)}, {@code left = round((w - R) / 2)} with
 *       Python's round-half-to-even, as torchvision's {@code center_crop}.</li>
 *   <li>Scale to [0, 1] by /255 and normalise per channel with {@link #MEAN} and {@link #STD}, in
 *       float32 arithmetic as torchvision's {@code ToTensor} and {@code Normalize}.</li>
 * </ol>
 *
 * <p>Training ({@link #train}) replaces the resize and crop by torchvision's
 * {@code RandomResizedCrop(R, scale, ratio, BICUBIC)} as used by open_clip (scale (0.9, 1.0),
 * ratio (3/4, 4/3) by default): up to ten tries of a random area fraction and log-uniform aspect
 * ratio, a uniformly placed box, else the centre fallback; the box is cropped and resized to R×R.
 * The draws come from a generator seeded per example, so they repeat, but they are not torch's
 * random stream.
 *
 * <p>The bicubic resampling matches Pillow's {@code Image.resize(size, BICUBIC)} on 8-bit images
 * (Resample.c): the a = -0.5 cubic kernel whose support is widened by the downscale factor
 * (area-aware antialiasing when shrinking), coefficients normalised to sum 1 and converted to
 * 22-bit fixed point, a horizontal pass then a vertical pass, each rounded and clamped to 0..255,
 * a pass skipped when its dimension does not change. Pillow's own choices for other kinds of image
 * are followed too: RGBA is resized premultiplied, palette images by NEAREST (see
 * {@code resizeToRgb}). {@code OriginalPreprocessTest} checks the whole evaluation transform on
 * real photos (JPEG, PNG, grey, RGBA, palette GIF) against the original's tensors: they are equal
 * bit for bit, given pixels decoded as {@link Images#read} decodes them (without the colour
 * management that ImageIO applies to JPEGs with an embedded profile). Not matched: 16-bit grey
 * images (which Pillow cannot resize), CMYK JPEGs, and grey PNGs of 2 or 4 bits (Pillow reads
 * them as grey, ImageIO with a palette, so they are resized by NEAREST here; 1-bit ones are
 * NEAREST in both).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Preprocess {
    /** CLIP's per-channel mean (RGB). */
    public static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** CLIP's per-channel standard deviation (RGB). */
    public static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private final int resolution;
    private final boolean randomCrop;
    private final double minScale, maxScale, minRatio, maxRatio;

    private Preprocess(int resolution, boolean randomCrop, double minScale, double maxScale, double minRatio, double maxRatio) {
        if (resolution < 1) throw new IllegalArgumentException("resolution must be positive: " + resolution);
        if (randomCrop && !(0 < minScale && minScale <= maxScale && maxScale <= 1))
            throw new IllegalArgumentException("need 0 < minScale <= maxScale <= 1: " + minScale + ", " + maxScale);
        if (randomCrop && !(0 < minRatio && minRatio <= maxRatio))
            throw new IllegalArgumentException("need 0 < minRatio <= maxRatio: " + minRatio + ", " + maxRatio);
        this.resolution = resolution;
        this.randomCrop = randomCrop;
        this.minScale = minScale;
        this.maxScale = maxScale;
        this.minRatio = minRatio;
        this.maxRatio = maxRatio;
    }

    /** CLIP's evaluation transform: shorter side to R (bicubic), centre crop R×R, normalise. */
    public static Preprocess eval(int resolution) {
        return new Preprocess(resolution, false, 1, 1, 1, 1);
    }

    /** open_clip's training transform: random resized crop with scale (0.9, 1.0), ratio (3/4, 4/3). */
    public static Preprocess train(int resolution) {
        return train(resolution, 0.9, 1.0, 3.0 / 4.0, 4.0 / 3.0);
    }

    /** A random resized crop with the given area-fraction and aspect-ratio ranges, then normalise. */
    public static Preprocess train(int resolution, double minScale, double maxScale, double minRatio, double maxRatio) {
        return new Preprocess(resolution, true, minScale, maxScale, minRatio, maxRatio);
    }

    /** The output side R. */
    public int resolution() {
        return resolution;
    }

    /** Whether this is a random (training) transform. */
    public boolean augments() {
        return randomCrop;
    }

    /** 3 * R * R. */
    public int outputSize() {
        return 3 * resolution * resolution;
    }

    /** The evaluation transform, or the training transform with seed 0. */
    public float[] apply(BufferedImage image) {
        return apply(image, 0);
    }

    /** The transform; the seed drives the random crop (ignored by the evaluation transform). */
    public float[] apply(BufferedImage image, long seed) {
        float[] out = new float[outputSize()];
        apply(image, seed, out, 0);
        return out;
    }

    /** Writes the 3*R*R values in CHW order into out from offset. */
    public void apply(BufferedImage image, long seed, float[] out, int offset) {
        Images.Pixels px = Images.pixels(image);
        int w = px.width(), h = px.height(), r = resolution;
        int[] square;
        if (randomCrop) {
            int[] box = randomResizedCropBox(w, h, new SplittableRandom(seed), minScale, maxScale, minRatio, maxRatio);
            int[] cropped = crop(px.data(), px.channels(), w, h, box[1], box[0], box[3], box[2]);
            square = resizeToRgb(cropped, px.channels(), px.indexed(), box[3], box[2], r, r);
        } else {
            int[] size = resizedSize(w, h, r);
            int[] resized = resizeToRgb(px.data(), px.channels(), px.indexed(), w, h, size[0], size[1]);
            int[] at = centerCropOrigin(size[0], size[1], r);
            square = crop(resized, 3, size[0], size[1], at[0], at[1], r, r);
        }
        normalize(square, r, r, out, offset);
    }

    /**
     * Pillow's {@code Image.resize((nw, nh), BICUBIC)} followed by {@code convert("RGB")}, for the
     * image's kind: NEAREST for a palette image (Pillow overrides the filter for modes "P" and
     * "1"); for RGBA, the bicubic resize of premultiplied colour (Pillow's "RGBa"), so that colour
     * under transparent pixels does not bleed into the result (where alpha is 0 it comes out black),
     * then alpha dropped. Without a change of size Pillow copies the image, alpha is just dropped.
     */
    private static int[] resizeToRgb(int[] px, int channels, boolean indexed, int w, int h, int nw, int nh) {
        if (indexed) return nearest(px, w, h, nw, nh);
        if (channels == 3) return resize(px, 3, w, h, nw, nh);
        if (nw == w && nh == h) return dropAlpha(px);
        return unpremultipliedRgb(resize(premultiply(px), 4, w, h, nw, nh));
    }

    // ---------------------------------------------------------------------------------------
    // building blocks (public for tests and for callers with their own pipelines)

    /** {width, height} after torchvision's {@code Resize(R)}: shorter side R, longer side int(R * long / short). */
    public static int[] resizedSize(int w, int h, int r) {
        if (w <= h) return new int[] {r, (int) ((double) ((long) r * h) / w)};
        return new int[] {(int) ((double) ((long) r * w) / h), r};
    }

    /**
     * {left, top} of torchvision's {@code CenterCrop(size)} on a w×h image (size no larger than
     * either side): round((w - size) / 2) with round-half-to-even.
     */
    public static int[] centerCropOrigin(int w, int h, int size) {
        if (size > w || size > h) throw new IllegalArgumentException("crop " + size + " larger than " + w + "x" + h);
        return new int[] {(int) Math.rint((w - size) / 2.0), (int) Math.rint((h - size) / 2.0)};
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: {top, left, height, width}. Ten tries of
     * an area fraction uniform in [minScale, maxScale] and a log-uniform aspect ratio (w/h), sides
     * rounded half-to-even; else a centre crop clamped to the ratio range.
     */
    public static int[] randomResizedCropBox(int w, int h, SplittableRandom rng, double minScale, double maxScale, double minRatio, double maxRatio) {
        double area = (double) w * h;
        double logMin = Math.log(minRatio), logMax = Math.log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (maxScale - minScale) * rng.nextDouble());
            double ratio = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int cw = (int) Math.rint(Math.sqrt(target * ratio));
            int ch = (int) Math.rint(Math.sqrt(target / ratio));
            if (0 < cw && cw <= w && 0 < ch && ch <= h) {
                int top = rng.nextInt(h - ch + 1);
                int left = rng.nextInt(w - cw + 1);
                return new int[] {top, left, ch, cw};
            }
        }
        double inRatio = (double) w / h;
        int cw, ch;
        if (inRatio < minRatio) {
            cw = w;
            ch = (int) Math.rint(cw / minRatio);
        } else if (inRatio > maxRatio) {
            ch = h;
            cw = (int) Math.rint(ch * maxRatio);
        } else {
            cw = w;
            ch = h;
        }
        return new int[] {(h - ch) / 2, (w - cw) / 2, ch, cw};
    }

    /** The cw×ch region at (left, top) of interleaved pixels with the given number of channels. */
    public static int[] crop(int[] px, int channels, int w, int h, int left, int top, int cw, int ch) {
        if (left < 0 || top < 0 || cw < 0 || ch < 0 || left + cw > w || top + ch > h)
            throw new IllegalArgumentException("crop " + cw + "x" + ch + " at " + left + "," + top + " outside " + w + "x" + h);
        if (left == 0 && top == 0 && cw == w && ch == h) return px;
        int[] out = new int[channels * cw * ch];
        for (int y = 0; y < ch; y++) System.arraycopy(px, channels * ((top + y) * w + left), out, channels * y * cw, channels * cw);
        return out;
    }

    /** Interleaved RGB (HWC, 0..255) to normalised CHW floats at out[offset...]. */
    public static void normalize(int[] rgb, int w, int h, float[] out, int offset) {
        int plane = w * h;
        for (int c = 0; c < 3; c++) {
            float mean = MEAN[c], std = STD[c];
            int o = offset + c * plane;
            for (int i = 0; i < plane; i++) out[o + i] = (rgb[3 * i + c] / 255f - mean) / std;
        }
    }

    /**
     * Pillow's BICUBIC resize of interleaved 8-bit pixels (3 or 4 channels, each filtered alike)
     * from w×h to nw×nh (see the class comment). Returns the input array when the size does not
     * change.
     */
    public static int[] resize(int[] px, int channels, int w, int h, int nw, int nh) {
        if (nw < 1 || nh < 1) throw new IllegalArgumentException("bad size " + nw + "x" + nh);
        if (channels != 3 && channels != 4) throw new IllegalArgumentException("3 or 4 channels, not " + channels);
        boolean horizontal = nw != w, vertical = nh != h;
        if (!horizontal && !vertical) return px;
        Coefficients cv = vertical ? Coefficients.of(h, nh) : null;
        int[] src = px;
        if (horizontal) {
            // only the rows the vertical pass reads, as Pillow does
            int first = vertical ? cv.min[0] : 0;
            int last = vertical ? cv.min[nh - 1] + cv.count[nh - 1] : h;
            Coefficients ch = Coefficients.of(w, nw);
            int rows = last - first;
            int[] tmp = new int[channels * nw * rows];
            for (int y = 0; y < rows; y++) {
                int inRow = channels * (first + y) * w, outRow = channels * y * nw;
                for (int x = 0; x < nw; x++) {
                    int k0 = x * ch.ksize, xmin = ch.min[x], n = ch.count[x], o = outRow + channels * x;
                    // three sums always, the fourth only for RGBA: the RGB path stays as fast as before
                    int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0, s3 = s0;
                    for (int i = 0; i < n; i++) {
                        int k = ch.k[k0 + i], p = inRow + channels * (xmin + i);
                        s0 += src[p] * k;
                        s1 += src[p + 1] * k;
                        s2 += src[p + 2] * k;
                        if (channels == 4) s3 += src[p + 3] * k;
                    }
                    tmp[o] = clip8(s0);
                    tmp[o + 1] = clip8(s1);
                    tmp[o + 2] = clip8(s2);
                    if (channels == 4) tmp[o + 3] = clip8(s3);
                }
            }
            src = tmp;
            if (vertical) for (int y = 0; y < nh; y++) cv.min[y] -= first;
            w = nw;
        }
        if (!vertical) return src;
        int rowLength = channels * w;
        int[] out = new int[rowLength * nh];
        int[] acc = new int[rowLength];
        for (int y = 0; y < nh; y++) {
            int k0 = y * cv.ksize, ymin = cv.min[y], n = cv.count[y], outRow = y * rowLength;
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int i = 0; i < n; i++) { // row by row, for sequential memory access; same sums as Pillow
                int k = cv.k[k0 + i], inRow = (ymin + i) * rowLength;
                for (int x = 0; x < rowLength; x++) acc[x] += src[inRow + x] * k;
            }
            for (int x = 0; x < rowLength; x++) out[outRow + x] = clip8(acc[x]);
        }
        return out;
    }

    /**
     * Pillow's NEAREST resize of interleaved RGB (ImagingScaleAffine): output column x takes
     * source column {@code (int) xo}, where xo starts at half a step ({@code w / nw}) and grows by
     * one step a column, accumulated in double as Pillow does; rows alike.
     */
    static int[] nearest(int[] rgb, int w, int h, int nw, int nh) {
        if (nw == w && nh == h) return rgb;
        double sx = (double) w / nw, sy = (double) h / nh;
        int[] column = new int[nw];
        double xo = sx * 0.5;
        // the clamps never act: the accumulated rounding stays far below the half step left at the end
        for (int x = 0; x < nw; x++, xo += sx) column[x] = Math.min((int) xo, w - 1);
        int[] out = new int[3 * nw * nh];
        double yo = sy * 0.5;
        for (int y = 0; y < nh; y++, yo += sy) {
            int inRow = 3 * Math.min((int) yo, h - 1) * w, outRow = 3 * y * nw;
            for (int x = 0; x < nw; x++) System.arraycopy(rgb, inRow + 3 * column[x], out, outRow + 3 * x, 3);
        }
        return out;
    }

    /** Pillow's RGBA to "RGBa": each colour times alpha / 255, rounded as its MULDIV255. */
    static int[] premultiply(int[] rgba) {
        int[] out = new int[rgba.length];
        for (int i = 0; i < rgba.length; i += 4) {
            int a = rgba[i + 3];
            for (int c = 0; c < 3; c++) {
                int t = rgba[i + c] * a + 128;
                out[i + c] = ((t >> 8) + t) >> 8;
            }
            out[i + 3] = a;
        }
        return out;
    }

    /** Pillow's "RGBa" to RGBA (colour * 255 / alpha, truncated and clipped; copied where alpha is 0 or 255), alpha dropped. */
    static int[] unpremultipliedRgb(int[] rgba) {
        int[] out = new int[rgba.length / 4 * 3];
        for (int i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
            int a = rgba[i + 3];
            for (int c = 0; c < 3; c++) out[o + c] = a == 0 || a == 255 ? rgba[i + c] : Math.min(255, 255 * rgba[i + c] / a);
        }
        return out;
    }

    private static int[] dropAlpha(int[] rgba) {
        int[] out = new int[rgba.length / 4 * 3];
        for (int i = 0, o = 0; i < rgba.length; i += 4, o += 3) System.arraycopy(rgba, i, out, o, 3);
        return out;
    }

    private static int clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) return 255;
        if (v <= 0) return 0;
        return v >> PRECISION_BITS;
    }

    /** Pillow's bicubic kernel, a = -0.5. */
    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /** Pillow's precompute_coeffs followed by normalize_coeffs_8bpc. */
    private static final class Coefficients {
        final int ksize;
        final int[] min, count, k;

        private Coefficients(int ksize, int outSize) {
            this.ksize = ksize;
            min = new int[outSize];
            count = new int[outSize];
            k = new int[outSize * ksize];
        }

        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 2.0 * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coefficients c = new Coefficients(ksize, outSize);
            double[] kk = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ww = 0, ss = 1.0 / filterScale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                for (int x = 0; x < xmax; x++) {
                    double v = bicubic((x + xmin - center + 0.5) * ss);
                    kk[x] = v;
                    ww += v;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0 ? kk[x] / ww : kk[x];
                    c.k[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                c.min[xx] = xmin;
                c.count[xx] = xmax;
            }
            return c;
        }
    }
}
