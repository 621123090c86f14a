package jclip.kernels.cpu;

import java.util.Arrays;

/**
 * The plain-Java tile reduction of {@link ContrastiveLoss}, in double with Math.exp (about 10 ns a
 * call on the build machine, a third of the forward's time), one exp per logit where it can:
 * within a tile whose logits (and the log-sum-exps it is measured against) lie within
 * {@value #ONE_EXP_SPREAD} of the tile's maximum M, exp(L − M) in double neither overflows nor
 * underflows, and both the row and the column sums (forward), or both softmax terms
 * exp(L − M)·(exp(M − lseRows_i) + exp(M − lseCols_j)) (backward), are built from it. A tile spread
 * wider (unnormalised features, huge scales) takes two exps per logit, against its row and column
 * maxima, as the reference does.
 */
final class ContrastiveScalarKernel implements ContrastiveTileKernel {
    /** Widest spread of logits in a tile that one exp per logit handles (e^-600 is far above double's e^-708 underflow). */
    static final double ONE_EXP_SPREAD = 600;

    @Override
    public String name() {
        return "scalar (double, Math.exp)";
    }

    @Override
    public void logSumExp(ContrastiveLoss.Scratch s, int rows, int cols, double[] colParts, int at) {
        float[] t = s.tile;
        double[] rowLse = s.rowLse, colSum = s.colSum;
        float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
        for (int e = 0, count = rows * cols; e < count; e++) {
            float v = t[e];
            if (v > max) max = v;
            if (v < min) min = v;
        }
        Arrays.fill(colSum, 0, cols, 0);
        if ((double) max - min <= ONE_EXP_SPREAD) {
            double hi = max;
            for (int i = 0; i < rows; i++) {
                int o = i * cols;
                double rowSum = 0;
                for (int j = 0; j < cols; j++) {
                    double e = Math.exp(t[o + j] - hi);
                    rowSum += e;
                    colSum[j] += e;
                }
                rowLse[i] = ContrastiveLoss.logAddExp(rowLse[i], hi + Math.log(rowSum));
            }
            for (int j = 0; j < cols; j++) colParts[at + j] = hi + Math.log(colSum[j]);
            return;
        }
        // Spread too wide (or NaN): each row against its own maximum, each column against its own.
        double[] colMax = s.colMax;
        Arrays.fill(colMax, 0, cols, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            double rowMax = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                rowMax = Math.max(rowMax, t[o + j]);
                colMax[j] = Math.max(colMax[j], t[o + j]);
            }
            double rowSum = 0;
            for (int j = 0; j < cols; j++) rowSum += Math.exp(t[o + j] - rowMax);
            rowLse[i] = ContrastiveLoss.logAddExp(rowLse[i], rowMax + Math.log(rowSum));
        }
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            for (int j = 0; j < cols; j++) colSum[j] += Math.exp(t[o + j] - colMax[j]);
        }
        for (int j = 0; j < cols; j++) colParts[at + j] = colMax[j] + Math.log(colSum[j]);
    }

    @Override
    public double gradient(ContrastiveLoss.Scratch s, int rows, int cols, float[] lseRows, int r0, float[] lseCols, int c0,
            long label0) {
        float[] t = s.tile;
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0, count = rows * cols; e < count; e++) if (t[e] > max) max = t[e];
        double hi = max, minRow = Double.POSITIVE_INFINITY, minCol = Double.POSITIVE_INFINITY;
        for (int i = 0; i < rows; i++) minRow = Math.min(minRow, lseRows[r0 + i]);
        for (int j = 0; j < cols; j++) minCol = Math.min(minCol, lseCols[c0 + j]);
        double sum = 0;
        if (hi - minRow <= ONE_EXP_SPREAD && hi - minCol <= ONE_EXP_SPREAD) {
            // exp(L − lse) = exp(L − M)·exp(M − lse), every factor within double's range.
            double[] u = s.rowLse, v = s.colSum;
            for (int i = 0; i < rows; i++) u[i] = Math.exp(hi - lseRows[r0 + i]);
            for (int j = 0; j < cols; j++) v[j] = Math.exp(hi - lseCols[c0 + j]);
            for (int i = 0; i < rows; i++) {
                int o = i * cols;
                long label = label0 + i;
                double ui = u[i];
                for (int j = 0; j < cols; j++) {
                    double l = t[o + j];
                    double g = Math.exp(l - hi) * (ui + v[j]);
                    if (j == label) g -= 2;
                    sum += g * l;
                    t[o + j] = (float) g;
                }
            }
            return sum;
        }
        for (int i = 0; i < rows; i++) {
            int o = i * cols;
            long label = label0 + i;
            double lr = lseRows[r0 + i];
            for (int j = 0; j < cols; j++) {
                double l = t[o + j];
                double g = Math.exp(l - lr) + Math.exp(l - lseCols[c0 + j]);
                if (j == label) g -= 2;
                sum += g * l;
                t[o + j] = (float) g;
            }
        }
        return sum;
    }
}
