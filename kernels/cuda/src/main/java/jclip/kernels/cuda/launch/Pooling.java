package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.Pool2dShape;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/pooling.cu: 2-D average pooling, NCHW, forward and backward. */
public final class Pooling {
    private static final String MODULE = "pooling";

    private final CudaKernel forward;
    private final CudaKernel backward;

    public Pooling(CudaDevice device) {
        forward = device.kernel(MODULE, "jclip_avgpool2d_forward_f32");
        backward = device.kernel(MODULE, "jclip_avgpool2d_backward_f32");
    }

    /** y = avgpool(x); x [n, c, h, w], y [n, c, hOut, wOut]. */
    public void avgPool2d(Buffer x, Buffer y, Pool2dShape s) {
        int in = Args.count("avgPool2d", "x", (long) s.n() * s.c(), s.h(), s.w());
        int out = Args.count("avgPool2d", "y", (long) s.n() * s.c(), s.hOut(), s.wOut());
        Args.f32("avgPool2d", "x", x, 0, in);
        Args.f32("avgPool2d", "y", y, 0, out);
        if (out == 0) return;
        launch(forward, x, y, s, out);
    }

    /** gx written from gy; gy [n, c, hOut, wOut], gx [n, c, h, w]. */
    public void avgPool2dBackward(Buffer gy, Buffer gx, Pool2dShape s) {
        int in = Args.count("avgPool2dBackward", "gx", (long) s.n() * s.c(), s.h(), s.w());
        int out = Args.count("avgPool2dBackward", "gy", (long) s.n() * s.c(), s.hOut(), s.wOut());
        Args.f32("avgPool2dBackward", "gy", gy, 0, out);
        Args.f32("avgPool2dBackward", "gx", gx, 0, in);
        if (in == 0) return;
        launch(backward, gy, gx, s, in);
    }

    /** Both kernels take (from, to, h, w, hOut, wOut, kH, kW, sH, sW, pH, pW, n), one thread per element of to. */
    private static void launch(CudaKernel kernel, Buffer from, Buffer to, Pool2dShape s, int n) {
        kernel.pointer(from, 0).pointer(to, 0).i32(s.h()).i32(s.w()).i32(s.hOut()).i32(s.wOut()).i32(s.kH()).i32(s.kW())
                .i32(s.strideH()).i32(s.strideW()).i32(s.padH()).i32(s.padW()).i32(n)
                .launch(Layout.blocks(n), Layout.THREADS, 0);
    }
}
