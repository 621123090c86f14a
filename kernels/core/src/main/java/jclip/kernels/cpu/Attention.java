package jclip.kernels.cpu;

import java.util.Arrays;
import jclip.kernels.AttentionShape;

/**
 * Scaled dot-product attention (see {@link AttentionShape}) on float arrays: the fused forward and
 * backward that CpuKernels runs, and the reference, which forms each query row's scores and
 * accumulates in double.
 *
 * <p>Forward (FlashAttention-2): work is cut into units of (pair, block of query rows); each unit
 * streams over tiles of keys, computes the tile's scores S = scale·q·kᵀ + mask into a scratch tile,
 * and keeps an online softmax per row: the running maximum m and sum l, the output accumulated in
 * {@code out} itself and rescaled by exp(m_old − m_new) whenever the maximum grows (folded into the
 * P·V product's store). At the end out /= l and lse = m + log l. Nothing of size queries × keys is
 * formed. Causal attention skips the key tiles wholly above the diagonal, and on a tile that
 * crosses it works in bands of {@value #BAND} rows, each computing only the keys its last row sees.
 *
 * <p>Backward (FlashAttention-2): D_i = gOut_i·out_i; per key tile, for every query block that
 * sees it: recompute P = exp(S − lse) from q, k and the saved lse, gP = gOut·vᵀ, dS = P∘(gP − D),
 * then gv += Pᵀ·gOut, gk += scale·dSᵀ·q (the tile's own rows) and gq += scale·dS·k. Units are
 * (pair, chunk of key tiles): a unit owns its keys' gk and gv rows, and writes its pair's gq
 * contribution to gq itself when it is the pair's only chunk. With fewer pairs than
 * {@value #UNITS_PER_THREAD} per thread, pairs are cut into chunks of equal work; chunk 0 writes gq
 * and every other chunk a gq partial of its own, summed in chunk order afterwards (no two threads
 * write one row, and the result does not depend on scheduling).
 *
 * <p>The products over a tile and the exponentials are an {@link AttentionTileKernel}, chosen once:
 * the Vector API one when the {@code jdk.incubator.vector} module is in the boot layer and
 * {@code -Djclip.vector=false} is not set (the same rule as {@link Gemm}), otherwise the plain-Java
 * one. {@link #implementation()} says which.
 */
public final class Attention {
    private Attention() {}

    // Tile sizes, for the 2-core AMD EPYC this was written on (32 KiB L1d, 512 KiB L2 per core,
    // 512-bit vectors, so 4 x 32 register tiles). The machine is shared, so these were timed on one
    // thread by its CPU time (-Djclip.threads=1), d = 64:
    //  - The tile product runs at 55-80 GFLOP/s on one core with its operands in L1/L2 (50..64 x 64
    //    x 64). Transposing a 64 x 64 key tile costs 2.5-4 us (0.6-1 ns an element), a third of one
    //    such product, and a 64-row block does two products per tile; so the forward packs each kᵀ
    //    tile once per pair and task, not once per query block (the backward's loop over key tiles
    //    is outermost, and packs each kᵀ and vᵀ tile once anyway).
    //  - BLOCK_Q x TILE_K at L = 1024, 16 pairs: forward 74-81 ms for 32x64, 64x64, 64x128, 128x64
    //    and 128x128 alike, 86 ms for 64x32; forward + backward 251-256 ms for 64x64 and 64x128,
    //    268-299 ms for 128x128, 128x64, 32x64, and 323 ms for 64x32. 64 x 64: kᵀ, v (and in the
    //    backward vᵀ and k) tiles of 16 KiB each, score tiles of 16 KiB, all in L2 with room to
    //    spare, and the 64 x 32 panel (8 KiB) that a register tile streams through stays in L1.
    //  - SMALL = 128: a pair of up to 128 tokens is one block against one tile, so its keys are
    //    packed once and the softmax needs no rescaling (at d = 64 its q, kᵀ, v and scores are at
    //    most 32 KiB each). Text (77 tokens, causal) forward + backward: 10.7-11.3 ms as one tile,
    //    12.2-12.9 ms as 39-row blocks and tiles (SMALL = 64).
    // (-Djclip.attention.small/block/tile override them, for tuning on other machines.)
    /** Up to this many queries (keys), a pair's queries form one block (its keys one tile). */
    static final int SMALL = Math.max(1, Integer.getInteger("jclip.attention.small", 128));
    /** Above SMALL, queries are cut into equal blocks of at most this many rows. */
    static final int BLOCK_Q = Math.max(1, Integer.getInteger("jclip.attention.block", 64));
    /** Above SMALL, keys are cut into equal tiles of at most this many keys. */
    static final int TILE_K = Math.max(1, Integer.getInteger("jclip.attention.tile", 64));
    /** Rows (or keys) per band on a tile that crosses the causal diagonal. */
    static final int BAND = 16;
    /** Backward: pairs are cut into key chunks only when there are fewer than this many per thread. */
    static final int UNITS_PER_THREAD = 4;
    /** Backward: most floats of gq partials held at once (16 MiB); bounds the number of chunks. */
    static final long PARTIAL_MAX = 1L << 22;

