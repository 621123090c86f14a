package jclip.kernels.cuda.launch;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/**
 * Launches src/main/cuda/contrastive.cu: the symmetric contrastive loss's row and column
 * log-sum-exps and its backward over the logits L = scale·a·bᵀ, tile by tile (see Kernels).
 * Partial results go to scratch buffers that a second, small kernel merges in a fixed order, so
 * the results are the same on every run.
 */
public final class Contrastive {
    private static final String MODULE = "contrastive";
    /** Rows and columns of a logits tile, and threads per block: CT_TILE and CT_THREADS in contrastive.cu. */
    static final int TILE = 64, THREADS = 256;
    /**
     * Blocks that fill an H100: 132 SMs, about 4 resident blocks each (256 threads; 17 KiB of shared
     * memory for the log-sum-exps, 42 KiB and 64 registers a thread for the backward). With fewer
     * row tiles than this, the column tiles are split over a second grid dimension, whose partial
     * results are merged afterwards.
     */
    private static final int TARGET_BLOCKS = 4 * 132;
    /** Threads per block of the merge and sum kernels (their __launch_bounds__). */
    static final int MERGE_THREADS = 256;
    /**
     * Most floats of the backward's partial gradients [splits, rows, d] (256 MiB): a backward split
     * over more column blocks than this allows uses fewer of them.
     */
    private static final long MAX_PART_FLOATS = 1L << 26;

    private final CudaDevice device;
    private final CudaKernel logSumExp;
    private final CudaKernel merge;
    private final CudaKernel backward;
    private final CudaKernel sumParts;
    private final CudaKernel scaleSum;

    public Contrastive(CudaDevice device) {
        this.device = device;
        logSumExp = device.kernel(MODULE, "jclip_contrastive_lse_f32");
        merge = device.kernel(MODULE, "jclip_contrastive_lse_merge_f32");
        backward = device.kernel(MODULE, "jclip_contrastive_backward_f32");
        sumParts = device.kernel(MODULE, "jclip_contrastive_sum_parts_f32");
        scaleSum = device.kernel(MODULE, "jclip_contrastive_scale_sum_f32");
    }

    public void logSumExp(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols) {
        String name = "contrastiveLogSumExp";
        operands(name, a, aOffset, b, bOffset, n, m, d);
        Args.f32(name, "lseRows", lseRows, 0, n);
        Args.f32(name, "lseCols", lseCols, 0, m);
        if (n == 0 || m == 0) {
            kernels().fill(lseRows, 0, n, Double.NEGATIVE_INFINITY);
            kernels().fill(lseCols, 0, m, Double.NEGATIVE_INFINITY);
            return;
        }
        int rowTiles = Layout.ceilDiv(n, TILE), colTiles = Layout.ceilDiv(m, TILE);
        int splits = Math.max(1, Math.min(colTiles, Layout.ceilDiv(TARGET_BLOCKS, rowTiles)));
        // Partials [splits, n] and [rowTiles, m], unless one block row or column gives the results
        // directly. Freed into the device's cache at once: later work on the one stream runs after this.
        Buffer rowParts = splits == 1 ? lseRows : kernels().allocate(DType.F32, Args.count(name, "the row partials", splits, n, 1));
        Buffer colParts = null;
        try {
            colParts = rowTiles == 1 ? lseCols : kernels().allocate(DType.F32, Args.count(name, "the column partials", rowTiles, m, 1));
            logSumExp.pointer(a, aOffset).pointer(b, bOffset).i32(n).i32(m).i32(d).f32(scale).pointer(rowParts, 0)
                    .pointer(colParts, 0).launch(rowTiles, splits, 1, THREADS, 1, 1, 0);
            if (splits > 1) merge(rowParts, lseRows, splits, n);
            if (rowTiles > 1) merge(colParts, lseCols, rowTiles, m);
        } finally {
            if (rowParts != lseRows) rowParts.close();
            if (colParts != null && colParts != lseCols) colParts.close();
        }
    }

    private void merge(Buffer partials, Buffer out, int parts, int count) {
        merge.pointer(partials, 0).pointer(out, 0).i32(parts).i32(count)
                .launch(Math.min(Layout.MAX_BLOCKS, Layout.ceilDiv(count, MERGE_THREADS)), MERGE_THREADS, 0);
    }

