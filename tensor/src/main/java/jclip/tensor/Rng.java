package jclip.tensor;

import java.util.SplittableRandom;
import jclip.kernels.DType;

/**
 * A seeded random generator so that runs repeat: the same seed gives the same tensors on every
 * machine. Values are drawn on the host and copied to the device.
 */
public final class Rng {
    private SplittableRandom random;
    private double spareNormal = Double.NaN;

    public Rng(long seed) {
        random = new SplittableRandom(seed);
    }

    /** An independent generator derived from this one (for example one per data-loader worker). */
    public Rng split() {
        Rng r = new Rng(0);
        r.random = random.split();
        return r;
    }

    /** Uniform in [0, 1): 24 random bits, so that rounding can never reach 1. */
    public float nextFloat() {
        return (random.nextInt() >>> 8) * 0x1p-24f;
    }

    public double nextDouble() {
        return random.nextDouble();
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** A standard normal draw (Marsaglia's polar method; the second value is kept for the next call). */
    public double nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double v = spareNormal;
            spareNormal = Double.NaN;
            return v;
        }
        double u, v, s;
        do {
            u = 2 * random.nextDouble() - 1;
            v = 2 * random.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareNormal = v * m;
        return u * m;
    }

    /** Uniform in [0, 1). */
    public Tensor rand(int... shape) {
        return uniform(0, 1, shape);
    }

    /** Standard normal. */
    public Tensor randn(int... shape) {
        return normal(0, 1, shape);
    }

    public Tensor uniform(double low, double high, int... shape) {
        float[] a = new float[Shape.numel(shape)];
        float top = Math.nextDown((float) high); // rounding to float must not reach high
        for (int i = 0; i < a.length; i++) a[i] = Math.min((float) (low + (high - low) * random.nextDouble()), top);
        return Tensor.fromHost(a, DType.F32, shape);
    }

    public Tensor normal(double mean, double std, int... shape) {
        float[] a = new float[Shape.numel(shape)];
        for (int i = 0; i < a.length; i++) a[i] = (float) (mean + std * nextGaussian());
        return Tensor.fromHost(a, DType.F32, shape);
    }
}
