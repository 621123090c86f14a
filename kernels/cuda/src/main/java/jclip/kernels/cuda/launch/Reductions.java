package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.ReduceOp;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/** Launches src/main/cuda/reduce.cu: SUM, MAX and ARGMAX over the middle dimension of [outer, dim, inner]. */
public final class Reductions {
    private static final String MODULE = "reduce";
    /** blockDim.y of the column kernels at most: COLUMN_WARPS in reduce.cu. */
    static final int COLUMN_WARPS = 16;
    /** Blocks that keep an H100 busy (4 per SM); fewer outputs than this split dim across blocks. */
    private static final int TARGET_BLOCKS = 4 * 132;
    /**
     * Least work per block when splitting: 8 elements per thread of a 1024-thread row block, and 16
     * rows per warp of a column block. Smaller chunks would spend more on the second pass than they save.
     */
    private static final int MIN_ROW_CHUNK = 8192, MIN_COLUMN_CHUNK = 256;

    private final CudaDevice device;
    private final CudaKernel rows;
    private final CudaKernel argmaxRows;
    private final CudaKernel columns;
    private final CudaKernel argmaxColumns;

    public Reductions(CudaDevice device) {
        this.device = device;
        rows = device.kernel(MODULE, "jclip_reduce_rows_f32");
        argmaxRows = device.kernel(MODULE, "jclip_argmax_rows_f32");
        columns = device.kernel(MODULE, "jclip_reduce_columns_f32");
        argmaxColumns = device.kernel(MODULE, "jclip_argmax_columns_f32");
    }

    public void reduce(ReduceOp op, Buffer x, int xOffset, int outer, int dim, int inner, Buffer out) {
        String name = "reduce " + op;
        Args.nonNegative(name, "outer", outer);
        Args.nonNegative(name, "dim", dim);
        Args.nonNegative(name, "inner", inner);
        Args.f32(name, "x", x, xOffset, Args.count(name, "x", outer, dim, inner));
        int n = Args.count(name, "out", outer, 1, inner);
        Args.buffer(name, "out", out, op == ReduceOp.ARGMAX ? DType.I64 : DType.F32, 0, n);
        if (n == 0) return;
        if (dim == 0 && op != ReduceOp.SUM)
            throw new IllegalArgumentException(name + " over an empty dimension (outer " + outer + ", inner " + inner + ")");
        int columnBlocks = Layout.ceilDiv(inner, Layout.WARP);
        if (op == ReduceOp.ARGMAX) {
            if (inner == 1) {
                argmaxRows.pointer(x, xOffset).pointer(out, 0).i32(dim).launch(outer, Layout.rowThreads(dim), 0);
            } else {
                argmaxColumns.pointer(x, xOffset).pointer(out, 0).i32(dim).i32(inner).i32(columnBlocks)
                        .launch(Args.count(name, "the grid", outer, columnBlocks, 1), 1, 1, Layout.WARP, columnWarps(dim), 1, 0);
            }
            return;
        }
        int blocks = inner == 1 ? outer : Args.count(name, "the grid", outer, columnBlocks, 1);
        int minChunk = inner == 1 ? MIN_ROW_CHUNK : MIN_COLUMN_CHUNK;
        int splits = Math.max(1, Math.min(Layout.ceilDiv(dim, minChunk), TARGET_BLOCKS / blocks));
        int chunk = Math.max(1, Layout.ceilDiv(dim, splits));
        splits = Math.max(1, Layout.ceilDiv(dim, chunk));
        if (splits == 1) {
            launch(op, x, xOffset, out, outer, dim, inner, chunk, 1);
            return;
        }
        // Partials [outer, splits, inner], then the same kernel over them. Freed into the device's
        // cache at once: later work on the one stream runs after this.
        try (Buffer partials = device.kernels().allocate(DType.F32, Args.count(name, "the partial results", outer, splits, inner))) {
            launch(op, x, xOffset, partials, outer, dim, inner, chunk, splits);
            launch(op, partials, 0, out, outer, splits, inner, splits, 1);
        }
    }

    /** One pass: x [outer, dim, inner] to out [outer, splits, inner], each block over a chunk of dim. */
    private void launch(ReduceOp op, Buffer x, int xOffset, Buffer out, int outer, int dim, int inner, int chunk, int splits) {
        if (inner == 1) {
            // A row is contiguous: a block strides along its chunk.
            rows.i32(op.ordinal()).pointer(x, xOffset).pointer(out, 0).i32(dim).i32(chunk).i32(splits)
                    .launch(outer * splits, Layout.rowThreads(chunk), 0);
        } else {
            // Lanes over 32 adjacent columns (coalesced), warps splitting the chunk.
            int columnBlocks = Layout.ceilDiv(inner, Layout.WARP);
            columns.i32(op.ordinal()).pointer(x, xOffset).pointer(out, 0).i32(dim).i32(inner).i32(columnBlocks).i32(chunk).i32(splits)
                    .launch(outer * splits * columnBlocks, 1, 1, Layout.WARP, columnWarps(chunk), 1, 0);
        }
    }

    private static int columnWarps(int rows) {
        return Math.max(1, Math.min(rows, COLUMN_WARPS));
    }
}