    private static final AttentionTileKernel KERNEL = pickKernel();

    private static AttentionTileKernel pickKernel() {
        AttentionTileKernel vector = VectorKernels.enabled() ? VectorKernels.load(AttentionTileKernel.class, "AttentionVectorKernel") : null;
        return vector != null ? vector : new AttentionScalarKernel();
    }

    /** Which tile kernel is active, e.g. "vector (jdk.incubator.vector, 512-bit, 4x32 tiles)". */
    public static String implementation() {
        return KERNEL.name();
    }

    /** The Vector API kernel, or null when the module is not in the boot layer (ignores jclip.vector). */
    static AttentionTileKernel vectorKernel() {
        if (KERNEL.getClass().getSimpleName().equals("AttentionVectorKernel")) return KERNEL;
        return VectorKernels.load(AttentionTileKernel.class, "AttentionVectorKernel");
    }

    /** The plain-Java kernel. */
    static AttentionTileKernel scalarKernel() {
        return KERNEL instanceof AttentionScalarKernel ? KERNEL : new AttentionScalarKernel();
    }

    /** Rows per block (keys per tile) for n of them: all up to {@code small}, else equal cuts of at most {@code block}. */
    static int tileSize(int n, int small, int block) {
        if (n <= small) return Math.max(1, n);
        return ceilDiv(n, ceilDiv(n, block));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int n, int multiple) {
        return ceilDiv(n, multiple) * multiple;
    }

    // ---------------------------------------------------------------------------------------------
    // Forward

    /**
     * q [pairs, queries, headDim] from qo, k and v [pairs, keys, headDim] from ko and vo, mask as in
     * {@link AttentionShape} (or null); writes out [pairs, queries, headDim] and lse [pairs, queries]
     * from 0.
     */
    public static void forward(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse) {
        forward(KERNEL, tileSize(s.queries(), SMALL, BLOCK_Q), tileSize(s.keys(), SMALL, TILE_K),
                s, q, qo, k, ko, v, vo, mask, out, lse);
    }

