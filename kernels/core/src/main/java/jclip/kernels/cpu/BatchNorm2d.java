package jclip.kernels.cpu;

/*
 * Batch normalisation over (N, H, W) per channel, as PyTorch's nn.BatchNorm2d.
 *
 *   x, y, dy, dx         [N, C, HW]   (HW = H*W; any trailing spatial size works)
 *   gamma, beta          [C]          (affine; null gamma means 1, null beta means 0)
 *   runningMean/Var      [C]          (null = no running statistics are tracked)
 *   saveMean, saveInvStd [C]          (written by forwardTraining, read by backwardTraining)
 *   dGamma, dBeta        [C]          ACCUMULATED (+=); null = not wanted
 *   dx                   [N, C, HW]   WRITTEN (=); null = not wanted
 *
 * Training: with M = N*HW values per channel,
 *   mean = sum(x)/M,  var = sum((x - mean)^2)/M (biased),  invStd = 1/sqrt(var + eps)
 *   y = (x - mean) * invStd * gamma + beta
 *   running = (1 - momentum)*running + momentum*stat, using the UNBIASED variance var*M/(M-1)
 *   backward, with xhat = (x - mean)*invStd:
 *   dx = gamma*invStd * (dy - mean(dy) - xhat*mean(dy*xhat)),  dGamma += sum(dy*xhat),  dBeta += sum(dy)
 * Eval: the running statistics stand in for the batch ones and are constants, so
 *   y = (x - runningMean) * invStdR * gamma + beta,  invStdR = 1/sqrt(runningVar + eps)
 *   dx = dy*gamma*invStdR,  dGamma += sum(dy*(x - runningMean)*invStdR),  dBeta += sum(dy)
 * (PyTorch's momentum = None, a cumulative average, is momentum = 1/numBatchesTracked here.)
 *
 * Statistics and reductions accumulate in double (two passes: mean, then centred squares).
 * Work is split over channels. y may be x (in place); dx may be dy.
 */
public final class BatchNorm2d {
    private BatchNorm2d() {}

