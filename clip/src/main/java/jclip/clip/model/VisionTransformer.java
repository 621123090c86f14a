package jclip.clip.model;

import java.util.List;
import jclip.nn.Conv2d;
import jclip.nn.Init;
import jclip.nn.Layer;
import jclip.nn.LayerNorm;
import jclip.nn.Transformer;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/**
 * The ViT image tower: patches by a strided convolution (no bias), a class token, positional
 * embeddings, ln_pre, the transformer, ln_post on the class token, and a projection.
 */
public final class VisionTransformer extends Layer {
    private final int width;
    private final Conv2d conv1;
    private final Tensor classEmbedding;
    private final Tensor positionalEmbedding;
    private final LayerNorm lnPre;
    private final Transformer transformer;
    private final LayerNorm lnPost;
    private final Tensor proj;

    public VisionTransformer(int resolution, int patchSize, int width, int layers, int heads, int outputDim, Rng rng) {
        this.width = width;
        double scale = Math.pow(width, -0.5);
        int grid = resolution / patchSize;
        conv1 = child("conv1", new Conv2d(3, width, patchSize, patchSize, 0, false, rng));
        classEmbedding = parameter("class_embedding", Init.normal(rng, scale, width));
        positionalEmbedding = parameter("positional_embedding", Init.normal(rng, scale, grid * grid + 1, width));
        lnPre = child("ln_pre", new LayerNorm(width));
        transformer = child("transformer", new Transformer(width, layers, heads, false, rng));
        lnPost = child("ln_post", new LayerNorm(width));
        proj = parameter("proj", Init.normal(rng, scale, width, outputDim));
    }

    /** images [N, 3, R, R] to features [N, outputDim]. */
    @Override
    public Tensor forward(Tensor images) {
        return pooled(images).matmul(proj);
    }

    /** The class token after ln_post [N, width]: the features before the projection. */
    public Tensor pooled(Tensor images) {
        int n = images.size(0);
        Tensor x = conv1.forward(images);                       // [N, width, g, g]
        x = x.reshape(n, width, -1).permute(0, 2, 1);           // [N, g², width]
        Tensor cls = classEmbedding.reshape(1, 1, width).expand(n, 1, width);
        x = Tensor.cat(List.of(cls, x), 1).add(positionalEmbedding);
        x = transformer.forward(lnPre.forward(x));
        return lnPost.forward(x.narrow(1, 0, 1).squeeze(1));
    }

    /** Recompute each transformer block in the backward instead of keeping its activations. */
    public void gradCheckpointing(boolean on) {
        transformer.gradCheckpointing(on);
    }

    /** proj [width, outputDim]. */
    public Tensor projection() {
        return proj;
    }
}
