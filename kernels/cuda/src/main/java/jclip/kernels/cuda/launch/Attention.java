package jclip.kernels.cuda.launch;

import jclip.kernels.AttentionShape;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.cuda.CudaDevice;
import jclip.kernels.cuda.CudaKernel;

/**
 * Launches src/main/cuda/attention.cu: fused scaled dot-product attention (FlashAttention-2), forward
 * and backward, for q, k and v of F32 or BF16 and head dimensions that are multiples of 8 up to 256.
 * Each of three tile sets (head dimension up to 64, 128, 256) has its own kernels; the tile sizes
 * here are the template arguments of those kernels, and size their shared memory.
 */
public final class Attention {
    private static final String MODULE = "attention";
    /** ATTN_WARPS and ATTN_THREADS in attention.cu. */
    static final int WARPS = 4;
    static final int THREADS = WARPS * Layout.WARP;
    /** ATTN_PAD: floats of padding after each row that lanes read one row each. */
    static final int PAD = 4;
    /** ATTN_PREPARE_THREADS: the prepare kernel takes a warp per row. */
    static final int PREPARE_THREADS = 256;
    /** Largest head dimension (the last tile set's). */
    static final int MAX_HEAD_DIM = 256;

    /** One tile set: its kernels' name part, the largest head dimension, forward and backward tile sizes. */
    private enum Tiles {
        // name, headDim ≤, forward rows per warp, keys per tile; backward keys per warp, queries per tile
        D64("d64", 64, 4, 32, 4, 32),
        D128("d128", 128, 4, 32, 2, 16),
        D256("d256", 256, 2, 16, 2, 8);

        final String name;
        final int maxHeadDim, rows, keys, keyRows, queries;

        Tiles(String name, int maxHeadDim, int rows, int keys, int keyRows, int queries) {
            this.name = name;
            this.maxHeadDim = maxHeadDim;
            this.rows = rows;
            this.keys = keys;
            this.keyRows = keyRows;
            this.queries = queries;
        }

        static Tiles of(int headDim) {
            for (Tiles t : values()) if (headDim <= t.maxHeadDim) return t;
            throw new AssertionError(headDim);
        }

        /** q [WARPS·rows][d], k [keys][d + PAD], v [keys][d], p [WARPS·rows][keys]. */
        int forwardSharedBytes(int d) {
            return Float.BYTES * (WARPS * rows * d + keys * (d + PAD) + keys * d + WARPS * rows * keys);
        }

        /** k, v [WARPS·keyRows][d], q, gOut [queries][d + PAD], p, dS [WARPS·keyRows][queries], lse, delta [queries]. */
        int backwardSharedBytes(int d) {
            int blockKeys = WARPS * keyRows;
            return Float.BYTES * (2 * blockKeys * d + 2 * queries * (d + PAD) + 2 * blockKeys * queries + 2 * queries);
        }
    }

    private final CudaDevice device;
    private final CudaKernel[] forwardF32 = new CudaKernel[Tiles.values().length];
    private final CudaKernel[] forwardBf16 = new CudaKernel[Tiles.values().length];
    private final CudaKernel[] backwardF32 = new CudaKernel[Tiles.values().length];
    private final CudaKernel[] backwardBf16 = new CudaKernel[Tiles.values().length];
    private final CudaKernel prepare;

    public Attention(CudaDevice device) {
        this.device = device;
        for (Tiles t : Tiles.values()) {
            forwardF32[t.ordinal()] = device.kernel(MODULE, "jclip_attention_forward_" + t.name + "_f32");
            forwardBf16[t.ordinal()] = device.kernel(MODULE, "jclip_attention_forward_" + t.name + "_bf16");
            backwardF32[t.ordinal()] = device.kernel(MODULE, "jclip_attention_backward_" + t.name + "_f32");
            backwardBf16[t.ordinal()] = device.kernel(MODULE, "jclip_attention_backward_" + t.name + "_bf16");
        }
        prepare = device.kernel(MODULE, "jclip_attention_backward_prepare_f32");
    }

    public void attention(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse) {
        String name = "attention";
        DType inputs = checkInputs(name, s, q, qOffset, k, kOffset, v, vOffset, mask);
        Args.f32(name, "out", out, 0, s.queryElements());
        Args.f32(name, "lse", lse, 0, s.rows());
        if (s.rows() == 0) return;
        Tiles t = Tiles.of(s.headDim());
        int groupsPerPair = Layout.ceilDiv(s.queries(), t.rows);
        int groups = Args.count(name, "the query row groups", s.pairs(), groupsPerPair, 1);
        CudaKernel kernel = (inputs == DType.BF16 ? forwardBf16 : forwardF32)[t.ordinal()];
        kernel.pointer(q, qOffset).pointer(k, kOffset).pointer(v, vOffset);
        maskPointer(kernel, mask).pointer(out, 0).pointer(lse, 0);
        shapeArguments(kernel, s).i32(groupsPerPair).i32(groups)
                .launch(Layout.ceilDiv(groups, WARPS), THREADS, t.forwardSharedBytes(s.headDim()));
    }