    public void backward(Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d, float scale,
            Buffer lseRows, Buffer lseCols, int diagonalOffset, float coefficient, Buffer ga, Buffer gb, Buffer gScale) {
        String name = "contrastiveBackward";
        operands(name, a, aOffset, b, bOffset, n, m, d);
        Args.f32(name, "lseRows", lseRows, 0, n);
        Args.f32(name, "lseCols", lseCols, 0, m);
        Args.f32(name, "ga", ga, 0, Args.count(name, "ga", n, d, 1));
        if (gb != null) Args.f32(name, "gb", gb, 0, Args.count(name, "gb", m, d, 1));
        Args.f32(name, "gScale", gScale, 0, 1);
        if (n == 0 || m == 0) {
            // No logits: every gradient is an empty sum.
            kernels().fill(ga, 0, n * d, 0);
            if (gb != null) kernels().fill(gb, 0, m * d, 0);
            kernels().fill(gScale, 0, 1, 0);
            return;
        }
        // Past these no row has a label; clamped, the offset and its negation (for gb) fit an int.
        int offset = Math.max(-n, Math.min(m, diagonalOffset));
        float factor = (float) ((double) coefficient * scale);
        int gaSplits = splits(n, m, d), gbSplits = gb == null ? 0 : splits(m, n, d);
        int scaleCount = Args.count(name, "the gScale partials", Layout.ceilDiv(n, TILE), gaSplits, 1);
        try (Buffer scaleParts = kernels().allocate(DType.F32, scaleCount)) {
            gradient(name, a, aOffset, b, bOffset, n, m, d, scale, lseRows, lseCols, offset, factor, ga, scaleParts, true, gaSplits);
            if (gb != null)
                gradient(name, b, bOffset, a, aOffset, m, n, d, scale, lseCols, lseRows, -offset, factor, gb, scaleParts, false, gbSplits);
            scaleSum.pointer(scaleParts, 0).i32(scaleCount).f32(coefficient).pointer(gScale, 0).launch(1, MERGE_THREADS, 0);
        }
    }

    /**
     * Column blocks of the backward grid for x [nx, d] against y [ny, d]: enough to fill the GPU
     * when x has few row tiles (a CLIP batch of 256 is 4), each block then summing fewer of y's
     * tiles into a partial gradient of its own.
     */
    private static int splits(int nx, int ny, int d) {
        if (d == 0) return 1;  // no gradient to split, only gScale's partials
        int rowTiles = Layout.ceilDiv(nx, TILE), yTiles = Layout.ceilDiv(ny, TILE);
        int splits = Math.max(1, Math.min(yTiles, Layout.ceilDiv(TARGET_BLOCKS, rowTiles)));
        long floats = Math.max(1L, (long) nx * d);
        return splits == 1 ? 1 : (int) Math.max(1, Math.min(splits, MAX_PART_FLOATS / floats));
    }

    /** gx [nx, d] = factor·G·y (see jclip_contrastive_backward_f32), through partials when split. */
    private void gradient(String name, Buffer x, int xOffset, Buffer y, int yOffset, int nx, int ny, int d, float scale,
            Buffer lseOwn, Buffer lseOther, int offset, float factor, Buffer gx, Buffer scaleParts, boolean wantScale, int splits) {
        int rowTiles = Layout.ceilDiv(nx, TILE), count = nx * d;
        Buffer out = splits == 1 ? gx : kernels().allocate(DType.F32, Args.count(name, "the gradient partials", splits, nx, d));
        try {
            backward.pointer(x, xOffset).pointer(y, yOffset).i32(nx).i32(ny).i32(d).f32(scale).pointer(lseOwn, 0)
                    .pointer(lseOther, 0).i32(offset).f32(factor).pointer(out, 0).pointer(scaleParts, 0).i32(wantScale ? 1 : 0)
                    .launch(rowTiles, splits, 1, THREADS, 1, 1, 0);
            if (splits > 1 && count > 0) {
                sumParts.pointer(out, 0).pointer(gx, 0).i32(splits).i32(count)
                        .launch(Math.min(Layout.MAX_BLOCKS, Layout.ceilDiv(count, MERGE_THREADS)), MERGE_THREADS, 0);
            }
        } finally {
            if (out != gx) out.close();
        }
    }

    private Kernels kernels() {
        return device.kernels();
    }

    private static void operands(String name, Buffer a, int aOffset, Buffer b, int bOffset, int n, int m, int d) {
        Args.nonNegative(name, "n", n);
        Args.nonNegative(name, "m", m);
        Args.nonNegative(name, "d", d);
        Args.f32(name, "a", a, aOffset, Args.count(name, "a", n, d, 1));
        Args.f32(name, "b", b, bOffset, Args.count(name, "b", m, d, 1));
    }
}
