package jclip.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API micro-kernel: an MR x (2*VL) tile of C in 2*MR vector accumulators, VL being the
 * lane count of the preferred species: 4 x 16 with AVX2 (8 floats a vector), 8 x 32 with AVX-512
 * (see {@link #MR}). Per k step it loads two vectors of the packed B row, broadcasts MR scalars of
 * the packed A column and issues 2*MR FMAs. For 4 x 16, C2 compiles the loop to 26 instructions
 * with no spills and no range checks.
 *
 * <p>Why this shape, on JDK 17's C2 with AVX2 (16 ymm registers). What decides is whether C2's
 * register allocator keeps every accumulator in a register: a spilled accumulator puts a
 * store-to-load round trip on its loop-carried FMA chain and halves the speed. Checked in the
 * generated code (loop of {@code compute}, as compiled inside a real multiply) and timed on packed
 * panels in L1/L2, single thread, best of repeated runs (this machine is shared and noisy):
 * <ul>
 *   <li>4x16: no spills, 80-88 GFLOP/s; kept.
 *   <li>4x16 with the k loop unrolled twice: 70-83 where compiled cleanly, but whether C2 spills
 *       two accumulators depends on the profile (beta = 0 or 1 seen first): 35-43 when it does.
 *   <li>6x16 (the classic AVX2 shape, 12 accumulators): always spills, 33-37.
 *   <li>5x16, 3x24: no spills, but range checks stay in the loop; no better than 4x16.
 *   <li>8x8, 12x8 (one B vector, one broadcast per FMA): no spills, 50-70; the broadcasts, one load
 *       each, cost more than they save.
 *   <li>unrolling by 3 or more, or 2x40 and 4x24: spills, or outgrows C2's inlining budget so that
 *       vectors are boxed on the heap.
 * </ul>
 * With 8 accumulators and a 4-cycle FMA latency, two FMAs per cycle are just covered.
 *
 * <p>Only referenced reflectively by {@link Gemm}, when the {@code jdk.incubator.vector} module is
 * in the boot layer; nothing else may name this class.
 */
final class GemmVectorKernel implements GemmMicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /**
     * Eight rows with AVX-512 (16 accumulators of its 32 registers), four with AVX2 (8 of 16, see
     * above). On 512-bit vectors 8 x 32 beat 4 x 32 by 15-20 % (one core, packed panels in L2, in
     * one JVM: 178 against 154 GFLOP/s at kc 768, 159 against 131 at kc 64; 6 x 32 175 and 145): two
     * B loads then serve sixteen FMAs instead of eight, and sixteen independent chains leave room
     * beyond the FMA latency.
     */
    static final int MR = VL >= 16 ? 8 : 4;
    static final int NR = 2 * VL;

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public String name() {
        return "vector (jdk.incubator.vector, " + S.vectorBitSize() + "-bit, " + MR + "x" + NR + " micro-kernel)";
    }

    @Override
    public PackedB newPackedB() {
        return new Panels();
    }

    @Override
    public Object newWorkspace() {
        return new float[MR * NR];
    }

    /**
     * Macro-kernel: B panels outer (one kc x NR panel, 64 KiB at KC 1024, is reused from L1/L2 by
     * every A panel), A panels inner. Edge tiles are computed whole into a scratch tile (the packed
     * operands are zero-padded), then their valid part is merged into C.
     */
    @Override
    public void multiply(int mc, int kc, int j0, int j1, float[] ap, PackedB b, int pc, float beta, float[] c,
            int co, int ldc, Object workspace) {
        Panels panels = (Panels) b;
        float[] bp = panels.data;
        int slice = pc * panels.stride;
        float[] tile = (float[]) workspace;
        for (int jr = j0; jr < j1; jr += NR) {
            int nrr = Math.min(NR, j1 - jr);
            int bOff = slice + jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int mrr = Math.min(MR, mc - ir);
                int cIdx = co + ir * ldc + jr;
                if (mrr == MR && nrr == NR) {
                    compute(kc, ap, ir * kc, bp, bOff, c, cIdx, ldc, beta);
                } else {
                    compute(kc, ap, ir * kc, bp, bOff, tile, 0, NR, 0f);
                    mergeTile(tile, mrr, nrr, c, cIdx, ldc, beta);
                }
            }
        }
    }

    /**
     * {@link #multiply} with A unpacked: full four-row panels broadcast straight from A's rows
     * ({@link #computeInPlace}); a last panel of fewer rows is packed, zero-padded, first.
     */
    @Override
    public void multiplyUnpackedA(int mc, int kc, int j0, int j1, float[] a, int ao, int lda, PackedB b, int pc,
            float beta, float[] c, int co, int ldc, Object workspace, float[] packScratch) {
        Panels panels = (Panels) b;
        float[] bp = panels.data;
        int slice = pc * panels.stride;
        float[] tile = (float[]) workspace;
        int fullRows = mc / MR * MR;
        if (fullRows < mc) Gemm.packA(false, a, ao, lda, fullRows, mc - fullRows, 0, kc, 1f, MR, packScratch);
        for (int jr = j0; jr < j1; jr += NR) {
            int nrr = Math.min(NR, j1 - jr);
            int bOff = slice + jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                int mrr = Math.min(MR, mc - ir);
                int cIdx = co + ir * ldc + jr;
                if (mrr == MR && nrr == NR) {
                    computeInPlace(kc, a, ao + ir * lda, lda, bp, bOff, c, cIdx, ldc, beta);
                    continue;
                }
                if (mrr == MR) computeInPlace(kc, a, ao + ir * lda, lda, bp, bOff, tile, 0, NR, 0f);
                else compute(kc, packScratch, 0, bp, bOff, tile, 0, NR, 0f);
                mergeTile(tile, mrr, nrr, c, cIdx, ldc, beta);
            }
        }
    }

    /** The valid mrr x nrr corner of a whole edge tile computed into {@code tile}: C = beta*C + tile. */
    private static void mergeTile(float[] tile, int mrr, int nrr, float[] c, int cIdx, int ldc, float beta) {
        for (int r = 0; r < mrr; r++) {
            int cr = cIdx + r * ldc, tr = r * NR;
            if (beta == 0f) {
                System.arraycopy(tile, tr, c, cr, nrr);
            } else {
                for (int j = 0; j < nrr; j++) c[cr + j] = Math.fma(beta, c[cr + j], tile[tr + j]);
            }
        }
    }

    /**
     * Packed B as KC-deep slices of NR-wide panels: the slice of rows [pc, pc+kc) starts at
     * {@code pc*stride} (stride = nc rounded up to NR), its panel t (columns t*NR..) at
     * {@code pc*stride + t*NR*kc}, and element (p, j) of the panel at {@code p*NR + j} from there.
     * Columns past nc are zero.
     */
    private static final class Panels implements PackedB {
        /** Panel rows per step of the transposing copy: 64 x NR floats written, 8 KiB with AVX-512. */
        private static final int TRANSPOSE_DEPTH = 64;

        float[] data = new float[0];
        int stride;

        @Override
        public void reserve(int k, int nc) {
            stride = (nc + NR - 1) / NR * NR;
            int size = k * stride;
            if (data.length < size) data = new float[size];
        }

        @Override
        public void pack(boolean transB, float[] b, int bo, int ldb, int k, int kcBlock, int jc, int nc, int from,
                int to) {
            float[] bp = data;
            for (int pc = 0; pc < k; pc += kcBlock) {
                int kc = Math.min(kcBlock, k - pc);
                int slice = pc * stride;
                if (!transB) {
                    // B(p, j) = b[bo + p*ldb + j]: walk each row of B once, dealing its NR-wide pieces
                    // out to the panels (two vector copies per full piece; arraycopy of 16 floats
                    // cost 6% of a 1024^3 multiply).
                    int full = Math.min(to, nc / NR);
                    for (int p = 0; p < kc; p++) {
                        int src = bo + (pc + p) * ldb + jc;
                        int dRow = slice + p * NR;
                        int t = from;
                        for (; t < full; t++) {
                            int s = src + t * NR, d = dRow + t * NR * kc;
                            FloatVector.fromArray(S, b, s).intoArray(bp, d);
                            FloatVector.fromArray(S, b, s + VL).intoArray(bp, d + VL);
                        }
                        for (; t < to; t++) {
                            int jr = t * NR, nrr = Math.min(NR, nc - jr), d = dRow + jr * kc;
                            for (int j = 0; j < nrr; j++) bp[d + j] = b[src + jr + j];
                            for (int j = nrr; j < NR; j++) bp[d + j] = 0f;
                        }
                    }
                } else {
                    // B(p, j) = b[bo + j*ldb + p]: each column of a panel is a contiguous run of B. A
                    // transposing copy, taken TRANSPOSE_DEPTH rows of the panel at a time: the panel
                    // rows being written (NR floats each) then stay in L1 while all NR columns deal
                    // into them; a whole column at once (kc rows) wrote kc cache lines per column and
                    // packed a 2,304 x 768 weight at half the speed.
                    for (int t = from; t < to; t++) {
                        int jr = t * NR;
                        int nrr = Math.min(NR, nc - jr);
                        int dst = slice + jr * kc;
                        for (int p0 = 0; p0 < kc; p0 += TRANSPOSE_DEPTH) {
                            int p1 = Math.min(kc, p0 + TRANSPOSE_DEPTH);
                            for (int j = 0; j < nrr; j++) {
                                int src = bo + (jc + jr + j) * ldb + pc;
                                for (int p = p0; p < p1; p++) bp[dst + p * NR + j] = b[src + p];
                            }
                        }
                        for (int j = nrr; j < NR; j++) {
                            for (int p = 0; p < kc; p++) bp[dst + p * NR + j] = 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * One full MR x NR tile: {@code C = beta*C + Apanel * Bpanel} with the A panel at {@code ap[ao]},
     * the B panel at {@code bp[bo]} and C's (0,0) at {@code c[co]}, rows {@code ldc} apart.
     */
    static void compute(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float beta) {
        if (MR == 8) compute8(kc, ap, ao, bp, bo, c, co, ldc, beta);
        else compute4(kc, ap, ao, bp, bo, c, co, ldc, beta);
    }

    private static void compute4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float beta) {
        // broadcast(0), not zero(): zero() returns a cached constant, which C2 (JDK 17) cannot merge
        // with the loop-carried results, so every accumulator would be boxed on the heap each trip.
        FloatVector c00 = FloatVector.broadcast(S, 0f), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR;
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        if (beta == 0f) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + VL);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + VL);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + VL);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + VL);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            merge(c00, c, co, vb);
            merge(c01, c, co + VL, vb);
            merge(c10, c, c1, vb);
            merge(c11, c, c1 + VL, vb);
            merge(c20, c, c2, vb);
            merge(c21, c, c2 + VL, vb);
            merge(c30, c, c3, vb);
            merge(c31, c, c3 + VL, vb);
        }
    }

    /**
     * {@link #compute} with the A panel read where it lies instead of packed: row r of the panel,
     * element p, is {@code a[ao + r*lda + p]}. The same products in the same order, so the same
     * result bit for bit; only the loads of the four broadcast scalars differ.
     */
    static void computeInPlace(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] c, int co, int ldc,
            float beta) {
        if (MR == 8) computeInPlace8(kc, a, ao, lda, bp, bo, c, co, ldc, beta);
        else computeInPlace4(kc, a, ao, lda, bp, bo, c, co, ldc, beta);
    }

    private static void computeInPlace4(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] c, int co,
            int ldc, float beta) {
        FloatVector c00 = FloatVector.broadcast(S, 0f), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        // The tile's stores are written out again here, not shared with compute: C2 (JDK 17) boxes
        // vectors passed to a method it does not inline, which made 1024^3 ten times slower.
        int a0 = ao, a1 = ao + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        if (beta == 0f) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + VL);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + VL);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + VL);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + VL);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            merge(c00, c, co, vb);
            merge(c01, c, co + VL, vb);
            merge(c10, c, c1, vb);
            merge(c11, c, c1 + VL, vb);
            merge(c20, c, c2, vb);
            merge(c21, c, c2 + VL, vb);
            merge(c30, c, c3, vb);
            merge(c31, c, c3 + VL, vb);
        }
    }

    // The eight-row tiles, for 512-bit vectors. Written out, not looped over rows: C2 keeps named
    // vector locals in registers, but an array of accumulators would live on the heap. The packed and
    // the in-place tile stay two loops: one loop with a row and a depth stride (the packed panel's
    // constant offsets becoming variables) was 12-19 % slower (2026-12-05, JMH back to back, two
    // pairs: 1024^3 309/299 -> 264/242 GFLOP/s, ViT MLP 768x3072 282/288 -> 243/247).
    private static void compute8(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, float beta) {
        FloatVector c00 = FloatVector.broadcast(S, 0f), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00;
        FloatVector c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR;
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector av = FloatVector.broadcast(S, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        if (beta == 0f) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + VL);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + VL);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + VL);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + VL);
            c40.intoArray(c, c4);
            c41.intoArray(c, c4 + VL);
            c50.intoArray(c, c5);
            c51.intoArray(c, c5 + VL);
            c60.intoArray(c, c6);
            c61.intoArray(c, c6 + VL);
            c70.intoArray(c, c7);
            c71.intoArray(c, c7 + VL);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            merge(c00, c, co, vb);
            merge(c01, c, co + VL, vb);
            merge(c10, c, c1, vb);
            merge(c11, c, c1 + VL, vb);
            merge(c20, c, c2, vb);
            merge(c21, c, c2 + VL, vb);
            merge(c30, c, c3, vb);
            merge(c31, c, c3 + VL, vb);
            merge(c40, c, c4, vb);
            merge(c41, c, c4 + VL, vb);
            merge(c50, c, c5, vb);
            merge(c51, c, c5 + VL, vb);
            merge(c60, c, c6, vb);
            merge(c61, c, c6 + VL, vb);
            merge(c70, c, c7, vb);
            merge(c71, c, c7 + VL, vb);
        }
    }

    private static void computeInPlace8(int kc, float[] a, int ao, int lda, float[] bp, int bo, float[] c, int co,
            int ldc, float beta) {
        FloatVector c00 = FloatVector.broadcast(S, 0f), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00;
        FloatVector c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00;
        FloatVector c70 = c00, c71 = c00;
        int a0 = ao, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda,
                a7 = a6 + lda;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + VL);
            FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[a4 + p]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[a5 + p]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(S, a[a6 + p]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(S, a[a7 + p]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
        if (beta == 0f) {
            c00.intoArray(c, co);
            c01.intoArray(c, co + VL);
            c10.intoArray(c, c1);
            c11.intoArray(c, c1 + VL);
            c20.intoArray(c, c2);
            c21.intoArray(c, c2 + VL);
            c30.intoArray(c, c3);
            c31.intoArray(c, c3 + VL);
            c40.intoArray(c, c4);
            c41.intoArray(c, c4 + VL);
            c50.intoArray(c, c5);
            c51.intoArray(c, c5 + VL);
            c60.intoArray(c, c6);
            c61.intoArray(c, c6 + VL);
            c70.intoArray(c, c7);
            c71.intoArray(c, c7 + VL);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            merge(c00, c, co, vb);
            merge(c01, c, co + VL, vb);
            merge(c10, c, c1, vb);
            merge(c11, c, c1 + VL, vb);
            merge(c20, c, c2, vb);
            merge(c21, c, c2 + VL, vb);
            merge(c30, c, c3, vb);
            merge(c31, c, c3 + VL, vb);
            merge(c40, c, c4, vb);
            merge(c41, c, c4 + VL, vb);
            merge(c50, c, c5, vb);
            merge(c51, c, c5 + VL, vb);
            merge(c60, c, c6, vb);
            merge(c61, c, c6 + VL, vb);
            merge(c70, c, c7, vb);
            merge(c71, c, c7 + VL, vb);
        }
    }

    /** c[i..i+VL) = beta*c[i..i+VL) + acc (exactly c + acc when beta is 1). */
    private static void merge(FloatVector acc, float[] c, int i, FloatVector beta) {
        FloatVector.fromArray(S, c, i).fma(beta, acc).intoArray(c, i);
    }
}
