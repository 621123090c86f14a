package jclip.clip.model;

import java.util.List;
import jclip.nn.Attention;
import jclip.tensor.Functional;
import jclip.nn.Init;
import jclip.nn.Layer;
import jclip.nn.Linear;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * The ModifiedResNet's head: the mean of the feature map, prepended to its positions, with a
 * positional embedding, attends (as the only query) over all of them; c_proj maps to the output.
 */
final class AttentionPool2d extends Layer {
    private final Tensor positionalEmbedding;
    final Linear kProj, qProj, vProj, cProj;
    private final int heads;

    AttentionPool2d(int spacialDim, int embedDim, int heads, int outputDim, Rng rng) {
        this.heads = heads;
        positionalEmbedding = parameter("positional_embedding",
                Init.normal(rng, 1 / Math.sqrt(embedDim), spacialDim * spacialDim + 1, embedDim));
        kProj = child("k_proj", new Linear(embedDim, embedDim, true, rng));
        qProj = child("q_proj", new Linear(embedDim, embedDim, true, rng));
        vProj = child("v_proj", new Linear(embedDim, embedDim, true, rng));
        cProj = child("c_proj", new Linear(embedDim, outputDim, true, rng));
    }

    /** x [N, C, H, W] to [N, outputDim]. */
    @Override
    public Tensor forward(Tensor x) {
        int n = x.size(0), c = x.size(1);
        Tensor tokens = x.reshape(n, c, -1).permute(0, 2, 1);                 // [N, HW, C]
        tokens = Tensor.cat(List.of(tokens.mean(1, true), tokens), 1).add(positionalEmbedding);
        Tensor q = Attention.splitHeads(qProj.forward(tokens.narrow(1, 0, 1)), heads);
        Tensor k = Attention.splitHeads(kProj.forward(tokens), heads);
        Tensor v = Attention.splitHeads(vProj.forward(tokens), heads);
        Tensor pooled = Attention.mergeHeads(Functional.scaledDotProductAttention(q, k, v, false)); // [N, 1, C]
        return cProj.forward(pooled.squeeze(1));
    }
}
