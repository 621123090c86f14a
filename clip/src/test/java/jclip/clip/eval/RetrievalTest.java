package jclip.clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RetrievalTest {
    private static Tensor tensor(double[][] rows) {
        int n = rows.length, d = rows[0].length;
        float[] flat = new float[n * d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) flat[i * d + j] = (float) rows[i][j];
        return Tensor.of(flat, n, d);
    }

    private static double[][] identity(int n) {
        double[][] e = new double[n][n];
        for (int i = 0; i < n; i++) e[i][i] = 1;
        return e;
    }

    /** Row i: the values 10, 9, …, 1 rotated so that column i gets 8, the third highest. */
    private static double[][] correctIsThird(int n) {
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) s[i][j] = n - Math.floorMod(j - i + 2, n);
        return s;
    }

    /** Conservative ranks computed plainly in double: wrong items scoring at least the best correct one. */
    private static int[][] referenceRanks(double[][] img, double[][] txt, int[] owner) {
        int n = img.length, m = txt.length;
        double[][] s = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < m; t++) {
                double dot = 0, a = 0, b = 0;
                for (int j = 0; j < img[i].length; j++) {
                    dot += img[i][j] * txt[t][j];
                    a += img[i][j] * img[i][j];
                    b += txt[t][j] * txt[t][j];
                }
                s[i][t] = dot / Math.sqrt(a * b);
            }
        }
        int[] i2t = new int[n], t2i = new int[m];
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < m; t++) if (owner[t] == i) best = Math.max(best, s[i][t]);
            for (int t = 0; t < m; t++) if (owner[t] != i && s[i][t] >= best) i2t[i]++;
        }
        for (int t = 0; t < m; t++) for (int i = 0; i < n; i++) if (i != owner[t] && s[i][t] >= s[owner[t]][t]) t2i[t]++;
        return new int[][] {i2t, t2i};
    }

    @Test
    void identicalFeaturesGivePerfectRecall() {
        try (Tensor img = tensor(identity(12)); Tensor txt = tensor(identity(12))) {
            Retrieval.Result r = Retrieval.evaluate(img, txt);
            assertArrayEquals(new double[] {1, 1, 1}, r.imageToText());
            assertArrayEquals(new double[] {1, 1, 1}, r.textToImage());
            assertArrayEquals(new int[12], r.imageToTextRanks());
        }
    }

    @Test
    void correctItemThirdGivesRecallAtOneZeroAndAtFiveOne() {
        // Image rows carry the scores against one-hot texts; every row and column is a rotation of
        // the same values, so normalisation keeps the correct item third in both directions.
        int n = 10;
        try (Tensor img = tensor(correctIsThird(n)); Tensor txt = tensor(identity(n))) {
            Retrieval.Result r = Retrieval.evaluate(img, txt);
            assertArrayEquals(new double[] {0, 1, 1}, r.imageToText());
            assertArrayEquals(new double[] {0, 1, 1}, r.textToImage());
            int[] twos = new int[n];
            java.util.Arrays.fill(twos, 2);
            assertArrayEquals(twos, r.imageToTextRanks());
            assertArrayEquals(twos, r.textToImageRanks());
        }
    }

    @Test
    void severalCaptionsPerImage() {
        // Texts are one-hot, so an image's row is its score against each caption (up to a positive factor).
        int[] owner = {0, 0, 1, 1, 2, 2};
        double[][] img = {
                {5, 1, 6, 0, 0, 0}, // best own caption 5; caption 2 (image 1) scores 6: rank 1
                {0, 0, 3, 4, 0, 0}, // own captions win: rank 0
                {7, 7, 7, 0, 0, 1}, // own best is 1; three wrong captions beat it: rank 3
        };
        try (Tensor i = tensor(img); Tensor t = tensor(identity(6))) {
            Retrieval.Result r = Retrieval.evaluate(i, t, owner);
            assertArrayEquals(new int[] {1, 0, 3}, r.imageToTextRanks());
            assertArrayEquals(new double[] {1 / 3.0, 1, 1}, r.imageToText(), 1e-12);
        }
        // Text to image, with one-hot images: a text's row is its score against each image.
        double[][] txt = {
                {1, 0, 0}, // image 0: rank 0
                {2, 3, 0}, // image 0, image 1 higher: rank 1
                {0, 1, 0}, // image 1: rank 0
                {1, 1, 1}, // image 1, tied with both others: rank 2
                {9, 8, 7}, // image 2, both others higher: rank 2
                {0, 0, 0}, // nothing at all: every score is 0, a tie with both others: rank 2
        };
        try (Tensor i = tensor(identity(3)); Tensor t = tensor(txt)) {
            Retrieval.Result r = Retrieval.evaluate(i, t, owner);
            assertArrayEquals(new int[] {0, 1, 0, 2, 2, 2}, r.textToImageRanks());
            assertArrayEquals(new double[] {2 / 6.0, 1, 1}, r.textToImage(), 1e-12);
        }
    }

    @Test
    void tiesCountAgainstTheQuery() {
        // Every feature is the same (exactly representable) unit vector: all scores tie, so every
        // query ranks behind all wrong items.
        int n = 12;
        double[][] same = new double[n][4];
        for (double[] row : same) java.util.Arrays.fill(row, 0.5);
        try (Tensor img = tensor(same); Tensor txt = tensor(same)) {
            Retrieval.Result r = Retrieval.evaluate(img, txt);
            assertArrayEquals(new double[] {0, 0, 0}, r.imageToText());
            assertArrayEquals(new double[] {0, 0, 0}, r.textToImage());
            int[] last = new int[n];
            java.util.Arrays.fill(last, n - 1);
            assertArrayEquals(last, r.imageToTextRanks());
        }
        // Two identical images: image 1 scores 0 with its own caption, as much as caption 2 and less than caption 0.
        double[][] img = {{1, 0, 0}, {1, 0, 0}, {0, 0, 1}};
        double[][] txt = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        try (Tensor i = tensor(img); Tensor t = tensor(txt)) {
            Retrieval.Result r = Retrieval.evaluate(i, t);
            assertArrayEquals(new int[] {0, 2, 0}, r.imageToTextRanks());
            assertArrayEquals(new int[] {1, 2, 0}, r.textToImageRanks()); // text 0 ties images 0 and 1; text 1 scores 0 everywhere
        }
    }

    @Test
    void chunkingMatchesTheWholeMatrixAndAPlainReference() {
        Random rng = new Random(3);
        int n = 37, m = 97, d = 16;
        double[][] img = new double[n][d], txt = new double[m][d];
        int[] owner = new int[m];
        for (int t = 0; t < m; t++) owner[t] = t < n ? t : rng.nextInt(n);
        for (double[] row : img) for (int j = 0; j < d; j++) row[j] = rng.nextGaussian();
        for (int t = 0; t < m; t++) for (int j = 0; j < d; j++) txt[t][j] = 0.7 * img[owner[t]][j] + rng.nextGaussian();
        int[][] ref = referenceRanks(img, txt, owner);
        try (Tensor i = tensor(img); Tensor t = tensor(txt)) {
            Retrieval.Result whole = Retrieval.evaluate(i, t, owner, 1000);
            assertArrayEquals(ref[0], whole.imageToTextRanks());
            assertArrayEquals(ref[1], whole.textToImageRanks());
            for (int chunk : new int[] {1, 5, 16}) {
                Retrieval.Result r = Retrieval.evaluate(i, t, owner, chunk);
                assertArrayEquals(whole.imageToTextRanks(), r.imageToTextRanks(), "chunk " + chunk);
                assertArrayEquals(whole.textToImageRanks(), r.textToImageRanks(), "chunk " + chunk);
                assertArrayEquals(whole.imageToText(), r.imageToText());
                assertArrayEquals(whole.textToImage(), r.textToImage());
            }
        }
    }

    @Test
    void rejectsBadMaps() {
        try (Tensor i = tensor(identity(3)); Tensor t = tensor(identity(3))) {
            assertThrows(IllegalArgumentException.class, () -> Retrieval.evaluate(i, t, new int[] {0, 0, 1})); // image 2 has no caption
            assertThrows(IllegalArgumentException.class, () -> Retrieval.evaluate(i, t, new int[] {0, 1, 3}));
            assertThrows(IllegalArgumentException.class, () -> Retrieval.evaluate(i, t, new int[] {0, 1}));
        }
    }
}