    public void attentionBackward(AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset, Buffer v, int vOffset,
            Buffer mask, Buffer out, Buffer lse, Buffer gOut, Buffer gq, Buffer gk, Buffer gv) {
        String name = "attentionBackward";
        DType inputs = checkInputs(name, s, q, qOffset, k, kOffset, v, vOffset, mask);
        Args.f32(name, "out", out, 0, s.queryElements());
        Args.f32(name, "lse", lse, 0, s.rows());
        Args.f32(name, "gOut", gOut, 0, s.queryElements());
        Args.f32(name, "gq", gq, 0, s.queryElements());
        Args.f32(name, "gk", gk, 0, s.keyElements());
        Args.f32(name, "gv", gv, 0, s.keyElements());
        if (s.pairs() == 0) return;
        Tiles t = Tiles.of(s.headDim());
        // delta = rowsum(gOut∘out), and gq zeroed for the atomicAdds. Freed into the device's cache at
        // once: later work on the one stream runs after the backward kernel.
        try (Buffer delta = device.kernels().allocate(DType.F32, Math.max(1, s.rows()))) {
            if (s.rows() > 0) {
                prepare.pointer(out, 0).pointer(gOut, 0).pointer(delta, 0).pointer(gq, 0).i32(s.rows()).i32(s.headDim())
                        .launch(Layout.ceilDiv(s.rows(), PREPARE_THREADS / Layout.WARP), PREPARE_THREADS, 0);
            }
            if (s.keys() == 0) return;
            int groupsPerPair = Layout.ceilDiv(s.keys(), t.keyRows);
            int groups = Args.count(name, "the key groups", s.pairs(), groupsPerPair, 1);
            CudaKernel kernel = (inputs == DType.BF16 ? backwardBf16 : backwardF32)[t.ordinal()];
            kernel.pointer(q, qOffset).pointer(k, kOffset).pointer(v, vOffset);
            maskPointer(kernel, mask).pointer(lse, 0).pointer(delta, 0).pointer(gOut, 0).pointer(gq, 0).pointer(gk, 0)
                    .pointer(gv, 0);
            shapeArguments(kernel, s).i32(groupsPerPair).i32(groups)
                    .launch(Layout.ceilDiv(groups, WARPS), THREADS, t.backwardSharedBytes(s.headDim()));
        }
    }

    /** Checks q, k, v (one dtype, F32 or BF16), the mask and the head dimension; returns the inputs' dtype. */
    private static DType checkInputs(String name, AttentionShape s, Buffer q, int qOffset, Buffer k, int kOffset,
            Buffer v, int vOffset, Buffer mask) {
        if (s == null) throw new IllegalArgumentException(name + ": shape is null");
        if (s.headDim() % 8 != 0 || s.headDim() > MAX_HEAD_DIM)
            throw new IllegalArgumentException(name + ": head dimension " + s.headDim()
                    + " is not supported on CUDA: it must be a multiple of 8, at most " + MAX_HEAD_DIM);
        if (q == null) throw new IllegalArgumentException(name + ": q is null");
        DType inputs = q.dtype();
        if (inputs != DType.F32 && inputs != DType.BF16)
            throw new IllegalArgumentException(name + ": q must be F32 or BF16, got a " + inputs + " buffer");
        Args.buffer(name, "q", q, inputs, qOffset, s.queryElements());
        Args.buffer(name, "k", k, inputs, kOffset, s.keyElements());
        Args.buffer(name, "v", v, inputs, vOffset, s.keyElements());
        if (mask != null && s.rows() > 0 && s.keys() > 0) {
            long last = (long) (s.batch() - 1) * s.maskBatchStride() + (long) (s.heads() - 1) * s.maskHeadStride()
                    + (long) (s.queries() - 1) * s.keys() + s.keys() - 1;
            Args.f32(name, "mask", mask, 0, last + 1);
        } else if (mask != null) {
            Args.f32(name, "mask", mask, 0, 0);
        }
        return inputs;
    }

    /** The mask's address, or a null pointer (the kernels read no mask then). */
    private static CudaKernel maskPointer(CudaKernel kernel, Buffer mask) {
        return mask == null ? kernel.i64(0) : kernel.pointer(mask, 0);
    }

    /** heads, queries, keys, headDim, scale, causal, maskBatchStride, maskHeadStride: shared by both kernels. */
    private static CudaKernel shapeArguments(CudaKernel kernel, AttentionShape s) {
        return kernel.i32(s.heads()).i32(s.queries()).i32(s.keys()).i32(s.headDim()).f32(s.scale()).i32(s.causal() ? 1 : 0)
                .i32(s.maskBatchStride()).i32(s.maskHeadStride());
    }
}
