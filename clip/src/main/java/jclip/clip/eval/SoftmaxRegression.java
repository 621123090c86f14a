package jclip.clip.eval;

import java.util.Arrays;
import jclip.kernels.cpu.Parallel;

/**
 * Softmax regression on standardised rows z [n, d] with labels among c classes, the problem
 * {@link LinearProbe} solves: f(θ) = mean cross-entropy + λ/2·‖W‖² and its gradient, for θ = W
 * [c, d] row-major followed by b [c]. Every reduction runs in a fixed order, so f and ∇f do not
 * depend on the number of threads.
 */
final class SoftmaxRegression {
    /** Columns of the weight gradient per parallel task, at most. */
    private static final int COLUMN_BLOCK = 128;

    private final double[] z;
    private final int[] y;
    private final int n, d;
    final int c;
    final int[] present; // compact class -> original class
    private final double[] residual; // [n, c]: softmax − one-hot
    private final double[] rowLoss; // [n]

    private SoftmaxRegression(double[] z, int[] y, int n, int d, int[] present) {
        this.z = z;
        this.y = y;
        this.n = n;
        this.d = d;
        this.c = present.length;
        this.present = present;
        this.residual = new double[n * c];
        this.rowLoss = new double[n];
    }

    /** The number of parameters: c·d weights and c biases. */
    int size() {
        return c * d + c;
    }

    /** f(θ), with ∇f written to grad. */
    double evaluate(double[] theta, double lambda, double[] grad) {
        int bo = c * d;
        Parallel.forRange(n, (long) c * d, (from, to) -> {
            double[] logits = new double[c];
            for (int i = from; i < to; i++) {
                logits(theta, c, d, z, i * d, logits);
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) max = Math.max(max, logits[k]);
                double own = logits[y[i]], sum = 0;
                for (int k = 0; k < c; k++) {
                    double e = Math.exp(logits[k] - max);
                    logits[k] = e;
                    sum += e;
                }
                rowLoss[i] = Math.log(sum) + max - own;
                int ro = i * c;
                for (int k = 0; k < c; k++) residual[ro + k] = logits[k] / sum;
                residual[ro + y[i]] -= 1;
            }
        });
        double loss = 0, penalty = 0;
        for (int i = 0; i < n; i++) loss += rowLoss[i];
        for (int k = 0; k < bo; k++) penalty += theta[k] * theta[k];
        double invN = 1.0 / n;
        // ∂f/∂W = residualᵀ·z / n + λW, by tiles of (classes × columns); every entry sums over
        // the rows in order, so the tiling (which follows the thread count) changes nothing.
        int width = Math.min(d, COLUMN_BLOCK), columnBlocks = (d + width - 1) / width;
        int classGroups = Math.min(c, Math.max(1, (2 * Parallel.threads() + columnBlocks - 1) / columnBlocks));
        int perGroup = (c + classGroups - 1) / classGroups;
        int tiles = columnBlocks * ((c + perGroup - 1) / perGroup);
        Parallel.forRange(tiles, (long) n * perGroup * width, (from, to) -> {
            for (int tile = from; tile < to; tile++) {
                int j0 = (tile % columnBlocks) * width, j1 = Math.min(d, j0 + width);
                int k0 = (tile / columnBlocks) * perGroup, k1 = Math.min(c, k0 + perGroup);
                for (int k = k0; k < k1; k++) Arrays.fill(grad, k * d + j0, k * d + j1, 0);
                for (int i = 0; i < n; i++) {
                    int zo = i * d, ro = i * c;
                    for (int k = k0; k < k1; k++) {
                        double r = residual[ro + k];
                        if (r == 0) continue;
                        int go = k * d;
                        for (int j = j0; j < j1; j++) grad[go + j] += r * z[zo + j];
                    }
                }
                for (int k = k0; k < k1; k++)
                    for (int j = j0; j < j1; j++) grad[k * d + j] = grad[k * d + j] * invN + lambda * theta[k * d + j];
            }
        });
        Arrays.fill(grad, bo, bo + c, 0);
        for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) grad[bo + k] += residual[i * c + k];
        for (int k = 0; k < c; k++) grad[bo + k] *= invN;
        return loss * invN + 0.5 * lambda * penalty;
    }

    /** How many rows of zv [m, d] the parameters classify as their (original) label. */
    int countCorrect(double[] theta, double[] zv, int[] labels) {
        int m = labels.length;
        int[] hit = new int[m];
        Parallel.forRange(m, (long) c * d, (from, to) -> {
            double[] logits = new double[c];
            for (int i = from; i < to; i++) {
                logits(theta, c, d, zv, i * d, logits);
                hit[i] = present[argmax(logits, c)] == labels[i] ? 1 : 0;
            }
        });
        int total = 0;
        for (int h : hit) total += h;
        return total;
    }

    /**
     * The problem on the given rows of x, standardised with mean and scale; only classes present
     * in the rows are modelled (compact indices, mapped back by {@link #present}).
     */
    static SoftmaxRegression of(float[][] x, int[] y, int[] rows, int classes, double[] mean, double[] scale) {
        // Only classes present in the rows are modelled; the others get bias -inf.
        int[] compact = new int[classes];
        Arrays.fill(compact, -1);
        for (int i : rows) compact[y[i]] = 0;
        int c = 0;
        for (int k = 0; k < classes; k++) if (compact[k] == 0) compact[k] = c++;
        int[] present = new int[c];
        for (int k = 0; k < classes; k++) if (compact[k] >= 0) present[compact[k]] = k;
        int[] labels = new int[rows.length];
        for (int r = 0; r < rows.length; r++) labels[r] = compact[y[rows[r]]];
        return new SoftmaxRegression(LinearProbe.standardise(x, rows, mean, scale), labels, rows.length, mean.length, present);
    }

    /**
     * out[k] = b[k] + W[k]·z[zo .. zo+d) for θ = (W [c, d], b [c]): four classes at a time, or
     * four partial sums for the rest, so the additions do not wait on one another.
     */
    private static void logits(double[] theta, int c, int d, double[] z, int zo, double[] out) {
        int bo = c * d, k = 0;
        for (; k + 4 <= c; k += 4) {
            int w0 = k * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int j = 0; j < d; j++) {
                double v = z[zo + j];
                s0 += theta[w0 + j] * v;
                s1 += theta[w1 + j] * v;
                s2 += theta[w2 + j] * v;
                s3 += theta[w3 + j] * v;
            }
            out[k] = theta[bo + k] + s0;
            out[k + 1] = theta[bo + k + 1] + s1;
            out[k + 2] = theta[bo + k + 2] + s2;
            out[k + 3] = theta[bo + k + 3] + s3;
        }
        for (; k < c; k++) {
            int wo = k * d, j = 0;
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (; j + 4 <= d; j += 4) {
                s0 += theta[wo + j] * z[zo + j];
                s1 += theta[wo + j + 1] * z[zo + j + 1];
                s2 += theta[wo + j + 2] * z[zo + j + 2];
                s3 += theta[wo + j + 3] * z[zo + j + 3];
            }
            for (; j < d; j++) s0 += theta[wo + j] * z[zo + j];
            out[k] = theta[bo + k] + ((s0 + s1) + (s2 + s3));
        }
    }

    /** The index of the largest of v[0 .. n) (the first on ties). */
    static int argmax(double[] v, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) if (v[k] > v[best]) best = k;
        return best;
    }
}
