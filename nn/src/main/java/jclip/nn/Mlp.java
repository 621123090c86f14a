package jclip.nn;

import jclip.tensor.Rng;
import jclip.tensor.Tensor;

/** CLIP's feed-forward block: c_fc (D to 4D), QuickGELU, c_proj (4D to D). */
public final class Mlp extends Layer {
    public final Linear cFc;
    public final Linear cProj;

    public Mlp(int width, Rng rng) {
        cFc = child("c_fc", new Linear(width, 4 * width, true, rng));
        cProj = child("c_proj", new Linear(4 * width, width, true, rng));
    }

    @Override
    public Tensor forward(Tensor x) {
        return cProj.forward(cFc.forward(x).quickGelu());
    }

    /** residual + forward(x) in the last projection's GEMM. */
    public Tensor forward(Tensor x, Tensor residual) {
        return cProj.forward(cFc.forward(x).quickGelu(), residual);
    }
}
