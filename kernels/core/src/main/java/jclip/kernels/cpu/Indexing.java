package jclip.kernels.cpu;

/**
 * Index-select, gather and their scatter-add backwards over x viewed as [outer, dim, inner].
 * Indices come as int[] or long[]; an index outside [0, dim) is an error that names it.
 */
public final class Indexing {
    private Indexing() {}

    static int index(Object idx, int i, int dim) {
        long v = idx instanceof int[] a ? a[i] : ((long[]) idx)[i];
        if (v < 0 || v >= dim) throw new IndexOutOfBoundsException("index " + v + " out of range for dimension of size " + dim);
        return (int) v;
    }

    /** out[o, i, j] = src[o, index[i], j]; out [outer, count, inner]. */
    public static void indexSelect(float[] src, int so, Object index, int io, float[] out,
            int outer, int srcDim, int count, int inner) {
        for (int i = 0; i < count; i++) index(index, io + i, srcDim); // validate before writing anything
        Parallel.forRange(outer * count, inner, (from, to) -> {
            for (int oi = from; oi < to; oi++) {
                int o = oi / count, i = oi % count;
                int k = index(index, io + i, srcDim);
                System.arraycopy(src, so + (o * srcDim + k) * inner, out, oi * inner, inner);
            }
        });
    }

    /** dst[o, index[i], j] += g[o, i, j]. Sequential over i: repeated indices accumulate safely. */
    public static void indexAdd(float[] g, Object index, int io, float[] dst, int outer, int dstDim, int count, int inner) {
        Parallel.forRange(outer, (long) count * inner, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int i = 0; i < count; i++) {
                    int k = index(index, io + i, dstDim);
                    int gs = (o * count + i) * inner, ds = (o * dstDim + k) * inner;
                    for (int j = 0; j < inner; j++) dst[ds + j] += g[gs + j];
                }
        });
    }

    /** out[o, i, j] = src[o, index[o, i, j], j]; index and out [outer, count, inner]. */
    public static void gather(float[] src, int so, Object index, int io, float[] out,
            int outer, int srcDim, int count, int inner) {
        Parallel.forRange(outer, (long) count * inner, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < inner; j++) {
                        int p = (o * count + i) * inner + j;
                        out[p] = src[so + (o * srcDim + index(index, io + p, srcDim)) * inner + j];
                    }
        });
    }

    /** dst[o, index[o, i, j], j] += g[o, i, j]. */
    public static void scatterAdd(float[] g, Object index, int io, float[] dst, int outer, int dstDim, int count, int inner) {
        Parallel.forRange(outer, (long) count * inner, (from, to) -> {
            for (int o = from; o < to; o++)
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < inner; j++) {
                        int p = (o * count + i) * inner + j;
                        dst[(o * dstDim + index(index, io + p, dstDim)) * inner + j] += g[p];
                    }
        });
    }
}
