package jclip.tensor;

import jclip.kernels.BatchNormShape;
import jclip.kernels.DType;

/** Layer norm, batch norm and L2 normalisation. */
final class NormOps {
    private NormOps() {}

    static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        PointwiseOps.requireF32(x, "layerNorm");
        PointwiseOps.requireSameDevice("layerNorm", x, gamma, beta);
        int cols = x.size(-1);
        if (gamma.numel() != cols || beta.numel() != cols)
            throw new IllegalArgumentException("layerNorm over " + cols + " features: gamma " + Shape.str(gamma.shapeRef())
                    + ", beta " + Shape.str(beta.shapeRef()));
        int rows = x.numel() / Math.max(cols, 1);
        Tensor xc = x.contiguous(), gc = ViewOps.dense(gamma), bc = ViewOps.dense(beta);
        Tensor y = Tensor.empty(x.device(), DType.F32, x.shapeRef());
        Tensor mean = Tensor.empty(x.device(), DType.F32, rows);
        Tensor rstd = Tensor.empty(x.device(), DType.F32, rows);
        x.kernels().layerNorm(xc.buffer(), xc.offset, gc.buffer(), bc.buffer(), eps, y.buffer(), mean.buffer(), rstd.buffer(), rows, cols);
        return Autograd.record(y, "layerNorm", g -> {
            Tensor gx = Tensor.empty(g.device(), DType.F32, x.shapeRef());
            Tensor gGamma = gamma.zerosLike(), gBeta = beta.zerosLike();
            g.kernels().layerNormBackward(xc.buffer(), xc.offset, gc.buffer(), mean.buffer(), rstd.buffer(),
                    ViewOps.dense(g).buffer(), gx.buffer(), gGamma.buffer(), gBeta.buffer(), rows, cols);
            return new Tensor[] {gx, gGamma, gBeta};
        }, x, gamma, beta);
    }

    /** Over the last dimension one kernel each way (normalizeRows); over another, the composition. */
    static Tensor l2Normalize(Tensor x, int dim, float eps) {
        if (x.ndim() > 0 && (dim == -1 || dim == x.ndim() - 1) && x.dtype() == DType.F32)
            return normalizeRows(x, ViewOps.copy(x.detach()), eps);
        Tensor norm = x.mul(x).sum(dim, true).sqrt().clampMin(eps);
        return x.div(norm);
    }

    /**
     * x·w with each row divided by its Euclidean norm (clamped below at eps): the GEMM, then one
     * kernel that normalises its rows in place and one that maps the gradient back through them, in
     * place of the five element-wise ops and reductions of l2Normalize.
     */
    static Tensor normalizedLinear(Tensor x, Tensor w, float eps) {
        if (w.ndim() != 2 || x.ndim() < 1 || x.size(-1) != w.size(0))
            throw new IllegalArgumentException("normalizedLinear: x " + Shape.str(x.shapeRef()) + " and w " + Shape.str(w.shapeRef())
                    + " (expected w [" + (x.ndim() < 1 ? "in" : x.size(-1)) + ", out])");
        Tensor raw = MatmulOps.matmul(x, w);
        return normalizeRows(raw, raw.detach(), eps);
    }

    /**
     * raw's rows normalised in y, a dense copy of raw outside the graph that is overwritten; y may
     * share raw's storage when nothing reads raw's values again (a product's output: its backward
     * never does), and raw stays in the graph only to pass the gradient on.
     */
    private static Tensor normalizeRows(Tensor raw, Tensor y, float eps) {
        int cols = raw.size(-1), rows = raw.numel() / Math.max(cols, 1);
        Tensor invNorm = Tensor.empty(raw.device(), DType.F32, rows);
        raw.kernels().normalizeRows(y.buffer(), invNorm.buffer(), rows, cols, eps);
        return Autograd.record(y, "normalizeRows", g -> {
            Tensor gRaw = Tensor.empty(g.device(), DType.F32, raw.shapeRef());
            g.kernels().normalizeRowsBackward(y.buffer(), invNorm.buffer(), ViewOps.dense(g).buffer(), gRaw.buffer(), rows, cols, eps);
            return new Tensor[] {gRaw};
        }, raw);
    }

    static Tensor batchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
            boolean training, float momentum, float eps) {
        PointwiseOps.requireF32(x, "batchNorm2d");
        PointwiseOps.requireSameDevice("batchNorm2d", x, gamma, beta, runningMean, runningVar);
        if (x.ndim() != 4) throw new IllegalArgumentException("batchNorm2d needs [N, C, H, W], got " + Shape.str(x.shapeRef()));
        int n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
        for (Tensor t : new Tensor[] {gamma, beta, runningMean, runningVar})
            if (t.numel() != c || !t.isContiguous())
                throw new IllegalArgumentException("batchNorm2d over " + c + " channels: parameter or statistic " + t + " does not match");
        if (training && n * hw < 2)
            throw new IllegalArgumentException("batchNorm2d in training needs more than one value per channel, got " + Shape.str(x.shapeRef()));
        BatchNormShape s = new BatchNormShape(n, c, hw, eps, momentum);
        Tensor xc = ViewOps.dense(x);
        Tensor y = Tensor.empty(x.device(), DType.F32, x.shapeRef());
        var k = x.kernels();
        if (training) {
            Tensor saveMean = Tensor.empty(x.device(), DType.F32, c), saveInvStd = Tensor.empty(x.device(), DType.F32, c);
            k.batchNormTraining(s, xc.buffer(), gamma.buffer(), beta.buffer(), runningMean.buffer(), runningVar.buffer(),
                    y.buffer(), saveMean.buffer(), saveInvStd.buffer());
            return Autograd.record(y, "batchNorm2d", g -> {
                Tensor gx = Tensor.empty(g.device(), DType.F32, x.shapeRef());
                Tensor gGamma = gamma.zerosLike(), gBeta = beta.zerosLike();
                k.batchNormTrainingBackward(s, xc.buffer(), ViewOps.dense(g).buffer(), saveMean.buffer(), saveInvStd.buffer(),
                        gamma.buffer(), gx.buffer(), gGamma.buffer(), gBeta.buffer());
                return new Tensor[] {gx, gGamma, gBeta};
            }, x, gamma, beta);
        }
        k.batchNormEval(s, xc.buffer(), gamma.buffer(), beta.buffer(), runningMean.buffer(), runningVar.buffer(), y.buffer());
        return Autograd.record(y, "batchNorm2d", g -> {
            Tensor gx = Tensor.empty(g.device(), DType.F32, x.shapeRef());
            Tensor gGamma = gamma.zerosLike(), gBeta = beta.zerosLike();
            k.batchNormEvalBackward(s, xc.buffer(), ViewOps.dense(g).buffer(), gamma.buffer(), runningMean.buffer(), runningVar.buffer(),
                    gx.buffer(), gGamma.buffer(), gBeta.buffer());
            return new Tensor[] {gx, gGamma, gBeta};
        }, x, gamma, beta);
    }
}
