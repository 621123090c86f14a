package jclip.clip.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LinearProbeTest {
    /** Gaussian blobs: class k ~ N(separation · e_k, I) in d dimensions, perClass examples each, shuffled. */
    record Blobs(float[][] x, int[] y, double[][] means) {}

    static Blobs blobs(int classes, int d, int perClass, double separation, long seed) {
        Random rng = new Random(seed);
        double[][] means = new double[classes][d];
        for (int k = 0; k < classes; k++) means[k][k % d] = separation;
        int n = classes * perClass;
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
            for (int j = 0; j < d; j++) x[i][j] = (float) (means[y[i]][j] + rng.nextGaussian());
        }
        return new Blobs(x, y, means);
    }

    /** Accuracy of the Bayes classifier (the nearest true mean, as covariances are I and priors equal). */
    static double bayesAccuracy(Blobs b) {
        int right = 0;
        for (int i = 0; i < b.x.length; i++) {
            int best = -1;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int k = 0; k < b.means.length; k++) {
                double dist = 0;
                for (int j = 0; j < b.x[i].length; j++) dist += Math.pow(b.x[i][j] - b.means[k][j], 2);
                if (dist < bestDist) {
                    bestDist = dist;
                    best = k;
                }
            }
            if (best == b.y[i]) right++;
        }
        return (double) right / b.x.length;
    }

    /** The gradient of mean cross-entropy + λ/2‖W‖² at a model, computed here from its parts: {∂W..., ∂b...}. */
    static double[] gradient(LinearProbe.Model model, float[][] x, int[] y) {
        double[][] w = model.weights();
        double[] b = model.bias(), mean = model.mean(), scale = model.scale();
        int c = w.length, d = mean.length, n = x.length;
        double[] g = new double[c * d + c];
        for (int i = 0; i < n; i++) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) z[j] = (x[i][j] - mean[j]) / scale[j];
            double[] p = new double[c];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < c; k++) {
                p[k] = b[k];
                for (int j = 0; j < d; j++) p[k] += w[k][j] * z[j];
                max = Math.max(max, p[k]);
            }
            for (int k = 0; k < c; k++) sum += p[k] = Math.exp(p[k] - max);
            for (int k = 0; k < c; k++) {
                double r = p[k] / sum - (k == y[i] ? 1 : 0);
                for (int j = 0; j < d; j++) g[k * d + j] += r * z[j] / n;
                g[c * d + k] += r / n;
            }
        }
        for (int k = 0; k < c; k++) for (int j = 0; j < d; j++) g[k * d + j] += model.lambda() * w[k][j];
        return g;
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    @Test
    void separableBlobsAreClassifiedAlmostPerfectly() {
        Blobs train = blobs(5, 20, 60, 8, 1), test = blobs(5, 20, 100, 8, 2);
        LinearProbe.Result r = LinearProbe.evaluate(train.x, train.y, test.x, test.y, 5, 0.2, 7);
        assertTrue(r.testAccuracy() > 0.95, "accuracy " + r.testAccuracy());
        for (double a : r.perClassAccuracy()) assertTrue(a > 0.9, "per-class " + Arrays.toString(r.perClassAccuracy()));
        assertEquals(9 + 4, r.sweep().size(), "coarse grid plus two refinements of two points");
        for (int i = 1; i < r.sweep().size(); i++) assertTrue(r.sweep().get(i)[0] > r.sweep().get(i - 1)[0], "sweep sorted by λ");
        assertTrue(r.validationAccuracy() > 0.95);
    }

    @Test
    void overlappingBlobsComeCloseToTheBayesRate() {
        Blobs train = blobs(5, 20, 300, 1.5, 3), test = blobs(5, 20, 600, 1.5, 4);
        LinearProbe.Result r = LinearProbe.evaluate(train.x, train.y, test.x, test.y, 5, 0.2, 11);
        double bayes = bayesAccuracy(test);
        assertTrue(bayes > 0.4 && bayes < 0.8, "the problem should overlap, Bayes accuracy " + bayes);
        assertTrue(r.testAccuracy() <= bayes + 0.02, "probe " + r.testAccuracy() + " beats Bayes " + bayes + " by too much");
        assertTrue(r.testAccuracy() >= bayes - 0.04, "probe " + r.testAccuracy() + " far below Bayes " + bayes);
    }

    @Test
    void solutionSatisfiesTheOptimalityCondition() {
        Blobs data = blobs(4, 10, 50, 1.0, 5);
        for (double lambda : new double[] {1e-3, 1e-1}) {
            LinearProbe.Model m = LinearProbe.fit(data.x, data.y, 4, lambda);
            assertTrue(m.converged(), "L-BFGS did not converge at λ = " + lambda);
            assertTrue(m.gradientNorm() <= 1e-6, "reported gradient " + m.gradientNorm());
            double g = maxAbs(gradient(m, data.x, data.y));
            assertTrue(g < 1e-6, "independent gradient " + g + " at λ = " + lambda);
            // Zero bias gradient means predicted class frequencies match the observed ones.
            double[] b = m.bias();
            double sum = 0;
            for (double v : b) sum += v;
            assertEquals(0, sum, 1e-9, "L-BFGS from zero keeps the biases summing to zero");
        }
    }

    @Test
    void strongerRegularisationShrinksTheWeights() {
        Blobs data = blobs(3, 8, 40, 1.5, 6);
        double[] lambdas = {1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100};
        double[] norms = new double[lambdas.length];
        LinearProbe.Model strongest = null;
        for (int i = 0; i < lambdas.length; i++) {
            strongest = LinearProbe.fit(data.x, data.y, 3, lambdas[i]);
            norms[i] = strongest.weightNorm();
            if (i > 0) assertTrue(norms[i] < norms[i - 1], "‖W‖ " + Arrays.toString(norms) + " for λ " + Arrays.toString(lambdas));
        }
        // For large λ, W → −∇W(loss at 0)/λ, which for balanced classes is (class mean of z) / (classes · λ).
        double[] mean = strongest.mean(), scale = strongest.scale();
        double[][] w = strongest.weights();
        double diff = 0;
        for (int k = 0; k < 3; k++) {
            double[] centroid = new double[8];
            int count = 0;
            for (int i = 0; i < data.x.length; i++) {
                if (data.y[i] != k) continue;
                count++;
                for (int j = 0; j < 8; j++) centroid[j] += (data.x[i][j] - mean[j]) / scale[j];
            }
            for (int j = 0; j < 8; j++) diff += Math.pow(w[k][j] - centroid[j] / count / (3 * 100.0), 2);
        }
        assertTrue(Math.sqrt(diff) < 0.02 * norms[6], "λ = 100 is not near the centroid limit: off by " + Math.sqrt(diff) + " of " + norms[6]);
    }

    /**
     * Blobs as {@link #blobs} plus a strong shared nuisance: noise of standard deviation
     * {@code nuisance} along one fixed direction, which the best linear classifier must learn to
     * ignore (the heavily regularised limit, nearest centroid, cannot).
     */
    static Blobs nuisanceBlobs(int classes, int d, int perClass, double separation, double nuisance, long seed) {
        Random directions = new Random(12345);
        double[] v = new double[d];
        double norm = 0;
        for (int j = 0; j < d; j++) norm += (v[j] = directions.nextGaussian()) * v[j];
        for (int j = 0; j < d; j++) v[j] /= Math.sqrt(norm);
        Blobs b = blobs(classes, d, perClass, separation, seed);
        Random rng = new Random(~seed);
        for (float[] row : b.x) {
            double g = nuisance * rng.nextGaussian();
            for (int j = 0; j < d; j++) row[j] += (float) (g * v[j]);
        }
        return b;
    }

    @Test
    void littleNoisyDataGetsStrongerRegularisationThanPlentyOfData() {
        // Validation on ~8 examples is noisy, so compare the choices over several draws.
        int draws = 5, larger = 0;
        double[] tinyLog = new double[draws], plentyLog = new double[draws];
        for (int seed = 0; seed < draws; seed++) {
            Blobs test = nuisanceBlobs(4, 20, 50, 1.5, 12, 100 + seed);
            Blobs tiny = nuisanceBlobs(4, 20, 8, 1.5, 12, 200 + seed);
            Blobs plenty = nuisanceBlobs(4, 20, 400, 1.5, 12, 300 + seed);
            LinearProbe.Result small = LinearProbe.evaluate(tiny.x, tiny.y, test.x, test.y, 4, 0.3, seed);
            LinearProbe.Result large = LinearProbe.evaluate(plenty.x, plenty.y, test.x, test.y, 4, 0.3, seed);
            tinyLog[seed] = Math.log10(small.bestLambda());
            plentyLog[seed] = Math.log10(large.bestLambda());
            if (small.bestLambda() > large.bestLambda()) larger++;
            assertTrue(large.testAccuracy() > small.testAccuracy(), "more data should help");
        }
        Arrays.sort(tinyLog);
        Arrays.sort(plentyLog);
        String report = "log10 λ with tiny data " + Arrays.toString(tinyLog) + ", with plenty " + Arrays.toString(plentyLog);
        assertTrue(tinyLog[draws / 2] >= plentyLog[draws / 2] + 1, "median choices less than a decade apart: " + report);
        assertTrue(larger >= draws - 1, "tiny data chose the larger λ only " + larger + " of " + draws + " times: " + report);
    }

    @Test
    void sameSeedSameResult() {
        Blobs train = blobs(3, 6, 30, 1.0, 8), test = blobs(3, 6, 30, 1.0, 9);
        LinearProbe.Result a = LinearProbe.evaluate(train.x, train.y, test.x, test.y, 3, 0.25, 42);
        LinearProbe.Result b = LinearProbe.evaluate(train.x, train.y, test.x, test.y, 3, 0.25, 42);
        assertEquals(a.testAccuracy(), b.testAccuracy());
        assertEquals(a.bestLambda(), b.bestLambda());
        assertEquals(a.validationAccuracy(), b.validationAccuracy());
        assertEquals(a.sweep().size(), b.sweep().size());
        for (int i = 0; i < a.sweep().size(); i++) assertArrayEquals(a.sweep().get(i), b.sweep().get(i));
        assertArrayEquals(a.perClassAccuracy(), b.perClassAccuracy());
        for (int k = 0; k < 3; k++) assertArrayEquals(a.model().weights()[k], b.model().weights()[k]);

        // The tensor overloads see the same numbers.
        float[] flat = new float[train.x.length * 6], flatTest = new float[test.x.length * 6];
        for (int i = 0; i < train.x.length; i++) System.arraycopy(train.x[i], 0, flat, i * 6, 6);
        for (int i = 0; i < test.x.length; i++) System.arraycopy(test.x[i], 0, flatTest, i * 6, 6);
        try (Tensor tx = Tensor.of(flat, train.x.length, 6); Tensor ex = Tensor.of(flatTest, test.x.length, 6)) {
            LinearProbe.Result c = LinearProbe.evaluate(tx, train.y, ex, test.y, 3, 0.25, 42);
            assertEquals(a.testAccuracy(), c.testAccuracy());
            assertEquals(a.bestLambda(), c.bestLambda());
            assertArrayEquals(a.model().predict(test.x), c.model().predict(ex));
        }
    }

    @Test
    void matchesPlainGradientDescent() {
        Blobs data = blobs(3, 3, 8, 1.0, 10);
        double lambda = 0.05;
        LinearProbe.Model m = LinearProbe.fit(data.x, data.y, 3, lambda);

        // Independent fit: standardise by the population statistics, then gradient descent from zero.
        int n = data.x.length, d = 3, c = 3;
        double[][] z = new double[n][d];
        double maxSq = 0;
        for (int j = 0; j < d; j++) {
            double mean = 0, var = 0;
            for (float[] row : data.x) mean += row[j];
            mean /= n;
            for (float[] row : data.x) var += (row[j] - mean) * (row[j] - mean);
            double sd = Math.sqrt(var / n);
            for (int i = 0; i < n; i++) z[i][j] = (data.x[i][j] - mean) / sd;
        }
        for (double[] row : z) maxSq = Math.max(maxSq, Arrays.stream(row).map(v -> v * v).sum() + 1);
        double step = 1 / (maxSq + lambda);
        double[][] w = new double[c][d];
        double[] b = new double[c];
        for (int it = 0; it < 200_000; it++) {
            double[][] gw = new double[c][d];
            double[] gb = new double[c];
            for (int i = 0; i < n; i++) {
                double[] p = new double[c];
                double sum = 0;
                for (int k = 0; k < c; k++) {
                    p[k] = b[k];
                    for (int j = 0; j < d; j++) p[k] += w[k][j] * z[i][j];
                }
                double max = Arrays.stream(p).max().orElseThrow();
                for (int k = 0; k < c; k++) sum += p[k] = Math.exp(p[k] - max);
                for (int k = 0; k < c; k++) {
                    double r = p[k] / sum - (k == data.y[i] ? 1 : 0);
                    for (int j = 0; j < d; j++) gw[k][j] += r * z[i][j] / n;
                    gb[k] += r / n;
                }
            }
            double gmax = 0;
            for (int k = 0; k < c; k++) {
                for (int j = 0; j < d; j++) {
                    gw[k][j] += lambda * w[k][j];
                    gmax = Math.max(gmax, Math.abs(gw[k][j]));
                    w[k][j] -= step * gw[k][j];
                }
                gmax = Math.max(gmax, Math.abs(gb[k]));
                b[k] -= step * gb[k];
            }
            if (gmax < 1e-11) break;
        }
        double[][] fitted = m.weights();
        double[] fittedBias = m.bias();
        double meanB = Arrays.stream(b).average().orElseThrow(), meanFitted = Arrays.stream(fittedBias).average().orElseThrow();
        for (int k = 0; k < c; k++) {
            assertArrayEquals(w[k], fitted[k], 1e-5, "weights of class " + k);
            assertEquals(b[k] - meanB, fittedBias[k] - meanFitted, 1e-5, "bias of class " + k);
        }
    }

    @Test
    void stratifiedSplitIsSeededDisjointAndBalanced() {
        int[] labels = new int[103];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 4 == 3 ? 3 : i % 3; // uneven classes
        labels[0] = 4; // a class with a single example stays in training
        int[][] a = LinearProbe.stratifiedSplit(labels, 5, 0.2, 1), b = LinearProbe.stratifiedSplit(labels, 5, 0.2, 1);
        assertArrayEquals(a[0], b[0]);
        assertArrayEquals(a[1], b[1]);
        Set<Integer> seen = new HashSet<>();
        for (int[] part : a) for (int i : part) assertTrue(seen.add(i), "index " + i + " in both parts");
        assertEquals(labels.length, seen.size());
        int[] all = new int[5], val = new int[5];
        for (int y : labels) all[y]++;
        for (int i : a[1]) val[labels[i]]++;
        for (int k = 0; k < 4; k++) assertEquals(Math.round(all[k] * 0.2), val[k], "class " + k);
        assertEquals(0, val[4]);
        int[][] other = LinearProbe.stratifiedSplit(labels, 5, 0.2, 2);
        assertNotEquals(Arrays.toString(a[1]), Arrays.toString(other[1]), "another seed, another split");
    }

    @Test
    void classesWithoutTrainingExamplesAreNeverPredicted() {
        Blobs data = blobs(3, 4, 20, 3, 12);
        int[] y = data.y.clone(); // labels 0..2 of 4 classes: class 3 has no example
        LinearProbe.Model m = LinearProbe.fit(data.x, y, 4, 1e-2);
        assertEquals(Double.NEGATIVE_INFINITY, m.bias()[3]);
        for (int p : m.predict(data.x)) assertTrue(p < 3);
        assertTrue(m.converged());
        assertTrue(m.accuracy(data.x, y) > 0.9);
    }

    @Test
    void rejectsBadInput() {
        float[][] x = {{1, 2}, {3, 4}};
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.fit(x, new int[] {0, 2}, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.fit(x, new int[] {0}, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.fit(new float[][] {{1, Float.NaN}, {0, 0}}, new int[] {0, 1}, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> LinearProbe.evaluate(x, new int[] {0, 1}, x, new int[] {0, 1}, 2, 0.5, 1));
    }
}
