package jclip.kernels.cpu;

/**
 * The symmetric contrastive loss's kernels over the logits L = scale·a·bᵀ (see
 * jclip.kernels.Kernels#contrastiveLogSumExp and #contrastiveBackward): the reference, which
 * accumulates in double one logit at a time, and what CpuKernels runs.
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    public static void logSumExp(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols) {
        logSumExpReference(a, ao, b, bo, n, m, d, scale, lseRows, lseCols);
    }

    public static void backward(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale) {
        backwardReference(a, ao, b, bo, n, m, d, scale, lseRows, lseCols, diagonalOffset, coefficient, ga, gb, gScale);
    }

    private static double logit(float[] a, int ao, float[] b, int bo, int d, float scale, int i, int j) {
        double dot = 0;
        for (int c = 0; c < d; c++) dot += (double) a[ao + i * d + c] * b[bo + j * d + c];
        return scale * dot;
    }

    public static void logSumExpReference(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols) {
        double[] logits = new double[m];
        double[] colMax = new double[m], colSum = new double[m];
        java.util.Arrays.fill(colMax, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < m; j++) max = Math.max(max, logits[j] = logit(a, ao, b, bo, d, scale, i, j));
            double sum = 0;
            for (int j = 0; j < m; j++) {
                sum += Math.exp(logits[j] - max);
                // Online column log-sum-exp: rescale the running sum when the column's maximum grows.
                if (logits[j] > colMax[j]) {
                    colSum[j] = colSum[j] * Math.exp(colMax[j] - logits[j]) + 1;
                    colMax[j] = logits[j];
                } else {
                    colSum[j] += Math.exp(logits[j] - colMax[j]);
                }
            }
            lseRows[i] = (float) (max + Math.log(sum));
        }
        for (int j = 0; j < m; j++) lseCols[j] = (float) (n == 0 ? Double.NEGATIVE_INFINITY : colMax[j] + Math.log(colSum[j]));
    }

    public static void backwardReference(float[] a, int ao, float[] b, int bo, int n, int m, int d, float scale,
            float[] lseRows, float[] lseCols, int diagonalOffset, float coefficient, float[] ga, float[] gb, float[] gScale) {
        double[] gaAcc = new double[n * d], gbAcc = new double[m * d];
        double dScale = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) {
                double l = logit(a, ao, b, bo, d, scale, i, j);
                double g = Math.exp(l - lseRows[i]) + Math.exp(l - lseCols[j]) - (j == i + diagonalOffset ? 2 : 0);
                dScale += g * l;
                for (int c = 0; c < d; c++) {
                    gaAcc[i * d + c] += g * b[bo + j * d + c];
                    gbAcc[j * d + c] += g * a[ao + i * d + c];
                }
            }
        double factor = (double) coefficient * scale;
        for (int e = 0; e < n * d; e++) ga[e] = (float) (factor * gaAcc[e]);
        if (gb != null) for (int e = 0; e < m * d; e++) gb[e] = (float) (factor * gbAcc[e]);
        gScale[0] = (float) (coefficient * dScale);
    }
}
