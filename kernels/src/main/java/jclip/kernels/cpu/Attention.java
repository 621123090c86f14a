package jclip.kernels.cpu;

import jclip.kernels.AttentionShape;

/**
 * Scaled dot-product attention (see {@link AttentionShape}) on float arrays: the reference, which
 * forms each query row's scores and accumulates in double, and what CpuKernels runs.
 */
public final class Attention {
    private Attention() {}

    public static void forward(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse) {
        reference(s, q, qo, k, ko, v, vo, mask, out, lse);
    }

    public static void backward(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse, float[] gOut, float[] gq, float[] gk, float[] gv) {
        backwardReference(s, q, qo, k, ko, v, vo, mask, gOut, gq, gk, gv);
    }

    /** The score of query i against key j in pair (b, h), before the softmax; −∞ where hidden. */
    private static double score(AttentionShape s, float[] q, int qRow, float[] k, int kRow, float[] mask, int b, int h, int i, int j) {
        if (s.causal() && j > i) return Double.NEGATIVE_INFINITY;
        double dot = 0;
        for (int c = 0; c < s.headDim(); c++) dot += (double) q[qRow + c] * k[kRow + c];
        double score = s.scale() * dot;
        return mask == null ? score : score + mask[s.maskIndex(b, h, i, j)];
    }

    /** softmax(scores)·v and the log-sum-exp, row by row, in double. */
    public static void reference(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim();
        double[] p = new double[lk];
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.heads(); h++) {
                int pair = b * s.heads() + h;
                int qBase = qo + pair * lq * d, kBase = ko + pair * lk * d, vBase = vo + pair * lk * d;
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) max = Math.max(max, p[j] = score(s, q, qBase + i * d, k, kBase + j * d, mask, b, h, i, j));
                    double sum = 0;
                    for (int j = 0; j < lk; j++) sum += p[j] = Math.exp(p[j] - max);
                    int row = pair * lq + i;
                    lse[row] = (float) (max + Math.log(sum));
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) acc += p[j] * v[vBase + j * d + c];
                        out[row * d + c] = (float) (acc / sum);
                    }
                }
            }
    }

    /**
     * With P = softmax(scores): gv = Pᵀ·gOut, gP = gOut·vᵀ, gScores = P∘(gP − rowsum(gP∘P)),
     * gq = scale·gScores·k, gk = scale·gScoresᵀ·q; in double from the inputs alone.
     */
    public static void backwardReference(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] gOut, float[] gq, float[] gk, float[] gv) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim();
        double[] p = new double[lk], gp = new double[lk];
        double[] gqRow = new double[d], gkPair = new double[lk * d], gvPair = new double[lk * d];
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.heads(); h++) {
                int pair = b * s.heads() + h;
                int qBase = qo + pair * lq * d, kBase = ko + pair * lk * d, vBase = vo + pair * lk * d;
                java.util.Arrays.fill(gkPair, 0);
                java.util.Arrays.fill(gvPair, 0);
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) max = Math.max(max, p[j] = score(s, q, qBase + i * d, k, kBase + j * d, mask, b, h, i, j));
                    double sum = 0;
                    for (int j = 0; j < lk; j++) sum += p[j] = Math.exp(p[j] - max);
                    int gRow = (pair * lq + i) * d;
                    double rowDot = 0;
                    for (int j = 0; j < lk; j++) {
                        p[j] /= sum;
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) gOut[gRow + c] * v[vBase + j * d + c];
                            gvPair[j * d + c] += p[j] * gOut[gRow + c];
                        }
                        gp[j] = dot;
                        rowDot += dot * p[j];
                    }
                    java.util.Arrays.fill(gqRow, 0);
                    for (int j = 0; j < lk; j++) {
                        double gs = p[j] * (gp[j] - rowDot) * s.scale();
                        if (gs == 0) continue;
                        for (int c = 0; c < d; c++) {
                            gqRow[c] += gs * k[kBase + j * d + c];
                            gkPair[j * d + c] += gs * q[qBase + i * d + c];
                        }
                    }
                    for (int c = 0; c < d; c++) gq[gRow + c] = (float) gqRow[c];
                }
                int kRow0 = pair * lk * d;
                for (int e = 0; e < lk * d; e++) {
                    gk[kRow0 + e] = (float) gkPair[e];
                    gv[kRow0 + e] = (float) gvPair[e];
                }
            }
    }
}
