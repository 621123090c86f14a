package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/layernorm.cu: layer norm over rows, forward and backward. */
public final class LayerNorm {
    private static final String MODULE = "layernorm";
    /** blockDim.y of the parameter-gradient kernel: PARAM_ROWS_Y in layernorm.cu. */
    static final int PARAM_ROWS_Y = 8;
    /**
     * Blocks the parameter-gradient kernel aims for (about 4 per H100 SM): fewer column blocks get
     * more row chunks. A chunk keeps at least MIN_CHUNK_ROWS rows so each atomicAdd sums real work.
     */
    private static final int PARAM_BLOCKS = 512;
    private static final int MIN_CHUNK_ROWS = 32;

    private final CudaKernel forward;
    private final CudaKernel backward;
    private final CudaKernel backwardParams;

    public LayerNorm(CudaDevice device) {
        forward = device.kernel(MODULE, "jclip_layernorm_forward_f32");
        backward = device.kernel(MODULE, "jclip_layernorm_backward_f32");
        backwardParams = device.kernel(MODULE, "jclip_layernorm_backward_params_f32");
    }

    public void layerNorm(Buffer x, int xOffset, Buffer gamma, Buffer beta, float eps, Buffer y, Buffer mean, Buffer rstd,
            int rows, int cols) {
        String name = "layerNorm";
        int n = sizes(name, rows, cols);
        Args.f32(name, "x", x, xOffset, n);
        Args.f32(name, "gamma", gamma, 0, cols);
        Args.f32(name, "beta", beta, 0, cols);
        Args.f32(name, "y", y, 0, n);
        Args.f32(name, "mean", mean, 0, rows);
        Args.f32(name, "rstd", rstd, 0, rows);
        if (rows == 0) return;
        forward.pointer(x, xOffset).pointer(gamma, 0).pointer(beta, 0).f32(eps).pointer(y, 0).pointer(mean, 0)
                .pointer(rstd, 0).i32(cols).launch(rows, Layout.rowThreads(cols), 0);
    }

    public void layerNormBackward(Buffer x, int xOffset, Buffer gamma, Buffer mean, Buffer rstd, Buffer gy,
            Buffer gx, Buffer gGamma, Buffer gBeta, int rows, int cols) {
        String name = "layerNormBackward";
        int n = sizes(name, rows, cols);
        Args.f32(name, "x", x, xOffset, n);
        Args.f32(name, "gamma", gamma, 0, cols);
        Args.f32(name, "mean", mean, 0, rows);
        Args.f32(name, "rstd", rstd, 0, rows);
        Args.f32(name, "gy", gy, 0, n);
        Args.f32(name, "gx", gx, 0, n);
        Args.f32(name, "gGamma", gGamma, 0, cols);
        Args.f32(name, "gBeta", gBeta, 0, cols);
        if (rows == 0) return;
        backward.pointer(x, xOffset).pointer(gamma, 0).pointer(mean, 0).pointer(rstd, 0).pointer(gy, 0).pointer(gx, 0)
                .i32(cols).launch(rows, Layout.rowThreads(cols), 0);
        int columnBlocks = Layout.ceilDiv(cols, Layout.WARP);
        int chunks = Math.max(1, Math.min(Layout.ceilDiv(rows, MIN_CHUNK_ROWS), PARAM_BLOCKS / columnBlocks));
        int rowsPerChunk = Layout.ceilDiv(rows, chunks);
        chunks = Layout.ceilDiv(rows, rowsPerChunk);
        backwardParams.pointer(x, xOffset).pointer(mean, 0).pointer(rstd, 0).pointer(gy, 0).pointer(gGamma, 0)
                .pointer(gBeta, 0).i32(rows).i32(cols).i32(rowsPerChunk)
                .launch(columnBlocks, chunks, 1, Layout.WARP, PARAM_ROWS_Y, 1, 0);
    }

    /** rows·cols; a row of no columns has no mean. */
    private static int sizes(String name, int rows, int cols) {
        Args.nonNegative(name, "rows", rows);
        Args.nonNegative(name, "cols", cols);
        if (rows > 0 && cols == 0) throw new IllegalArgumentException(name + ": rows of 0 columns have no mean");
        return Args.count(name, "x", rows, cols, 1);
    }
}
