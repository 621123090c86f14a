package jclip.tensor;

import jclip.kernels.Conv2dShape;
import jclip.kernels.DType;
import jclip.kernels.Pool2dShape;

/** 2-D convolution and average pooling, NCHW. */
final class ConvOps {
    private ConvOps() {}

    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH, int padW) {
        PointwiseOps.requireF32(x, "conv2d");
        PointwiseOps.requireSameDevice("conv2d", x, weight, bias);
        if (x.ndim() != 4 || weight.ndim() != 4 || weight.size(1) != x.size(1))
            throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shapeRef()) + " [N, C, H, W] and weight "
                    + Shape.str(weight.shapeRef()) + " [Cout, C, kH, kW] do not match");
        if (bias != null && (bias.ndim() != 1 || bias.size(0) != weight.size(0)))
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shapeRef()) + " for " + weight.size(0) + " output channels");
        Conv2dShape s = new Conv2dShape(x.size(0), x.size(1), x.size(2), x.size(3), weight.size(0), weight.size(2), weight.size(3),
                strideH, strideW, padH, padW);
        Tensor xc = ViewOps.dense(x), wc = ViewOps.dense(weight), bc = bias == null ? null : ViewOps.dense(bias);
        Tensor y = Tensor.empty(x.device(), DType.F32, s.n(), s.cOut(), s.hOut(), s.wOut());
        x.kernels().conv2d(xc.buffer(), wc.buffer(), bc == null ? null : bc.buffer(), y.buffer(), s);
        return Autograd.record(y, "conv2d", g -> {
            Tensor gc = ViewOps.dense(g);
            Tensor gx = null, gw = null, gb = null;
            if (x.requiresGrad()) {
                gx = Tensor.empty(g.device(), DType.F32, x.shapeRef());
                g.kernels().conv2dBackwardInput(gc.buffer(), wc.buffer(), gx.buffer(), s);
            }
            if (weight.requiresGrad() || (bias != null && bias.requiresGrad())) {
                gw = weight.zerosLike();
                gb = bias == null ? null : bias.zerosLike();
                g.kernels().conv2dBackwardWeight(xc.buffer(), gc.buffer(), gw.buffer(), gb == null ? null : gb.buffer(), s);
            }
            return new Tensor[] {gx, gw, gb};
        }, x, weight, bias);
    }

    static Tensor avgPool2d(Tensor x, int kH, int kW, int strideH, int strideW, int padH, int padW) {
        PointwiseOps.requireF32(x, "avgPool2d");
        if (x.ndim() != 4) throw new IllegalArgumentException("avgPool2d needs [N, C, H, W], got " + Shape.str(x.shapeRef()));
        Pool2dShape s = new Pool2dShape(x.size(0), x.size(1), x.size(2), x.size(3), kH, kW, strideH, strideW, padH, padW);
        Tensor xc = ViewOps.dense(x);
        Tensor y = Tensor.empty(x.device(), DType.F32, s.n(), s.c(), s.hOut(), s.wOut());
        x.kernels().avgPool2d(xc.buffer(), y.buffer(), s);
        return Autograd.record(y, "avgPool2d", g -> {
            Tensor gx = Tensor.empty(g.device(), DType.F32, x.shapeRef());
            g.kernels().avgPool2dBackward(ViewOps.dense(g).buffer(), gx.buffer(), s);
            return new Tensor[] {gx};
        }, x);
    }
}
