package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/** Pre-norm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class ResidualAttentionBlock extends Layer {
    public final MultiheadAttention attn;
    public final LayerNorm ln1;
    public final Mlp mlp;
    public final LayerNorm ln2;

    public ResidualAttentionBlock(int width, int heads, boolean causal, Rng rng) {
        attn = child("attn", new MultiheadAttention(width, heads, causal, rng));
        ln1 = child("ln_1", new LayerNorm(width));
        mlp = child("mlp", new Mlp(width, rng));
        ln2 = child("ln_2", new LayerNorm(width));
    }

    @Override
    public Tensor forward(Tensor x) {
        // Each residual add is the accumulator of the projection's GEMM before it: no pass of its own.
        x = attn.forward(ln1.forward(x), x);
        return mlp.forward(ln2.forward(x), x);
    }
}
