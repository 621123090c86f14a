package jclip.nn;

import java.util.ArrayList;
import java.util.List;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * A stack of residual attention blocks (named resblocks.0, resblocks.1, ...) on [N, L, width],
 * initialised as the original CLIP does.
 */
public final class Transformer extends Layer {
    public final int width;
    public final int layers;
    private final List<ResidualAttentionBlock> blocks = new ArrayList<>();

    public Transformer(int width, int layers, int heads, boolean causal, Rng rng) {
        this.width = width;
        this.layers = layers;
        Sequential resblocks = child("resblocks", new Sequential());
        for (int i = 0; i < layers; i++) {
            ResidualAttentionBlock b = new ResidualAttentionBlock(width, heads, causal, rng);
            resblocks.add(Integer.toString(i), b);
            blocks.add(b);
        }
        if (rng != null) initialise(rng);
    }

    /** CLIP's scheme: attention and output projections scaled down with depth. */
    private void initialise(Rng rng) {
        double projStd = Math.pow(width, -0.5) * Math.pow(2 * layers, -0.5);
        double attnStd = Math.pow(width, -0.5);
        double fcStd = Math.pow(2 * width, -0.5);
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            for (ResidualAttentionBlock b : blocks) {
                b.attn.inProjWeight.copyFrom(Init.normal(rng, attnStd, 3 * width, width));
                b.attn.outProj.weight.copyFrom(Init.normal(rng, projStd, width, width));
                b.mlp.cFc.weight.copyFrom(Init.normal(rng, fcStd, 4 * width, width));
                b.mlp.cProj.weight.copyFrom(Init.normal(rng, projStd, width, 4 * width));
            }
        }
    }

    private boolean checkpointing;

    /**
     * With checkpointing on, each block's activations are dropped after its forward and recomputed
     * in the backward (Autograd.checkpoint): training memory of one block instead of all of them,
     * for about one more forward of compute.
     */
    public Transformer gradCheckpointing(boolean on) {
        checkpointing = on;
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!Autograd.isEnabled()) return inference(x);
        // The blocks' activations and outputs are internal: backward frees each once it has used it.
        try (MemoryScope scope = MemoryScope.open()) {
            for (ResidualAttentionBlock b : blocks) x = checkpointing ? Autograd.checkpoint(b::forward, x) : b.forward(x);
            return scope.closeIntoGraph(x);
        }
    }

    /**
     * Without a graph nothing needs a block's temporaries after it returns: each block runs in its own
     * memory scope, and each block's output is released once the next one has used it, so inference
     * holds one block's activations instead of every block's (a ViT-B/32 forward at batch 16: about
     * 40 MB instead of 600).
     */
    private Tensor inference(Tensor input) {
        Tensor x = input;
        for (ResidualAttentionBlock b : blocks) {
            Tensor out;
            try (MemoryScope scope = MemoryScope.open()) {
                out = scope.keep(b.forward(x));
            }
            if (x != input) x.close();
            x = out;
        }
        return x;
    }
}