    /** {@link #forward} with a given kernel and tile sizes (tests use small tiles to cross many of them). */
    static void forward(AttentionTileKernel kernel, int tq, int tk, AttentionShape s, float[] q, int qo,
            float[] k, int ko, float[] v, int vo, float[] mask, float[] out, float[] lse) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), pairs = s.pairs();
        if (pairs == 0 || lq == 0) return;
        if (lk == 0) {
            // As the reference: the sum over no keys is 0, so lse = −∞ and out = 0/0.
            Arrays.fill(out, 0, s.queryElements(), Float.NaN);
            Arrays.fill(lse, 0, s.rows(), Float.NEGATIVE_INFINITY);
            return;
        }
        int blocks = ceilDiv(lq, tq), tiles = ceilDiv(lk, tk);
        int ld = roundUp(Math.min(tk, lk), kernel.align());
        long cost = 2L * tq * lk * d;
        Parallel.forRange(pairs * blocks, cost, (from, to) -> {
            Scratch w = Scratch.take();
            try {
                // Units run pair-major, so a task's consecutive blocks of one pair share its packed kᵀ tiles.
                float[] kT = w.floats(0, tiles * d * ld);
                int[] packedFor = w.ints(tiles);
                Arrays.fill(packedFor, -1);
                float[] scores = w.floats(1, tq * ld), max = w.floats(2, tq), sum = w.floats(3, tq), rescale = w.floats(4, tq);
                for (int u = from; u < to; u++) {
                    int pair = u / blocks, i0 = (u % blocks) * tq;
                    forwardBlock(kernel, s, q, qo, k, ko, v, vo, mask, out, lse, pair, i0, Math.min(lq, i0 + tq), tk,
                            ld, kT, packedFor, scores, max, sum, rescale);
                }
            } finally {
                w.release();
            }
        });
    }

    /**
     * Per-thread scratch arrays, grown on demand and reused across calls (their contents are
     * always written before being read). A body of Parallel.forRange here never forks, so a thread
     * cannot enter a second one while it holds this; a fresh one is made if it ever does.
     */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
        private final float[][] floats = new float[6][0];
        private int[] ints = new int[0];
        private boolean busy;

        static Scratch take() {
            Scratch w = LOCAL.get();
            if (w.busy) w = new Scratch();
            w.busy = true;
            return w;
        }

        void release() {
            busy = false;
        }

        float[] floats(int slot, int size) {
            if (floats[slot].length < size) floats[slot] = new float[size];
            return floats[slot];
        }

        int[] ints(int size) {
            if (ints.length < size) ints = new int[size];
            return ints;
        }
    }

    /**
     * Rows [i0, i1) of one pair. Key tile t is packed transposed at kT[t·d·ld ..] (rows ld apart)
     * the first time a unit of this task needs it for this pair (packedFor[t] says for which);
     * score tiles are ld wide.
     */
    private static void forwardBlock(AttentionTileKernel kernel, AttentionShape s, float[] q, int qo, float[] k,
            int ko, float[] v, int vo, float[] mask, float[] out, float[] lse, int pair, int i0, int i1, int tk,
            int ld, float[] kT, int[] packedFor, float[] st, float[] m, float[] l, float[] rescale) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), rows = i1 - i0, align = kernel.align();
        int b = pair / s.heads(), h = pair % s.heads();
        boolean causal = s.causal();
        int qb = qo + (pair * lq + i0) * d, ob = (pair * lq + i0) * d;
        int kb = ko + pair * lk * d, vb = vo + pair * lk * d;
        Arrays.fill(m, 0, rows, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, rows, 0f);
        // Causal: the last row of the block sees keys up to i1 − 1; later tiles are skipped.
        int jEnd = causal ? Math.min(lk, i1) : lk;
        for (int j0 = 0, t = 0; j0 < jEnd; j0 += tk, t++) {
            int kTo = t * d * ld;
            if (packedFor[t] != pair) {
                packTransposed(k, kb + j0 * d, Math.min(tk, lk - j0), ld, d, kT, kTo);
                packedFor[t] = pair;
            }
            int n = Math.min(tk, jEnd - j0), np = roundUp(n, align);
            int band = causal && j0 + n - 1 > i0 ? BAND : rows;
            for (int r0 = 0; r0 < rows; r0 += band) {
                int r1 = Math.min(rows, r0 + band);
                // Keys of this tile that the band's last row sees (rows above see fewer, masked below).
                int nb = causal ? Math.min(n, i0 + r1 - j0) : n;
                if (nb <= 0) continue;
                int nbp = Math.min(np, roundUp(nb, align));
                kernel.multiply(r1 - r0, nbp, d, s.scale(), q, qb + r0 * d, d, 1, kT, kTo, ld, st, r0 * ld, ld,
                        false, null, 0);
                for (int r = r0; r < r1; r++) {
                    int i = i0 + r, row = r * ld;
                    int visible = causal ? Math.max(0, Math.min(nb, i - j0 + 1)) : nb;
                    if (mask != null) {
                        int mo = s.maskIndex(b, h, i, j0);
                        for (int j = 0; j < visible; j++) st[row + j] += mask[mo + j];
                    }
                    Arrays.fill(st, row + visible, row + nbp, Float.NEGATIVE_INFINITY);
                    float mOld = m[r], mNew = Math.max(mOld, kernel.max(st, row, nbp));
                    // A row that sees nothing yet keeps m = −∞; shifting by 0 then gives p = 0, not NaN.
                    float sum = kernel.expSum(st, row, nbp, mNew == Float.NEGATIVE_INFINITY ? 0f : mNew);
                    float a = mOld == mNew ? 1f : (float) Math.exp(mOld - mNew);
                    rescale[r] = a;
                    l[r] = l[r] * a + sum;
                    m[r] = mNew;
                }
                kernel.multiply(r1 - r0, d, nb, 1f, st, r0 * ld, ld, 1, v, vb + j0 * d, d, out, ob + r0 * d, d,
                        j0 > 0, rescale, r0);
            }
        }
        for (int r = 0; r < rows; r++) {
            int row = pair * lq + i0 + r, o = ob + r * d;
            if (!(l[r] > 0f)) {
                // Every key hidden: NaN, as softmax over a row of −∞ (and the reference) gives.
                Arrays.fill(out, o, o + d, Float.NaN);
                lse[row] = Float.NaN;
                continue;
            }
            float inv = 1f / l[r];
            for (int c = 0; c < d; c++) out[o + c] *= inv;
            lse[row] = m[r] + (float) Math.log(l[r]);
        }
    }

    /** t[to + c*ld + j] = x[base + j*d + c] for the n rows of a tile, zero for j in [n, ld). */
    private static void packTransposed(float[] x, int base, int n, int ld, int d, float[] t, int to) {
        for (int j = 0; j < n; j++) {
            int src = base + j * d, dst = to + j;
            for (int c = 0; c < d; c++) t[dst + c * ld] = x[src + c];
        }
        if (ld > n) {
            for (int c = 0; c < d; c++) Arrays.fill(t, to + c * ld + n, to + c * ld + ld, 0f);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Backward

    /**
     * From the forward's inputs, its out and lse, and gOut [pairs, queries, headDim] (from 0): writes
     * gq, gk and gv (shaped like q, k and v, from 0).
     */
    public static void backward(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse, float[] gOut, float[] gq, float[] gk, float[] gv) {
        int tq = tileSize(s.queries(), SMALL, BLOCK_Q), tk = tileSize(s.keys(), SMALL, TILE_K);
        backward(KERNEL, tq, tk, chunks(s, tk), s, q, qo, k, ko, v, vo, mask, out, lse, gOut, gq, gk, gv);
    }

    /**
     * Key chunks per pair: 1 when there are at least {@value #UNITS_PER_THREAD} pairs per thread,
     * else enough for that many units, at most one per key tile and within {@link #PARTIAL_MAX}.
     */
    static int chunks(AttentionShape s, int tk) {
        int threads = Parallel.threads(), pairs = s.pairs();
        if (threads == 1 || pairs == 0 || pairs >= UNITS_PER_THREAD * threads) return 1;
        int tiles = ceilDiv(Math.max(1, s.keys()), tk);
        long pairFloats = Math.max(1L, (long) s.queries() * s.headDim() * pairs);
        long byMemory = 1 + PARTIAL_MAX / pairFloats;
        return (int) Math.max(1, Math.min(Math.min(tiles, ceilDiv(UNITS_PER_THREAD * threads, pairs)), byMemory));
    }

    /** {@link #backward} with a given kernel, tile sizes and number of key chunks per pair (for tests). */
    static void backward(AttentionTileKernel kernel, int tq, int tk, int chunks, AttentionShape s, float[] q, int qo,
            float[] k, int ko, float[] v, int vo, float[] mask, float[] out, float[] lse, float[] gOut, float[] gq,
            float[] gk, float[] gv) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), pairs = s.pairs();
        if (pairs == 0) return;
        if (lq == 0 || lk == 0) {
            Arrays.fill(gq, 0, s.queryElements(), 0f);
            Arrays.fill(gk, 0, s.keyElements(), 0f);
            Arrays.fill(gv, 0, s.keyElements(), 0f);
            return;
        }
        int tiles = ceilDiv(lk, tk);
        int nChunks = Math.max(1, Math.min(chunks, tiles));
        int[] bounds = chunkBounds(tiles, nChunks, tk, lq, s.causal());
        int rows = s.rows();
        float[] partial = nChunks > 1 ? new float[Math.multiplyExact(nChunks - 1, Math.multiplyExact(rows, d))] : null;
        int np = roundUp(Math.min(tk, lk), kernel.align());
        long cost = 5L * lq * lk * d / nChunks;
        Parallel.forRange(pairs * nChunks, cost, (from, to) -> {
            Scratch w = Scratch.take();
            try {
                float[] kT = w.floats(0, d * np), vT = w.floats(1, d * np), p = w.floats(2, tq * np),
                        dp = w.floats(3, tq * np), rowDot = w.floats(4, lq);
                for (int u = from; u < to; u++) {
                    int pair = u / nChunks, c = u % nChunks;
                    float[] gqTarget = c == 0 ? gq : partial;
                    int gqo = c == 0 ? pair * lq * d : ((c - 1) * rows + pair * lq) * d;
                    backwardChunk(kernel, s, q, qo, k, ko, v, vo, mask, out, lse, gOut, gqTarget, gqo, gk, gv, pair,
                            bounds[c] * tk, Math.min(lk, bounds[c + 1] * tk), tq, tk, kT, vT, p, dp, rowDot);
                }
            } finally {
                w.release();
            }
        });
        if (partial != null) {
            Parallel.forRange(rows, (long) (nChunks - 1) * d, (from, to) -> {
                for (int c = 1; c < nChunks; c++) {
                    int po = (c - 1) * rows * d;
                    for (int e = from * d; e < to * d; e++) gq[e] += partial[po + e];
                }
            });
        }
    }

    /**
     * Tile boundaries of nChunks chunks of about equal work: tile t costs the query rows that see it
     * (all of them, or queries − t·tk when causal). Each chunk gets at least one tile.
     */
    static int[] chunkBounds(int tiles, int nChunks, int tk, int lq, boolean causal) {
        long[] prefix = new long[tiles + 1];
        for (int t = 0; t < tiles; t++) prefix[t + 1] = prefix[t] + (causal ? Math.max(1, lq - (long) t * tk) : 1);
        int[] bounds = new int[nChunks + 1];
        bounds[nChunks] = tiles;
        int t = 0;
        for (int c = 1; c < nChunks; c++) {
            long target = prefix[tiles] * c / nChunks;
            while (t < tiles && prefix[t] < target) t++;
            bounds[c] = Math.max(bounds[c - 1] + 1, Math.min(t, tiles - (nChunks - c)));
            t = bounds[c];
        }
        return bounds;
    }

    /** Keys [jFrom, jTo) of one pair: their gk and gv rows, and their part of the pair's gq, at gqT[gqo..]. */
    private static void backwardChunk(AttentionTileKernel kernel, AttentionShape s, float[] q, int qo, float[] k,
            int ko, float[] v, int vo, float[] mask, float[] out, float[] lse, float[] gOut, float[] gqT, int gqo,
            float[] gk, float[] gv, int pair, int jFrom, int jTo, int tq, int tk, float[] kT, float[] vT, float[] p,
            float[] dp, float[] rowDot) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim(), align = kernel.align();
        int b = pair / s.heads(), h = pair % s.heads();
        boolean causal = s.causal();
        float scale = s.scale();
        int qb = qo + pair * lq * d, ob = pair * lq * d, kb = ko + pair * lk * d, vb = vo + pair * lk * d;
        int kOut = pair * lk * d;
        Arrays.fill(gqT, gqo, gqo + lq * d, 0f);
        // Causal: queries before jFrom see none of these keys.
        int iFrom = causal ? Math.min(lq, jFrom) : 0;
        for (int i = iFrom; i < lq; i++) {
            double dot = 0;
            for (int c = 0; c < d; c++) dot += (double) gOut[ob + i * d + c] * out[ob + i * d + c];
            rowDot[i] = (float) dot;
        }
        for (int j0 = jFrom; j0 < jTo; j0 += tk) {
            int n = Math.min(tk, jTo - j0), np = roundUp(n, align);
            packTransposed(k, kb + j0 * d, n, np, d, kT, 0);
            packTransposed(v, vb + j0 * d, n, np, d, vT, 0);
            Arrays.fill(gk, kOut + j0 * d, kOut + (j0 + n) * d, 0f);
            Arrays.fill(gv, kOut + j0 * d, kOut + (j0 + n) * d, 0f);
            for (int i0 = causal ? j0 : 0; i0 < lq; i0 += tq) {
                int rows = Math.min(tq, lq - i0);
                boolean diagonal = causal && j0 + n - 1 > i0;
                int band = diagonal ? BAND : rows;
                // Query-row bands: P, dS and gq for the keys each band sees.
                for (int r0 = 0; r0 < rows; r0 += band) {
                    int r1 = Math.min(rows, r0 + band);
                    int nb = causal ? Math.min(n, i0 + r1 - j0) : n;
                    int nbp = Math.min(np, roundUp(nb, align));
                    kernel.multiply(r1 - r0, nbp, d, scale, q, qb + (i0 + r0) * d, d, 1, kT, 0, np, p, r0 * np, np,
                            false, null, 0);
                    kernel.multiply(r1 - r0, nbp, d, 1f, gOut, ob + (i0 + r0) * d, d, 1, vT, 0, np, dp, r0 * np, np,
                            false, null, 0);
                    for (int r = r0; r < r1; r++) {
                        int i = i0 + r, row = r * np;
                        int visible = causal ? Math.min(nb, i - j0 + 1) : nb;
                        if (mask != null) {
                            int mo = s.maskIndex(b, h, i, j0);
                            for (int j = 0; j < visible; j++) p[row + j] += mask[mo + j];
                        }
                        Arrays.fill(p, row + visible, row + nbp, Float.NEGATIVE_INFINITY);
                        kernel.expSum(p, row, nbp, lse[pair * lq + i]);
                        float di = rowDot[i];
                        for (int j = 0; j < nbp; j++) dp[row + j] = p[row + j] * (dp[row + j] - di);
                        // Keys past the band's reach: zero, for the key-oriented products below.
                        Arrays.fill(p, row + nbp, row + np, 0f);
                        Arrays.fill(dp, row + nbp, row + np, 0f);
                    }
                    kernel.multiply(r1 - r0, d, nb, scale, dp, r0 * np, np, 1, k, kb + j0 * d, d, gqT,
                            gqo + (i0 + r0) * d, d, true, null, 0);
                }
                // Key bands: gv += Pᵀ·gOut and gk += scale·dSᵀ·q over the query rows that see each band.
                int keyBand = diagonal ? BAND : n;
                for (int c0 = 0; c0 < n; c0 += keyBand) {
                    int c1 = Math.min(n, c0 + keyBand);
                    int p0 = causal ? Math.max(0, j0 + c0 - i0) : 0;
                    if (p0 >= rows) break;
                    kernel.multiply(c1 - c0, d, rows - p0, 1f, p, p0 * np + c0, 1, np, gOut, ob + (i0 + p0) * d, d,
                            gv, kOut + (j0 + c0) * d, d, true, null, 0);
                    kernel.multiply(c1 - c0, d, rows - p0, scale, dp, p0 * np + c0, 1, np, q, qb + (i0 + p0) * d, d,
                            gk, kOut + (j0 + c0) * d, d, true, null, 0);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reference

    /** The score of query i against key j in pair (b, h), before the softmax; −∞ where hidden. */
    private static double score(AttentionShape s, float[] q, int qRow, float[] k, int kRow, float[] mask, int b, int h, int i, int j) {
        if (s.causal() && j > i) return Double.NEGATIVE_INFINITY;
        double dot = 0;
        for (int c = 0; c < s.headDim(); c++) dot += (double) q[qRow + c] * k[kRow + c];
        double score = s.scale() * dot;
        return mask == null ? score : score + mask[s.maskIndex(b, h, i, j)];
    }

    /** softmax(scores)·v and the log-sum-exp, row by row, in double. */
    public static void reference(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] out, float[] lse) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim();
        double[] p = new double[lk];
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.heads(); h++) {
                int pair = b * s.heads() + h;
                int qBase = qo + pair * lq * d, kBase = ko + pair * lk * d, vBase = vo + pair * lk * d;
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) max = Math.max(max, p[j] = score(s, q, qBase + i * d, k, kBase + j * d, mask, b, h, i, j));
                    double sum = 0;
                    for (int j = 0; j < lk; j++) sum += p[j] = Math.exp(p[j] - max);
                    int row = pair * lq + i;
                    lse[row] = (float) (max + Math.log(sum));
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < lk; j++) acc += p[j] * v[vBase + j * d + c];
                        out[row * d + c] = (float) (acc / sum);
                    }
                }
            }
    }

    /**
     * With P = softmax(scores): gv = Pᵀ·gOut, gP = gOut·vᵀ, gScores = P∘(gP − rowsum(gP∘P)),
     * gq = scale·gScores·k, gk = scale·gScoresᵀ·q; in double from the inputs alone.
     */
    public static void backwardReference(AttentionShape s, float[] q, int qo, float[] k, int ko, float[] v, int vo,
            float[] mask, float[] gOut, float[] gq, float[] gk, float[] gv) {
        int lq = s.queries(), lk = s.keys(), d = s.headDim();
        double[] p = new double[lk], gp = new double[lk];
        double[] gqRow = new double[d], gkPair = new double[lk * d], gvPair = new double[lk * d];
        for (int b = 0; b < s.batch(); b++)
            for (int h = 0; h < s.heads(); h++) {
                int pair = b * s.heads() + h;
                int qBase = qo + pair * lq * d, kBase = ko + pair * lk * d, vBase = vo + pair * lk * d;
                java.util.Arrays.fill(gkPair, 0);
                java.util.Arrays.fill(gvPair, 0);
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) max = Math.max(max, p[j] = score(s, q, qBase + i * d, k, kBase + j * d, mask, b, h, i, j));
                    double sum = 0;
                    for (int j = 0; j < lk; j++) sum += p[j] = Math.exp(p[j] - max);
                    int gRow = (pair * lq + i) * d;
                    double rowDot = 0;
                    for (int j = 0; j < lk; j++) {
                        p[j] /= sum;
                        double dot = 0;
                        for (int c = 0; c < d; c++) {
                            dot += (double) gOut[gRow + c] * v[vBase + j * d + c];
                            gvPair[j * d + c] += p[j] * gOut[gRow + c];
                        }
                        gp[j] = dot;
                        rowDot += dot * p[j];
                    }
                    java.util.Arrays.fill(gqRow, 0);
                    for (int j = 0; j < lk; j++) {
                        double gs = p[j] * (gp[j] - rowDot) * s.scale();
                        if (gs == 0) continue;
                        for (int c = 0; c < d; c++) {
                            gqRow[c] += gs * k[kBase + j * d + c];
                            gkPair[j * d + c] += gs * q[qBase + i * d + c];
                        }
                    }
                    for (int c = 0; c < d; c++) gq[gRow + c] = (float) gqRow[c];
                }
                int kRow0 = pair * lk * d;
                for (int e = 0; e < lk * d; e++) {
                    gk[kRow0 + e] = (float) gkPair[e];
                    gv[kRow0 + e] = (float) gvPair[e];
                }
            }
    }
}
