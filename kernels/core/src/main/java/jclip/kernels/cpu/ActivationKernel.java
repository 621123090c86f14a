package jclip.kernels.cpu;

/**
 * The activation that costs an exp per element, QuickGELU {@code x·σ(1.702·x)} (CLIP's MLPs), with a
 * Vector API implementation ({@code ActivationVectorKernel}, loaded by {@link VectorKernels}); without
 * the module {@link Elementwise} computes it with Math.exp. At ViT-B/32's batch 16 the plain loop
 * was 9.5 % of encodeImage's samples.
 */
interface ActivationKernel {
    /** {@code y[yo+i] = x[xo+i]·σ(1.702·x[xo+i])} for i in [0, n). */
    void quickGelu(float[] x, int xo, float[] y, int yo, int n);

    /** {@code gx[i] = gy[i]·(s + 1.702·x[i]·s·(1−s))}, s = σ(1.702·x[i]), for i in [from, to). */
    void quickGeluBackward(float[] x, float[] gy, float[] gx, int from, int to);
}
