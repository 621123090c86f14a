package jclip.kernels.cuda.launch;

import java.util.Arrays;

/** Launch shapes shared by the launchers, and the merging of strided dimensions. */
final class Layout {
    private Layout() {}

    /** Threads per block of the grid-stride element kernels: 8 warps, enough to hide latency with room for 8 blocks per SM. */
    static final int THREADS = 256;

    /**
     * Most blocks of a grid-stride launch: about 4 waves of 8 resident 256-thread blocks on each of
     * an H100's 132 SMs. Larger arrays loop inside the kernel rather than pay for more blocks.
     */
    static final int MAX_BLOCKS = 4 * 8 * 132;

    static final int WARP = 32;

    /** Largest block of the row kernels (softmax, layer norm, row reductions): one block spans a row. */
    static final int MAX_ROW_THREADS = 1024;

    /** Most dimensions of a strided kernel (struct Dims in elements.cuh). */
    static final int MAX_DIMS = 8;

    /** Blocks for a grid-stride loop over n > 0 elements. */
    static int blocks(int n) {
        return (int) Math.min(MAX_BLOCKS, ((long) n + THREADS - 1) / THREADS);
    }

    /** Threads for one block per row of {@code cols}: whole warps (the kernels' shuffles need them), at most 1024. */
    static int rowThreads(int cols) {
        return Math.min(MAX_ROW_THREADS, Math.max(WARP, ceilDiv(cols, WARP) * WARP));
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }

    /**
     * A shape and the strides of several operands over it, with dimensions of size 1 dropped and
     * neighbouring dimensions merged wherever every operand steps through them as one (outer stride =
     * inner stride · inner size). A contiguous copy or a same-shape binary op becomes one dimension,
     * which saves the kernels their index divisions.
     */
    record Merged(int[] shape, int[][] strides) {
        static Merged of(String op, int[] shape, int[]... strides) {
            int k = strides.length;
            int[] s = new int[shape.length];
            int[][] st = new int[k][shape.length];
            int nd = 0;
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] == 1) continue;
                boolean merge = nd > 0;
                for (int j = 0; j < k && merge; j++) merge = (long) st[j][nd - 1] == (long) strides[j][d] * shape[d];
                if (merge) {
                    s[nd - 1] *= shape[d];
                    for (int j = 0; j < k; j++) st[j][nd - 1] = strides[j][d];
                } else {
                    s[nd] = shape[d];
                    for (int j = 0; j < k; j++) st[j][nd] = strides[j][d];
                    nd++;
                }
            }
            if (nd > MAX_DIMS)
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has " + nd
                        + " dimensions that cannot be merged; the CUDA kernels take at most " + MAX_DIMS);
            int[][] out = new int[k][];
            for (int j = 0; j < k; j++) out[j] = Arrays.copyOf(st[j], nd);
            return new Merged(Arrays.copyOf(s, nd), out);
        }

        int ndim() {
            return shape.length;
        }
    }
}
