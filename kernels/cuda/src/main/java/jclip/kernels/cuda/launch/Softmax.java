package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/softmax.cu: softmax and log-softmax over rows, one block per row. */
public final class Softmax {
    private static final String MODULE = "softmax";

    private final CudaKernel forward;
    private final CudaKernel backward;

    public Softmax(CudaDevice device) {
        forward = device.kernel(MODULE, "jclip_softmax_forward_f32");
        backward = device.kernel(MODULE, "jclip_softmax_backward_f32");
    }

    public void softmax(boolean log, Buffer x, int xOffset, Buffer y, int rows, int cols) {
        String name = log ? "logSoftmax" : "softmax";
        int n = sizes(name, rows, cols);
        Args.f32(name, "x", x, xOffset, n);
        Args.f32(name, "y", y, 0, n);
        if (n == 0) return;
        forward.i32(log ? 1 : 0).pointer(x, xOffset).pointer(y, 0).i32(cols).launch(rows, Layout.rowThreads(cols), 0);
    }

    public void softmaxBackward(boolean log, Buffer y, Buffer gy, Buffer gx, int rows, int cols) {
        String name = log ? "logSoftmaxBackward" : "softmaxBackward";
        int n = sizes(name, rows, cols);
        Args.f32(name, "y", y, 0, n);
        Args.f32(name, "gy", gy, 0, n);
        Args.f32(name, "gx", gx, 0, n);
        if (n == 0) return;
        backward.i32(log ? 1 : 0).pointer(y, 0).pointer(gy, 0).pointer(gx, 0).i32(cols).launch(rows, Layout.rowThreads(cols), 0);
    }

    private static int sizes(String name, int rows, int cols) {
        Args.nonNegative(name, "rows", rows);
        Args.nonNegative(name, "cols", cols);
        return Args.count(name, "x", rows, cols, 1);
    }
}