    /** Normalises with batch statistics, updates running statistics, saves mean and invStd for backward. */
    public static void forwardTraining(float[] x, int xOff, int n, int c, int hw,
            float[] gamma, int gOff, float[] beta, int bOff,
            float eps, float momentum,
            float[] runningMean, int rmOff, float[] runningVar, int rvOff,
            float[] y, int yOff,
            float[] saveMean, int smOff, float[] saveInvStd, int sisOff) {
        long total = checkSizes(n, c, hw);
        final long m = (long) n * hw;
        if (m <= 1) {
            throw new IllegalArgumentException("expected more than 1 value per channel when training, got " + m);
        }
        checkRange(x, xOff, total, "x");
        checkRange(y, yOff, total, "y");
        checkOptional(gamma, gOff, c, "gamma");
        checkOptional(beta, bOff, c, "beta");
        checkOptional(runningMean, rmOff, c, "runningMean");
        checkOptional(runningVar, rvOff, c, "runningVar");
        checkRange(saveMean, smOff, c, "saveMean");
        checkRange(saveInvStd, sisOff, c, "saveInvStd");

        Parallel.forRange(c, 6 * m, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    int base = xOff + (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) sum += x[base + j];
                }
                double mean = sum / m;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    int base = xOff + (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        double d = x[base + j] - mean;
                        sq += d * d;
                    }
                }
                double var = sq / m;
                double invStd = 1.0 / Math.sqrt(var + eps);
                saveMean[smOff + ch] = (float) mean;
                saveInvStd[sisOff + ch] = (float) invStd;
                if (runningMean != null) {
                    runningMean[rmOff + ch] = (float) ((1.0 - momentum) * runningMean[rmOff + ch] + momentum * mean);
                }
                if (runningVar != null) {
                    double unbiased = sq / (m - 1);
                    runningVar[rvOff + ch] = (float) ((1.0 - momentum) * runningVar[rvOff + ch] + momentum * unbiased);
                }
                normalise(x, xOff, n, c, hw, ch, (float) mean, (float) invStd,
                        gamma == null ? 1f : gamma[gOff + ch], beta == null ? 0f : beta[bOff + ch], y, yOff);
            }
        });
    }

    /** Normalises with the running statistics. */
    public static void forwardEval(float[] x, int xOff, int n, int c, int hw,
            float[] runningMean, int rmOff, float[] runningVar, int rvOff,
            float[] gamma, int gOff, float[] beta, int bOff, float eps,
            float[] y, int yOff) {
        long total = checkSizes(n, c, hw);
        checkRange(x, xOff, total, "x");
        checkRange(y, yOff, total, "y");
        checkRange(runningMean, rmOff, c, "runningMean");
        checkRange(runningVar, rvOff, c, "runningVar");
        checkOptional(gamma, gOff, c, "gamma");
        checkOptional(beta, bOff, c, "beta");
        Parallel.forRange(c, 2L * n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                float invStd = (float) (1.0 / Math.sqrt((double) runningVar[rvOff + ch] + eps));
                normalise(x, xOff, n, c, hw, ch, runningMean[rmOff + ch], invStd,
                        gamma == null ? 1f : gamma[gOff + ch], beta == null ? 0f : beta[bOff + ch], y, yOff);
            }
        });
    }

    /** Backward of forwardTraining: dx written (if not null), dGamma and dBeta accumulated (if not null). */
    public static void backwardTraining(float[] x, int xOff, float[] dy, int dyOff, int n, int c, int hw,
            float[] saveMean, int smOff, float[] saveInvStd, int sisOff,
            float[] gamma, int gOff,
            float[] dx, int dxOff, float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        long total = checkSizes(n, c, hw);
        final long m = (long) n * hw;
        checkRange(x, xOff, total, "x");
        checkRange(dy, dyOff, total, "dy");
        checkRange(saveMean, smOff, c, "saveMean");
        checkRange(saveInvStd, sisOff, c, "saveInvStd");
        checkOptional(gamma, gOff, c, "gamma");
        checkOptional(dx, dxOff, total, "dx");
        checkOptional(dGamma, dgOff, c, "dGamma");
        checkOptional(dBeta, dbOff, c, "dBeta");
        if (m == 0) return;
        Parallel.forRange(c, 8 * m, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double mean = saveMean[smOff + ch];
                double invStd = saveInvStd[sisOff + ch];
                double sumDy = 0, sumDyXhat = 0;
                for (int i = 0; i < n; i++) {
                    int xb = xOff + (i * c + ch) * hw, db = dyOff + (i * c + ch) * hw;
                    for (int j = 0; j < hw; j++) {
                        double g = dy[db + j];
                        sumDy += g;
                        sumDyXhat += g * ((x[xb + j] - mean) * invStd);
                    }
                }
                if (dGamma != null) dGamma[dgOff + ch] += (float) sumDyXhat;
                if (dBeta != null) dBeta[dbOff + ch] += (float) sumDy;
                if (dx != null) {
                    // dx = gamma*invStd * (dy - mean(dy) - xhat*mean(dy*xhat)), xhat = (x - mean)*invStd
                    double gam = gamma == null ? 1.0 : gamma[gOff + ch];
                    float k = (float) (gam * invStd);
                    float meanDy = (float) (sumDy / m);
                    float c2 = (float) (sumDyXhat / m * invStd); // coefficient of (x - mean)
                    float mu = (float) mean;
                    for (int i = 0; i < n; i++) {
                        int xb = xOff + (i * c + ch) * hw, db = dyOff + (i * c + ch) * hw;
                        int ob = dxOff + (i * c + ch) * hw;
                        for (int j = 0; j < hw; j++) {
                            dx[ob + j] = k * (dy[db + j] - meanDy - (x[xb + j] - mu) * c2);
                        }
                    }
                }
            }
        });
    }

    /** Backward of forwardEval (running statistics are constants): dx written, dGamma and dBeta accumulated. */
    public static void backwardEval(float[] x, int xOff, float[] dy, int dyOff, int n, int c, int hw,
            float[] runningMean, int rmOff, float[] runningVar, int rvOff,
            float[] gamma, int gOff, float eps,
            float[] dx, int dxOff, float[] dGamma, int dgOff, float[] dBeta, int dbOff) {
        long total = checkSizes(n, c, hw);
        checkRange(x, xOff, total, "x");
        checkRange(dy, dyOff, total, "dy");
        checkRange(runningMean, rmOff, c, "runningMean");
        checkRange(runningVar, rvOff, c, "runningVar");
        checkOptional(gamma, gOff, c, "gamma");
        checkOptional(dx, dxOff, total, "dx");
        checkOptional(dGamma, dgOff, c, "dGamma");
        checkOptional(dBeta, dbOff, c, "dBeta");
        Parallel.forRange(c, 6L * n * hw, (from, to) -> {
            for (int ch = from; ch < to; ch++) {
                double invStd = 1.0 / Math.sqrt((double) runningVar[rvOff + ch] + eps);
                double mean = runningMean[rmOff + ch];
                if (dGamma != null || dBeta != null) {
                    double sumDy = 0, sumDyXhat = 0;
                    for (int i = 0; i < n; i++) {
                        int xb = xOff + (i * c + ch) * hw, db = dyOff + (i * c + ch) * hw;
                        for (int j = 0; j < hw; j++) {
                            double g = dy[db + j];
                            sumDy += g;
                            sumDyXhat += g * ((x[xb + j] - mean) * invStd);
                        }
                    }
                    if (dGamma != null) dGamma[dgOff + ch] += (float) sumDyXhat;
                    if (dBeta != null) dBeta[dbOff + ch] += (float) sumDy;
                }
                if (dx != null) {
                    float k = (float) ((gamma == null ? 1.0 : gamma[gOff + ch]) * invStd);
                    for (int i = 0; i < n; i++) {
                        int db = dyOff + (i * c + ch) * hw, ob = dxOff + (i * c + ch) * hw;
                        for (int j = 0; j < hw; j++) dx[ob + j] = k * dy[db + j];
                    }
                }
            }
        });
    }

    /** y[:, ch, :] = (x[:, ch, :] - mean) * (invStd*gamma) + beta. */
    private static void normalise(float[] x, int xOff, int n, int c, int hw, int ch,
            float mean, float invStd, float gamma, float beta, float[] y, int yOff) {
        float scale = invStd * gamma;
        for (int i = 0; i < n; i++) {
            int xb = xOff + (i * c + ch) * hw, yb = yOff + (i * c + ch) * hw;
            for (int j = 0; j < hw; j++) y[yb + j] = (x[xb + j] - mean) * scale + beta;
        }
    }

    /** Validates sizes and returns N*C*HW. */
    private static long checkSizes(int n, int c, int hw) {
        if (n < 0 || c <= 0 || hw <= 0) {
            throw new IllegalArgumentException("bad batchnorm sizes: n=" + n + " c=" + c + " hw=" + hw);
        }
        long total = (long) n * c * hw;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large for one float[]");
        return total;
    }

    private static void checkOptional(float[] a, int off, long len, String name) {
        if (a != null) checkRange(a, off, len, name);
    }

    private static void checkRange(float[] a, int off, long len, String name) {
        if (a == null) throw new NullPointerException(name);
        if (off < 0 || off + len > a.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + off + " + length " + len
                    + " exceeds array length " + a.length);
        }
    }
}
