package jclip.nn;

import jclip.tensor.Functional;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * Self-attention with PyTorch's parameter layout: packed in_proj_weight [3D, D] and in_proj_bias
 * [3D] for q, k, v, and out_proj. Inputs are batch-first [N, L, D].
 */
public final class MultiheadAttention extends Layer {
    public final Tensor inProjWeight;
    public final Tensor inProjBias;
    public final Linear outProj;
    private final int heads;
    private final boolean causal;

    /** causal: position i attends to positions up to i only (the text tower). */
    public MultiheadAttention(int width, int heads, boolean causal, Rng rng) {
        if (width % heads != 0) throw new IllegalArgumentException("width " + width + " is not divisible by " + heads + " heads");
        this.heads = heads;
        this.causal = causal;
        inProjWeight = parameter("in_proj_weight", Init.xavierUniform(rng, width, 3 * width, 3 * width, width));
        inProjBias = parameter("in_proj_bias", Tensor.zeros(3 * width));
        outProj = child("out_proj", new Linear(width, width, true, rng));
        try (var g = jclip.tensor.Autograd.noGrad()) {
            outProj.bias.fill(0f);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return outProj.forward(mergedHeads(x));
    }

    /** residual + forward(x) in the output projection's GEMM. */
    public Tensor forward(Tensor x, Tensor residual) {
        return outProj.forward(mergedHeads(x), residual);
    }

    /** The heads' outputs, merged, before the output projection. */
    private Tensor mergedHeads(Tensor x) {
        Tensor[] qkv = Attention.splitQkv(x.linear(inProjWeight, inProjBias), heads);
        return Attention.mergeHeads(Functional.scaledDotProductAttention(qkv[0], qkv[1], qkv[2], causal));
    }
}
