package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PreprocessTest {
    /** The test pattern, also used to make the Pillow reference values below. */
    private static int pattern(int x, int y, int c) {
        return (x * 37 + y * 91 + c * 53 + ((x * y) % 17) * 13 + (x * x * y) % 29 * 7) % 256;
    }

    private static int[] patternRgb(int w, int h) {
        int[] p = new int[3 * w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) p[3 * (y * w + x) + c] = pattern(x, y, c);
        return p;
    }

    private static BufferedImage image(int[] rgb, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int o = 3 * (y * w + x);
                img.setRGB(x, y, (rgb[o] << 16) | (rgb[o + 1] << 8) | rgb[o + 2]);
            }
        return img;
    }

    // Pillow 9.4 `Image.resize((nw, nh), Image.BICUBIC)` of the pattern, RGB interleaved.
    private static final int[] PIL_11x7_TO_6x4 = {68, 115, 163, 111, 106, 168, 124, 179, 194, 145, 122, 68, 46, 97, 135, 132, 185, 123, 92, 146, 131, 170, 102, 128, 158, 183, 105, 126, 188, 189, 72, 128, 122, 83, 140, 147, 131, 114, 156, 163, 153, 135, 163, 144, 65, 104, 166, 157, 144, 104, 115, 159, 64, 128, 128, 178, 96, 104, 161, 128, 76, 125, 150, 120, 173, 146, 84, 132, 136, 93, 138, 197};
    private static final int[] PIL_5x4_TO_9x7 = {0, 43, 96, 1, 54, 107, 25, 77, 130, 42, 105, 158, 62, 136, 189, 93, 156, 209, 120, 172, 225, 141, 193, 246, 151, 204, 255, 22, 73, 136, 37, 93, 153, 70, 127, 180, 101, 111, 164, 122, 88, 141, 99, 116, 168, 87, 153, 207, 128, 187, 247, 151, 203, 255, 79, 132, 193, 99, 161, 219, 139, 204, 255, 191, 121, 174, 216, 17, 70, 116, 50, 103, 45, 116, 170, 112, 176, 235, 154, 206, 255, 159, 212, 109, 128, 186, 135, 77, 136, 176, 109, 108, 170, 164, 89, 142, 155, 54, 126, 146, 65, 124, 165, 178, 143, 176, 232, 150, 192, 245, 25, 126, 179, 50, 12, 65, 99, 31, 96, 166, 111, 160, 213, 195, 86, 150, 247, 56, 77, 217, 192, 50, 197, 255, 40, 70, 123, 82, 67, 126, 116, 69, 129, 176, 132, 107, 175, 205, 89, 142, 212, 127, 85, 204, 180, 40, 201, 233, 38, 200, 255, 41, 0, 47, 122, 32, 95, 162, 107, 173, 228, 197, 114, 181, 255, 41, 94, 219, 150, 45, 171, 255, 22, 188, 255, 39, 200, 253, 50};
    private static final int[] PIL_7x12_TO_5x8 = {41, 100, 160, 110, 105, 157, 100, 142, 207, 130, 192, 177, 182, 116, 39, 113, 176, 116, 113, 101, 164, 182, 101, 109, 129, 191, 149, 127, 186, 186, 78, 106, 151, 185, 106, 166, 208, 202, 43, 159, 159, 59, 104, 162, 200, 160, 179, 113, 104, 120, 154, 111, 153, 150, 102, 99, 104, 109, 167, 179, 88, 152, 146, 132, 190, 80, 78, 133, 179, 89, 148, 136, 114, 167, 168, 160, 99, 102, 60, 119, 95, 42, 97, 142, 115, 175, 219, 71, 123, 181, 75, 122, 176, 98, 164, 116, 188, 221, 35, 143, 139, 102, 70, 128, 190, 205, 92, 145, 183, 67, 127, 139, 148, 141, 90, 87, 146, 46, 105, 157};

    @Test
    void bicubicResizeMatchesPillow() {
        assertArrayEquals(PIL_11x7_TO_6x4, Preprocess.resize(patternRgb(11, 7), 3, 11, 7, 6, 4), "downscale");
        assertArrayEquals(PIL_5x4_TO_9x7, Preprocess.resize(patternRgb(5, 4), 3, 5, 4, 9, 7), "upscale");
        assertArrayEquals(PIL_7x12_TO_5x8, Preprocess.resize(patternRgb(7, 12), 3, 7, 12, 5, 8), "portrait downscale");
    }

    /**
     * An independent, straightforward version of the same filter in floating point (every input
     * pixel weighted by the widened cubic, weights normalised, rounded after each pass).
     */
    private static int[] referenceResize(int[] src, int w, int h, int nw, int nh) {
        double[][] hw = weights(w, nw), vw = weights(h, nh);
        int[] tmp = new int[3 * nw * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < nw; x++)
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = 0; i < w; i++) s += hw[x][i] * src[3 * (y * w + i) + c];
                    tmp[3 * (y * nw + x) + c] = (int) Math.max(0, Math.min(255, Math.floor(s + 0.5)));
                }
        if (nw == w) tmp = src;
        int[] out = new int[3 * nw * nh];
        for (int y = 0; y < nh; y++)
            for (int x = 0; x < nw; x++)
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = 0; i < h; i++) s += vw[y][i] * tmp[3 * (i * nw + x) + c];
                    out[3 * (y * nw + x) + c] = (int) Math.max(0, Math.min(255, Math.floor(s + 0.5)));
                }
        return nh == h ? tmp : out;
    }

    private static double[][] weights(int in, int out) {
        double scale = (double) in / out, widen = Math.max(1, scale);
        double[][] wts = new double[out][in];
        for (int o = 0; o < out; o++) {
            double centre = (o + 0.5) * scale, sum = 0;
            for (int i = 0; i < in; i++) {
                double t = Math.abs((i + 0.5 - centre) / widen);
                double k = t < 1 ? 1.5 * t * t * t - 2.5 * t * t + 1 : t < 2 ? -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2 : 0;
                wts[o][i] = k;
                sum += k;
            }
            for (int i = 0; i < in; i++) wts[o][i] /= sum;
        }
        return wts;
    }

    @Test
    void bicubicResizeAgreesWithAStraightforwardImplementation() {
        SplittableRandom r = new SplittableRandom(4);
        for (int t = 0; t < 30; t++) {
            int w = 1 + r.nextInt(60), h = 1 + r.nextInt(60), nw = 1 + r.nextInt(60), nh = 1 + r.nextInt(60);
            int[] src = new int[3 * w * h];
            for (int i = 0; i < src.length; i++) src[i] = r.nextInt(256);
            int[] got = Preprocess.resize(src, 3, w, h, nw, nh), want = referenceResize(src, w, h, nw, nh);
            for (int i = 0; i < got.length; i++)
                assertTrue(Math.abs(got[i] - want[i]) <= 1, w + "x" + h + " -> " + nw + "x" + nh + " at " + i + ": " + got[i] + " vs " + want[i]);
        }
    }

    @Test
    void geometryOfResizeAndCentreCrop() {
        assertArrayEquals(new int[] {298, 224}, Preprocess.resizedSize(640, 480, 224)); // int(224 * 640 / 480) = int(298.67)
        assertArrayEquals(new int[] {224, 298}, Preprocess.resizedSize(480, 640, 224));
        assertArrayEquals(new int[] {224, 224}, Preprocess.resizedSize(50, 50, 224));
        assertArrayEquals(new int[] {6, 4}, Preprocess.resizedSize(11, 7, 4));
        assertArrayEquals(new int[] {224, 1344}, Preprocess.resizedSize(100, 600, 224));
        assertArrayEquals(new int[] {5, 8}, Preprocess.resizedSize(7, 12, 5)); // int(8.57)
        // round half to even, as Python's round in torchvision's center_crop
        assertArrayEquals(new int[] {1, 0}, Preprocess.centerCropOrigin(6, 4, 4));
        assertArrayEquals(new int[] {0, 2}, Preprocess.centerCropOrigin(5, 8, 5)); // (8 - 5) / 2 = 1.5 -> 2
        assertArrayEquals(new int[] {0, 0}, Preprocess.centerCropOrigin(5, 6, 5)); // 0.5 -> 0
        assertArrayEquals(new int[] {2, 0}, Preprocess.centerCropOrigin(10, 5, 5)); // 2.5 -> 2
        assertArrayEquals(new int[] {37, 0}, Preprocess.centerCropOrigin(298, 224, 224));
    }

    private static float norm(int v, int c) {
        return (v / 255f - Preprocess.MEAN[c]) / Preprocess.STD[c];
    }

    @Test
    void evalTransformOfNonSquareImages() {
        // landscape 11x7 at R=4: resize to 6x4 (Pillow values above), crop columns 1..4
        float[] out = Preprocess.eval(4).apply(image(patternRgb(11, 7), 11, 7));
        assertEquals(3 * 16, out.length);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 4; y++)
                for (int x = 0; x < 4; x++)
                    assertEquals(norm(PIL_11x7_TO_6x4[3 * (y * 6 + x + 1) + c], c), out[c * 16 + y * 4 + x], 0f, "c" + c + " y" + y + " x" + x);
        // portrait 7x12 at R=5: resize to 5x8, crop rows 2..6 (1.5 rounds to 2)
        out = Preprocess.eval(5).apply(image(patternRgb(7, 12), 7, 12));
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 5; x++)
                    assertEquals(norm(PIL_7x12_TO_5x8[3 * ((y + 2) * 5 + x) + c], c), out[c * 25 + y * 5 + x], 0f);
    }

    @Test
    void normalisationByHand() {
        BufferedImage img = new BufferedImage(9, 5, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 5; y++) for (int x = 0; x < 9; x++) img.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
        float[] out = Preprocess.eval(3).apply(img);
        double[] want = {(200 / 255.0 - 0.48145466) / 0.26862954, (100 / 255.0 - 0.4578275) / 0.26130258, (50 / 255.0 - 0.40821073) / 0.27577711};
        for (int c = 0; c < 3; c++) for (int i = 0; i < 9; i++) assertEquals(want[c], out[c * 9 + i], 1e-5, "channel " + c);
        assertEquals(1.12742, out[0], 1e-5); // (0.784314 - 0.481455) / 0.268630, by hand
    }

    @Test
    void greyImagesAreReadWithoutGammaConversion() {
        BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) grey.getRaster().setSample(x, y, 0, 10 * (4 * y + x));
        float[] out = Preprocess.eval(4).apply(grey);
        for (int c = 0; c < 3; c++) for (int i = 0; i < 16; i++) assertEquals(norm(10 * i, c), out[c * 16 + i], 0f);
    }

    @Test
    void randomResizedCropIsSeededAndWithinRange() {
        BufferedImage img = image(patternRgb(40, 30), 40, 30);
        Preprocess train = Preprocess.train(16);
        assertTrue(train.augments());
        assertArrayEquals(train.apply(img, 5), train.apply(img, 5));
        assertFalse(Arrays.equals(train.apply(img, 5), train.apply(img, 6)));
        for (long seed = 0; seed < 200; seed++) {
            int[] box = Preprocess.randomResizedCropBox(40, 30, new SplittableRandom(seed), 0.9, 1.0, 3.0 / 4, 4.0 / 3);
            int top = box[0], left = box[1], h = box[2], w = box[3];
            assertTrue(top >= 0 && left >= 0 && top + h <= 30 && left + w <= 40, Arrays.toString(box));
            double area = (double) w * h / 1200;
            assertTrue(area > 0.85 && area <= 1.0, "area fraction " + area);
        }
        // a box that never fits falls back to the centre, clamped to the ratio range: w = round(10 * 4/3), left = (60 - 13) // 2
        assertArrayEquals(new int[] {0, 23, 10, 13}, Preprocess.randomResizedCropBox(60, 10, new SplittableRandom(1), 0.99, 1.0, 3.0 / 4, 4.0 / 3));
        // a constant image stays constant whatever the crop
        BufferedImage flat = new BufferedImage(20, 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 12; y++) for (int x = 0; x < 20; x++) flat.setRGB(x, y, 0x336699);
        float[] out = train.apply(flat, 3);
        for (int c = 0; c < 3; c++) for (int i = 0; i < 256; i++) assertEquals(norm(new int[] {0x33, 0x66, 0x99}[c], c), out[c * 256 + i], 0f);
    }
}
