package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/rownorm.cu: rows divided by their norm in place, and the backward; one block per row. */
public final class RowNormalize {
    private static final String MODULE = "rownorm";

    private final CudaKernel forward;
    private final CudaKernel backward;

    public RowNormalize(CudaDevice device) {
        forward = device.kernel(MODULE, "jclip_normalize_rows_f32");
        backward = device.kernel(MODULE, "jclip_normalize_rows_backward_f32");
    }

    public void normalizeRows(Buffer y, Buffer invNorm, int rows, int cols, float eps) {
        String name = "normalizeRows";
        int n = sizes(name, rows, cols);
        Args.f32(name, "y", y, 0, n);
        Args.f32(name, "invNorm", invNorm, 0, rows);
        if (rows == 0) return;
        forward.pointer(y, 0).pointer(invNorm, 0).i32(cols).f32(eps).launch(rows, Layout.rowThreads(cols), 0);
    }

    public void normalizeRowsBackward(Buffer y, Buffer invNorm, Buffer gy, Buffer gRaw, int rows, int cols, float eps) {
        String name = "normalizeRowsBackward";
        int n = sizes(name, rows, cols);
        Args.f32(name, "y", y, 0, n);
        Args.f32(name, "invNorm", invNorm, 0, rows);
        Args.f32(name, "gy", gy, 0, n);
        Args.f32(name, "gRaw", gRaw, 0, n);
        if (rows == 0) return;
        // The CPU's test for a clamped row, to the bit (jclip.kernels.cpu.RowNormalize.backward).
        float clampedInv = (float) (1 / (double) eps);
        backward.pointer(y, 0).pointer(invNorm, 0).pointer(gy, 0).pointer(gRaw, 0).i32(cols).f32(clampedInv)
                .launch(rows, Layout.rowThreads(cols), 0);
    }

    private static int sizes(String name, int rows, int cols) {
        Args.nonNegative(name, "rows", rows);
        Args.nonNegative(name, "cols", cols);
        return Args.count(name, "y", rows, cols, 1);
    }
}
