package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/*
 * Indexing over [outer, dim, inner]: indexSelect / gather against plain loops with I32 and I64
 * indices and offsets, their scatter-add backwards with repeated indices, and the error for an
 * index outside [0, dim): its type, and a message naming the index and the size, on both the
 * serial and the parallel path.
 */
class IndexingTest {

    private static float[] iota(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i + 1) * scale;
        return v;
    }

    @Test
    void indexSelectMatchesLoopWithIntAndLongIndices() {
        int outer = 2, srcDim = 5, inner = 3, so = 4, io = 2;
        float[] src = iota(so + outer * srcDim * inner, 1f);
        int[] idx32 = {9, 9, 4, 0, 4, 2}; // first io entries are not part of the index
        long[] idx64 = Arrays.stream(idx32).asLongStream().toArray();
        int count = idx32.length - io;
        for (Object index : new Object[] {idx32, idx64}) {
            float[] out = new float[outer * count * inner];
            Indexing.indexSelect(src, so, index, io, out, outer, srcDim, count, inner);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < count; i++)
                    for (int j = 0; j < inner; j++)
                        assertEquals(src[so + (o * srcDim + idx32[io + i]) * inner + j], out[(o * count + i) * inner + j],
                                index.getClass().getSimpleName() + " [" + o + ", " + i + ", " + j + "]");
        }
    }

    @Test
    void gatherMatchesLoop() {
        int outer = 3, srcDim = 4, count = 2, inner = 5, so = 1, io = 3;
        float[] src = iota(so + outer * srcDim * inner, 0.5f);
        Random r = new Random(1);
        long[] index = new long[io + outer * count * inner];
        for (int p = 0; p < index.length; p++) index[p] = r.nextInt(srcDim);
        float[] out = new float[outer * count * inner];
        Indexing.gather(src, so, index, io, out, outer, srcDim, count, inner);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < count; i++)
                for (int j = 0; j < inner; j++) {
                    int p = (o * count + i) * inner + j;
                    assertEquals(src[so + (o * srcDim + (int) index[io + p]) * inner + j], out[p], "[" + o + ", " + i + ", " + j + "]");
                }
    }

    @Test
    void indexAddAccumulatesRepeatedIndices() {
        int outer = 2, dstDim = 3, inner = 2;
        int[] index = {1, 1, 0, 1};
        int count = index.length;
        float[] g = iota(outer * count * inner, 1f); // 1..16
        float[] dst = new float[outer * dstDim * inner];
        Arrays.fill(dst, 100f); // accumulates into what is there
        Indexing.indexAdd(g, index, 0, dst, outer, dstDim, count, inner);
        // outer 0: rows of g are {1,2} {3,4} {5,6} {7,8}; index 1 gets rows 0, 1, 3; index 0 gets row 2
        // outer 1: rows {9,10} {11,12} {13,14} {15,16}
        assertArrayEquals(new float[] {
            105, 106, 111, 114, 100, 100,
            113, 114, 135, 138, 100, 100}, dst);
    }

    @Test
    void scatterAddAccumulatesRepeatedIndices() {
        int outer = 1, dstDim = 3, count = 4, inner = 2;
        // column 0 sends everything to 2, column 1 alternates 0 and 1
        long[] index = {2, 0, 2, 1, 2, 0, 2, 1};
        float[] g = {1, 10, 2, 20, 3, 30, 4, 40};
        float[] dst = new float[dstDim * inner];
        Indexing.scatterAdd(g, index, 0, dst, outer, dstDim, count, inner);
        assertArrayEquals(new float[] {0, 40, 0, 60, 10, 0}, dst);
        // scatterAdd is the adjoint of gather: <gather(x), g> = <x, scatterAdd(g)>
        Random r = new Random(2);
        int o2 = 3, d2 = 5, c2 = 7, in2 = 4;
        float[] x = new float[o2 * d2 * in2], gg = new float[o2 * c2 * in2], back = new float[x.length], fwd = new float[gg.length];
        int[] idx = new int[gg.length];
        for (int i = 0; i < x.length; i++) x[i] = r.nextInt(9) - 4;
        for (int i = 0; i < gg.length; i++) {
            gg[i] = r.nextInt(9) - 4;
            idx[i] = r.nextInt(d2);
        }
        Indexing.gather(x, 0, idx, 0, fwd, o2, d2, c2, in2);
        Indexing.scatterAdd(gg, idx, 0, back, o2, d2, c2, in2);
        double lhs = 0, rhs = 0;
        for (int i = 0; i < gg.length; i++) lhs += fwd[i] * gg[i];
        for (int i = 0; i < x.length; i++) rhs += x[i] * back[i];
        assertEquals(lhs, rhs, 0.0);
    }

    /** Asserts an IndexOutOfBoundsException whose message (or, failing that, its cause's) names both numbers. */
    private static void assertIndexError(long index, int size, Executable call) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, call);
        String msg = e.getMessage();
        assertTrue(msg != null && msg.contains(Long.toString(index)) && msg.contains("size " + size),
                "message should name index " + index + " and size " + size + ": " + msg + (e.getCause() != null ? " (cause: " + e.getCause() + ")" : ""));
    }

    @Test
    void outOfRangeAndNegativeIndicesThrowNamingIndexAndSize() {
        float[] src = iota(2 * 4 * 3, 1f);
        for (long bad : new long[] {4, 17, -1, Integer.MIN_VALUE, Long.MAX_VALUE}) {
            long[] index = {0, bad, 1};
            float[] out = new float[2 * 3 * 3];
            Arrays.fill(out, -1f);
            assertIndexError(bad, 4, () -> Indexing.indexSelect(src, 0, index, 0, out, 2, 4, 3, 3));
            for (float v : out) assertEquals(-1f, v, "indexSelect validates before writing anything");
            assertIndexError(bad, 4, () -> Indexing.indexAdd(new float[2 * 3 * 3], index, 0, new float[2 * 4 * 3], 2, 4, 3, 3));
            long[] full = new long[2 * 3 * 3];
            full[7] = bad;
            assertIndexError(bad, 4, () -> Indexing.gather(src, 0, full, 0, new float[full.length], 2, 4, 3, 3));
            assertIndexError(bad, 4, () -> Indexing.scatterAdd(new float[full.length], full, 0, new float[2 * 4 * 3], 2, 4, 3, 3));
        }
        // int[] indices too
        assertIndexError(-3, 4, () -> Indexing.indexSelect(src, 0, new int[] {-3}, 0, new float[2 * 3], 2, 4, 1, 3));
        assertIndexError(4, 4, () -> Indexing.gather(src, 0, new int[] {0, 4, 0}, 0, new float[3], 1, 4, 1, 3));
    }

    @Test
    void outOfRangeIndexOnParallelPathStillNamesIndexAndSize() {
        // big enough that Parallel splits the work: the bad index is hit on a pool thread
        int outer = 64, dim = 8, count = 8, inner = 1024;
        long[] index = new long[count];
        for (int i = 0; i < count; i++) index[i] = i % dim;
        index[5] = 12;
        float[] g = new float[outer * count * inner], dst = new float[outer * dim * inner];
        assertIndexError(12, dim, () -> Indexing.indexAdd(g, index, 0, dst, outer, dim, count, inner));
        long[] full = new long[outer * count * inner];
        full[full.length - 3] = -7;
        float[] src = new float[outer * dim * inner];
        assertIndexError(-7, dim, () -> Indexing.gather(src, 0, full, 0, new float[full.length], outer, dim, count, inner));
        assertIndexError(-7, dim, () -> Indexing.scatterAdd(g, full, 0, dst, outer, dim, count, inner));
    }

    @Test
    void parallelIndexSelectAndIndexAddMatchLoops() {
        int outer = 40, srcDim = 50, count = 60, inner = 70;
        Random r = new Random(3);
        float[] src = new float[outer * srcDim * inner];
        for (int i = 0; i < src.length; i++) src[i] = r.nextFloat();
        int[] index = new int[count];
        for (int i = 0; i < count; i++) index[i] = r.nextInt(srcDim);
        float[] out = new float[outer * count * inner];
        Indexing.indexSelect(src, 0, index, 0, out, outer, srcDim, count, inner);
        float[] dst = new float[src.length];
        Indexing.indexAdd(out, index, 0, dst, outer, srcDim, count, inner);
        float[] expected = new float[src.length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < count; i++)
                for (int j = 0; j < inner; j++) {
                    float v = src[(o * srcDim + index[i]) * inner + j];
                    assertEquals(v, out[(o * count + i) * inner + j]);
                    expected[(o * srcDim + index[i]) * inner + j] += v;
                }
        assertArrayEquals(expected, dst);
    }
}
