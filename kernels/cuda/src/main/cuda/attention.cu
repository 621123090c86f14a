// Fused scaled dot-product attention, forward and backward, as jclip.kernels.cpu.Attention defines it
// (the layout is jclip.kernels.AttentionShape's): per (batch, head) pair, q, out, gOut, gq
// [queries, headDim]; k, v, gk, gv [keys, headDim]; lse, delta [queries]; pairs one after another.
// An additive F32 mask (or none) is read at mask[b·maskBatchStride + h·maskHeadStride + i·keys + j];
// `causal` hides key j from query i when j > i. A query row whose keys are all hidden gives NaN.
//
// FlashAttention-2 (Dao, 2023) on plain float FMAs, no tensor cores: the [queries, keys] scores never
// reach memory. The forward streams tiles of k and v through shared memory past a tile of query rows
// with an online softmax, and saves the log-sum-exp; the backward recomputes P = exp(S - lse) tile by
// tile. q, k and v are F32 or BF16 (converted to float as they are loaded); everything is accumulated
// in float. Scores are kept in base 2 (q is pre-multiplied by scale·log2(e)), so that exp2f is the
// only exponential; lse is stored in natural-log units, as the CPU reference has it.
//
// Work is split into groups: a warp owns a group of query rows (forward) or of keys (backward) of one
// pair. A block of ATTN_WARPS warps takes ATTN_WARPS consecutive groups, counted pair by pair, so that
// a block can span several pairs (CLIP's 50- and 77-token sequences are 13 and 20 groups of 4 rows:
// 96% of the rows a warp computes are real, where 16-row blocks of one pair would use 78% and 96%,
// and FlashAttention's 128-row tiles 39% and 60%). The block then takes its pairs one after another:
// all its threads load that pair's tiles, and the warps of that pair compute.
//
// How the tile sizes were chosen (by arithmetic, not measured: no GPU has run these kernels yet):
//   * Shared memory stays under the 48 KiB a block gets without cuFuncSetAttribute, for every head
//     dimension up to 256. An H100 SM has 228 KiB of shared memory (an A100's 164 KiB), 64K
//     registers, at most 64 warps and 32 blocks; blocks of 4 warps and 22-43 KiB fit 5-9 to an H100
//     SM (20-36 warps) and 3-6 to an A100's, enough warps to hide the latency of the loads.
//   * The output rows (forward) or the dk, dv rows (backward) live in registers, headDim/32 columns
//     per lane and per row: 8-16 floats a lane (forward), 16-32 (backward). Each kernel's
//     __launch_bounds__ asks for about as many resident blocks as its shared memory allows on an
//     H100 (two backward kernels for fewer), which caps its registers at 64-128; ptxas fits every
//     kernel without spills at its cap (ptxas-sm90a.txt) once the loops over columns and over a
//     tile's keys or queries stay rolled (#pragma unroll 1): unrolled, ptxas keeps many loads in
//     flight and spills at these caps.
//   * Tiles of 32 keys (forward) or queries (backward) give one per lane for the dot products. Where
//     32-row tiles would not fit (headDim 256 forward; 128 and 256 backward, which holds two, of q
//     and gOut), a tile has 16 or 8 rows and 2 or 4 lanes split each dot product (PARTS), joined by
//     shuffles. The parts take every PARTS-th float4 of the row, so that any multiple of 8 splits
//     into aligned float4 reads.
//   * Rows read one per lane (k in the forward, q and gOut in the backward) are padded by 4 floats:
//     a row is then an odd number of 16-byte words long, and the float4 reads of 8 lanes in a row meet
//     8 different bank quadruples. Rows read at one address by all lanes (broadcast) or one column per
//     lane are not padded.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"
#include <math_constants.h>

#define ATTN_WARPS 4
#define ATTN_THREADS 128  // ATTN_WARPS · JCLIP_WARP
#define ATTN_PREPARE_THREADS 256

// Padding of rows read one per lane (see above).
#define ATTN_PAD 4

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

extern __shared__ __align__(16) float attention_shared[];

__device__ __forceinline__ float load_float(const float* p, size_t i) { return p[i]; }
__device__ __forceinline__ float load_float(const __nv_bfloat16* p, size_t i) { return __bfloat162float(p[i]); }

// Rows [first, first + rows) of a row-major [*, headDim] source into shared memory with row stride ld,
// times factor; rows at or past `valid` become zeros (they meet p = 0, and 0 · NaN would not be 0:
// fresh shared memory may hold anything). Warp `warp` of `warps` takes every warps-th row, its lanes
// adjacent columns.
template <class T>
__device__ __forceinline__ void load_rows(float* dst, int ld, const T* src, int first, int rows, int valid, int headDim,
                                          float factor, int warp, int warps, int lane) {
    for (int r = warp; r < rows; r += warps)
        for (int c = lane; c < headDim; c += JCLIP_WARP)
            dst[r * ld + c] = first + r < valid ? load_float(src, (size_t)(first + r) * headDim + c) * factor : 0.f;
}

__device__ __forceinline__ float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }

__device__ __forceinline__ float dot4(float4 a, float4 b, float acc) {
    return fmaf(a.w, b.w, fmaf(a.z, b.z, fmaf(a.y, b.y, fmaf(a.x, b.x, acc))));
}

// The whole dot product in each of the PARTS lanes that split it (lane, lane ^ 16, lane ^ 8, ...).
template <int PARTS>
__device__ __forceinline__ float sum_parts(float v) {
#pragma unroll
    for (int delta = JCLIP_WARP / 2; delta >= JCLIP_WARP / PARTS; delta >>= 1)
        v += __shfl_xor_sync(JCLIP_FULL_MASK, v, delta);
    return v;
}

// Op over the WIDTH lanes that differ in the low bits of the lane index (one value per key of a tile).
template <class Op, int WIDTH>
__device__ __forceinline__ float reduce_lanes(float v) {
#pragma unroll
    for (int delta = WIDTH / 2; delta > 0; delta >>= 1) v = Op::combine(v, __shfl_xor_sync(JCLIP_FULL_MASK, v, delta));
    return v;
}

// The pair's mask rows, or null.
__device__ __forceinline__ const float* pair_mask(const float* mask, int pair, int heads, int maskBatchStride,
                                                  int maskHeadStride) {
    if (mask == nullptr) return nullptr;
    const int b = pair / heads, h = pair - b * heads;
    return mask + (size_t)b * maskBatchStride + (size_t)h * maskHeadStride;
}

// The groups of block blockIdx.x, groups of one pair being consecutive: its first and last group,
// and for pair `pair` the first and last of its warps in that pair.
struct BlockGroups {
    int first, last;
    __device__ BlockGroups(int groups) : first(blockIdx.x * ATTN_WARPS), last(min(groups, first + ATTN_WARPS) - 1) {}
    __device__ int firstPair(int perPair) const { return first / perPair; }
    __device__ int lastPair(int perPair) const { return last / perPair; }
    __device__ int firstWarp(int pair, int perPair) const { return max(0, pair * perPair - first); }
    __device__ int lastWarp(int pair, int perPair) const { return min(last, (pair + 1) * perPair - 1) - first; }
};

// ---- forward ------------------------------------------------------------------------------------
//
// Tiles (template arguments): COLS output columns per lane (headDim ≤ 32·COLS), ROWS query rows per
// warp, KEYS keys per tile (PARTS = 32 / KEYS lanes per key). Shared memory, in floats:
//   q     [ATTN_WARPS·ROWS][headDim]  each warp's rows, times scale·log2(e)
//   k     [KEYS][headDim + ATTN_PAD]  read one key per lane
//   v     [KEYS][headDim]             read one column per lane
//   p     [ATTN_WARPS·ROWS][KEYS]     each warp's probabilities of the tile, from the key lanes to the
//                                     column lanes
// headDim 64: 4 + 8.5 + 8 + 2 = 22.5 KiB; 128: 42.5 KiB; 256 (ROWS 2, KEYS 16): 40.6 KiB (launch/
// Attention.java's Tiles, which sizes each launch's shared memory for its own headDim).
//
// Each lane computes the scores of its key against the warp's ROWS rows (a float4 of q, broadcast,
// and of k per step), the warp takes each row's tile maximum with shuffles, rescales its running
// output and sum, and writes its probabilities to shared memory; then each lane adds p·v into its
// columns of the output. The running sum stays per lane (one share per key) until the end.
template <int COLS, int ROWS, int KEYS, class T>
__device__ __forceinline__ void attention_forward(const T* __restrict__ q, const T* __restrict__ k,
                                                  const T* __restrict__ v, const float* __restrict__ mask,
                                                  float* __restrict__ out, float* __restrict__ lse, int heads,
                                                  int queries, int keys, int headDim, float scale, int causal,
                                                  int maskBatchStride, int maskHeadStride, int groupsPerPair,
                                                  int groups) {
    constexpr int PARTS = JCLIP_WARP / KEYS;
    const int warp = threadIdx.x / JCLIP_WARP, lane = threadIdx.x % JCLIP_WARP;
    const int kLd = headDim + ATTN_PAD;
    float* qs = attention_shared + warp * ROWS * headDim;
    float* ks = attention_shared + ATTN_WARPS * ROWS * headDim;
    float* vs = ks + KEYS * kLd;
    float* ps = vs + KEYS * headDim + warp * ROWS * KEYS;

    const BlockGroups block(groups);
    const int group = block.first + warp;
    const int myPair = group <= block.last ? group / groupsPerPair : -1;
    const int row0 = (group - myPair * groupsPerPair) * ROWS;  // of my pair
    const int key = lane % KEYS, part = lane / KEYS;

    for (int pair = block.firstPair(groupsPerPair); pair <= block.lastPair(groupsPerPair); ++pair) {
        const bool mine = pair == myPair;
        // Causal: no warp of the block sees past its last row's diagonal, nor this warp past its own.
        const int blockRows = (block.lastWarp(pair, groupsPerPair) + block.first - pair * groupsPerPair + 1) * ROWS;
        const int keyEnd = causal ? min(keys, min(queries, blockRows)) : keys;
        const int myKeyEnd = causal ? min(keys, min(queries, row0 + ROWS)) : keys;
        const float* maskRows = pair_mask(mask, pair, heads, maskBatchStride, maskHeadStride);
        const size_t qBase = (size_t)pair * queries * headDim, kBase = (size_t)pair * keys * headDim;

        float m[ROWS], l[ROWS], o[ROWS][COLS];
#pragma unroll
        for (int r = 0; r < ROWS; ++r) {
            m[r] = -INFINITY;
            l[r] = 0.f;
#pragma unroll
            for (int t = 0; t < COLS; ++t) o[r][t] = 0.f;
        }
        if (mine) {
            load_rows(qs, headDim, q + qBase, row0, ROWS, queries, headDim, scale * kLog2e, 0, 1, lane);
            __syncwarp();
        }

        for (int k0 = 0; k0 < keyEnd; k0 += KEYS) {
            __syncthreads();  // every warp is done with the previous tile
            load_rows(ks, kLd, k + kBase, k0, KEYS, keys, headDim, 1.f, warp, ATTN_WARPS, lane);
            load_rows(vs, headDim, v + kBase, k0, KEYS, keys, headDim, 1.f, warp, ATTN_WARPS, lane);
            __syncthreads();
            if (!mine || k0 >= myKeyEnd) continue;  // warp-uniform: a tile wholly hidden from my rows

            float s[ROWS];
#pragma unroll
            for (int r = 0; r < ROWS; ++r) s[r] = 0.f;
            const float* kRow = ks + key * kLd;
#pragma unroll 1
            for (int c = part * 4; c < headDim; c += 4 * PARTS) {
                const float4 kv = load4(kRow + c);
#pragma unroll
                for (int r = 0; r < ROWS; ++r) s[r] = dot4(load4(qs + r * headDim + c), kv, s[r]);
            }

            const int j = k0 + key;
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                const int i = row0 + r;
                const float dot = sum_parts<PARTS>(s[r]);
                float x = -INFINITY;
                if (j < keys && i < queries && !(causal && j > i))
                    x = maskRows ? fmaf(maskRows[(size_t)i * keys + j], kLog2e, dot) : dot;
                const float mNew = MaxF::combine(m[r], reduce_lanes<MaxF, KEYS>(x));
                // While a row has seen only hidden keys its maximum is -inf; subtracting 0 instead keeps
                // exp2(-inf) = 0 rather than exp2(-inf + inf) = NaN.
                const float base = mNew == -INFINITY ? 0.f : mNew;
                const float alpha = exp2f(m[r] - base);
                const float p = exp2f(x - base);
                m[r] = mNew;
                l[r] = fmaf(l[r], alpha, p);
#pragma unroll
                for (int t = 0; t < COLS; ++t) o[r][t] *= alpha;
                if (part == 0) ps[r * KEYS + key] = p;
            }
            __syncwarp();

#pragma unroll 1
            for (int jj = 0; jj < KEYS; jj += 4) {
                float4 pr[ROWS];
#pragma unroll
                for (int r = 0; r < ROWS; ++r) pr[r] = load4(ps + r * KEYS + jj);
#pragma unroll
                for (int t = 0; t < COLS; ++t) {
                    const int c = lane + t * JCLIP_WARP;
                    if (c >= headDim) continue;
                    const float v0 = vs[(jj + 0) * headDim + c], v1 = vs[(jj + 1) * headDim + c];
                    const float v2 = vs[(jj + 2) * headDim + c], v3 = vs[(jj + 3) * headDim + c];
#pragma unroll
                    for (int r = 0; r < ROWS; ++r)
                        o[r][t] = fmaf(pr[r].w, v3, fmaf(pr[r].z, v2, fmaf(pr[r].y, v1, fmaf(pr[r].x, v0, o[r][t]))));
                }
            }
        }

        if (mine) {
#pragma unroll
            for (int r = 0; r < ROWS; ++r) {
                const float sum = reduce_lanes<SumF, KEYS>(l[r]);
                const int i = row0 + r;
                if (i >= queries) continue;
                const size_t row = (size_t)pair * queries + i;
                // All keys hidden: NaN, as softmax over -inf gives (with no keys at all, the
                // reference's log of an empty sum is -inf).
                const bool none = !(sum > 0.f);
                const float inv = 1.f / sum;
#pragma unroll
                for (int t = 0; t < COLS; ++t) {
                    const int c = lane + t * JCLIP_WARP;
                    if (c < headDim) out[row * headDim + c] = none ? CUDART_NAN_F : o[r][t] * inv;
                }
                if (lane == 0)
                    lse[row] = none ? (keys == 0 ? -INFINITY : CUDART_NAN_F) : (m[r] + log2f(sum)) * kLn2;
            }
        }
    }
}

// q, k, v as in the header, F32 or BF16; mask F32 or null; out [pairs, queries, headDim] and lse
// [pairs, queries] F32. groups = pairs · groupsPerPair, groupsPerPair = ceil(queries / ROWS);
// grid = ceil(groups / ATTN_WARPS), block = ATTN_THREADS, shared memory as above.
#define ATTN_FORWARD_PARAMS(T)                                                                            \
    const T *q, const T *k, const T *v, const float *mask, float *out, float *lse, int heads, int queries, \
        int keys, int headDim, float scale, int causal, int maskBatchStride, int maskHeadStride,          \
        int groupsPerPair, int groups
#define ATTN_FORWARD_ARGS                                                                                  \
    q, k, v, mask, out, lse, heads, queries, keys, headDim, scale, causal, maskBatchStride, maskHeadStride, \
        groupsPerPair, groups

// <COLS, ROWS, KEYS>: Tiles D64, D128, D256 in launch/Attention.java. The second argument of
// __launch_bounds__ is the blocks per SM that the tile's shared memory lets an H100 hold (9, 5, 5),
// or close below it; it caps registers at 65536 / (128 · blocks): 64, 102 and 102 (see the header).
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 8) void
jclip_attention_forward_d64_f32(ATTN_FORWARD_PARAMS(float)) { attention_forward<2, 4, 32>(ATTN_FORWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 8) void
jclip_attention_forward_d64_bf16(ATTN_FORWARD_PARAMS(__nv_bfloat16)) { attention_forward<2, 4, 32>(ATTN_FORWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_forward_d128_f32(ATTN_FORWARD_PARAMS(float)) { attention_forward<4, 4, 32>(ATTN_FORWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_forward_d128_bf16(ATTN_FORWARD_PARAMS(__nv_bfloat16)) { attention_forward<4, 4, 32>(ATTN_FORWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_forward_d256_f32(ATTN_FORWARD_PARAMS(float)) { attention_forward<8, 2, 16>(ATTN_FORWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_forward_d256_bf16(ATTN_FORWARD_PARAMS(__nv_bfloat16)) { attention_forward<8, 2, 16>(ATTN_FORWARD_ARGS); }

// ---- backward -----------------------------------------------------------------------------------

// delta [rows] = Σ_c gOut·out along each row of [rows, headDim] (FlashAttention-2's D_i, which equals
// Σ_j P_ij·gP_ij), and that row of gq zeroed for the backward's atomicAdds. A warp per row;
// grid = ceil(rows / 8), block = ATTN_PREPARE_THREADS.
extern "C" __global__ __launch_bounds__(ATTN_PREPARE_THREADS) void
jclip_attention_backward_prepare_f32(const float* __restrict__ out, const float* __restrict__ gOut,
                                     float* __restrict__ delta, float* __restrict__ gq, int rows, int headDim) {
    const int row = blockIdx.x * (ATTN_PREPARE_THREADS / JCLIP_WARP) + threadIdx.x / JCLIP_WARP;
    const int lane = threadIdx.x % JCLIP_WARP;
    if (row >= rows) return;  // the whole warp
    const size_t base = (size_t)row * headDim;
    float sum = 0.f;
    for (int c = lane; c < headDim; c += JCLIP_WARP) {
        sum = fmaf(gOut[base + c], out[base + c], sum);
        gq[base + c] = 0.f;
    }
    sum = warp_reduce<SumF>(sum);
    if (lane == 0) delta[row] = sum;
}

// Tiles (template arguments): COLS columns of dk and dv per lane (headDim ≤ 32·COLS), KROWS keys per
// warp (a block owns ATTN_WARPS·KROWS keys), QUERIES queries per tile (PARTS = 32 / QUERIES lanes per
// query). Shared memory, in floats:
//   k, v     [ATTN_WARPS·KROWS][headDim]     each warp's keys, read broadcast
//   q, gOut  [QUERIES][headDim + ATTN_PAD]   read one query per lane, then one column per lane
//   p, dS    [ATTN_WARPS·KROWS][QUERIES]     per key, the tile's probabilities and score gradients
//   lse, delta [QUERIES]                     lse in base 2
// headDim 64: 8 + 17 + 4 + 0.25 = 29.3 KiB; 128 (KROWS 2, QUERIES 16): 25.6 KiB; 256 (KROWS 2,
// QUERIES 8): 32.8 KiB.
//
// A block owns its keys' dk and dv (registers, written once at the end) and streams the pair's
// queries past them: each lane recomputes, for its query and each of the warp's keys, the score and
// gP = gOut·v, so p = exp2(s - lse) and dS = p·(gP - delta); each warp then adds p·gOut into dv and
// dS·q into dk, one column per lane. gq = scale·dS·k sums over every key tile, so each block adds its
// part with atomicAdd into gq, which the prepare kernel zeroed. Under causal masking a block starts
// at the first query tile that sees its keys, and a warp skips tiles that see none of its keys.
// Blocks of 8-16 keys make these atomics many (queries·headDim per block and query tile, about one
// per 40-80 FMAs); wider key tiles, or a second pass that owns query tiles, would make fewer. Which
// costs less is for a GPU to say: unmeasured.
template <int COLS, int KROWS, int QUERIES, class T>
__device__ __forceinline__ void attention_backward(const T* __restrict__ q, const T* __restrict__ k,
                                                   const T* __restrict__ v, const float* __restrict__ mask,
                                                   const float* __restrict__ lse, const float* __restrict__ delta,
                                                   const float* __restrict__ gOut, float* __restrict__ gq,
                                                   float* __restrict__ gk, float* __restrict__ gv, int heads,
                                                   int queries, int keys, int headDim, float scale, int causal,
                                                   int maskBatchStride, int maskHeadStride, int groupsPerPair,
                                                   int groups) {
    constexpr int PARTS = JCLIP_WARP / QUERIES;
    constexpr int BLOCK_KEYS = ATTN_WARPS * KROWS;
    const int warp = threadIdx.x / JCLIP_WARP, lane = threadIdx.x % JCLIP_WARP;
    const int ld = headDim + ATTN_PAD;
    float* ks = attention_shared;
    float* vs = ks + BLOCK_KEYS * headDim;
    float* qs = vs + BLOCK_KEYS * headDim;
    float* gos = qs + QUERIES * ld;
    float* ps = gos + QUERIES * ld;
    float* dss = ps + BLOCK_KEYS * QUERIES;
    float* lses = dss + BLOCK_KEYS * QUERIES;
    float* deltas = lses + QUERIES;
    float* myKs = ks + warp * KROWS * headDim;
    float* myVs = vs + warp * KROWS * headDim;
    float* myPs = ps + warp * KROWS * QUERIES;
    float* myDss = dss + warp * KROWS * QUERIES;

    const BlockGroups block(groups);
    const int group = block.first + warp;
    const int myPair = group <= block.last ? group / groupsPerPair : -1;
    const int key0 = (group - myPair * groupsPerPair) * KROWS;  // of my pair
    const int query = lane % QUERIES, part = lane / QUERIES;
    const float scaleLog2 = scale * kLog2e;

    for (int pair = block.firstPair(groupsPerPair); pair <= block.lastPair(groupsPerPair); ++pair) {
        const bool mine = pair == myPair;
        const int firstWarp = block.firstWarp(pair, groupsPerPair), lastWarp = block.lastWarp(pair, groupsPerPair);
        // Causal: queries before the block's first key see none of its keys.
        const int blockKey0 = (block.first + firstWarp - pair * groupsPerPair) * KROWS;
        const int qStart = causal ? blockKey0 / QUERIES * QUERIES : 0;
        const float* maskRows = pair_mask(mask, pair, heads, maskBatchStride, maskHeadStride);
        const size_t qBase = (size_t)pair * queries * headDim, kBase = (size_t)pair * keys * headDim;
        const size_t rowBase = (size_t)pair * queries;

        float dk[KROWS][COLS], dv[KROWS][COLS];
#pragma unroll
        for (int r = 0; r < KROWS; ++r)
#pragma unroll
            for (int t = 0; t < COLS; ++t) dk[r][t] = dv[r][t] = 0.f;
        // Only this pair's warps read these rows, after the barriers below.
        if (mine) {
            load_rows(myKs, headDim, k + kBase, key0, KROWS, keys, headDim, 1.f, 0, 1, lane);
            load_rows(myVs, headDim, v + kBase, key0, KROWS, keys, headDim, 1.f, 0, 1, lane);
        }

        for (int q0 = qStart; q0 < queries; q0 += QUERIES) {
            __syncthreads();  // every warp is done with the previous tile
            load_rows(qs, ld, q + qBase, q0, QUERIES, queries, headDim, 1.f, warp, ATTN_WARPS, lane);
            load_rows(gos, ld, gOut + qBase, q0, QUERIES, queries, headDim, 1.f, warp, ATTN_WARPS, lane);
            for (int r = threadIdx.x; r < QUERIES; r += ATTN_THREADS) {
                const bool valid = q0 + r < queries;
                lses[r] = valid ? lse[rowBase + q0 + r] * kLog2e : 0.f;
                deltas[r] = valid ? delta[rowBase + q0 + r] : 0.f;
            }
            __syncthreads();

            if (mine && causal && q0 + QUERIES - 1 < key0) {
                // No query of the tile sees my keys: nothing for dk, dv, and zeros for gq's sum.
                for (int e = lane; e < KROWS * QUERIES; e += JCLIP_WARP) myDss[e] = 0.f;
            } else if (mine) {
                float s[KROWS], gp[KROWS];
#pragma unroll
                for (int r = 0; r < KROWS; ++r) s[r] = gp[r] = 0.f;
                const float* qRow = qs + query * ld;
                const float* goRow = gos + query * ld;
#pragma unroll 1
                for (int c = part * 4; c < headDim; c += 4 * PARTS) {
                    const float4 qv = load4(qRow + c), gov = load4(goRow + c);
#pragma unroll
                    for (int r = 0; r < KROWS; ++r) {
                        s[r] = dot4(qv, load4(myKs + r * headDim + c), s[r]);
                        gp[r] = dot4(gov, load4(myVs + r * headDim + c), gp[r]);
                    }
                }
                const int i = q0 + query;
#pragma unroll
                for (int r = 0; r < KROWS; ++r) {
                    const int j = key0 + r;
                    const float dot = sum_parts<PARTS>(s[r]), gpj = sum_parts<PARTS>(gp[r]);
                    float p = 0.f;
                    if (i < queries && j < keys && !(causal && j > i)) {
                        const float x = maskRows ? fmaf(maskRows[(size_t)i * keys + j], kLog2e, dot * scaleLog2)
                                                 : dot * scaleLog2;
                        p = exp2f(x - lses[query]);
                    }
                    if (part == 0) {
                        myPs[r * QUERIES + query] = p;
                        myDss[r * QUERIES + query] = p * (gpj - deltas[query]);
                    }
                }
                __syncwarp();

#pragma unroll 1
                for (int qq = 0; qq < QUERIES; qq += 4) {
                    float4 pr[KROWS], dsr[KROWS];
#pragma unroll
                    for (int r = 0; r < KROWS; ++r) {
                        pr[r] = load4(myPs + r * QUERIES + qq);
                        dsr[r] = load4(myDss + r * QUERIES + qq);
                    }
#pragma unroll
                    for (int t = 0; t < COLS; ++t) {
                        const int c = lane + t * JCLIP_WARP;
                        if (c >= headDim) continue;
                        const float g0 = gos[(qq + 0) * ld + c], g1 = gos[(qq + 1) * ld + c];
                        const float g2 = gos[(qq + 2) * ld + c], g3 = gos[(qq + 3) * ld + c];
                        const float x0 = qs[(qq + 0) * ld + c], x1 = qs[(qq + 1) * ld + c];
                        const float x2 = qs[(qq + 2) * ld + c], x3 = qs[(qq + 3) * ld + c];
#pragma unroll
                        for (int r = 0; r < KROWS; ++r) {
                            dv[r][t] = fmaf(pr[r].w, g3, fmaf(pr[r].z, g2, fmaf(pr[r].y, g1, fmaf(pr[r].x, g0, dv[r][t]))));
                            dk[r][t] = fmaf(dsr[r].w, x3, fmaf(dsr[r].z, x2, fmaf(dsr[r].y, x1, fmaf(dsr[r].x, x0, dk[r][t]))));
                        }
                    }
                }
            }
            __syncthreads();  // every warp's dS is in shared memory

            // gq of the tile's queries += scale · dS·k over the block's keys in this pair.
            for (int qq = warp; qq < QUERIES && q0 + qq < queries; qq += ATTN_WARPS) {
                float acc[COLS];
#pragma unroll
                for (int t = 0; t < COLS; ++t) acc[t] = 0.f;
                for (int r = firstWarp * KROWS; r < (lastWarp + 1) * KROWS; ++r) {
                    const float d = dss[r * QUERIES + qq];
#pragma unroll
                    for (int t = 0; t < COLS; ++t) {
                        const int c = lane + t * JCLIP_WARP;
                        if (c < headDim) acc[t] = fmaf(d, ks[r * headDim + c], acc[t]);
                    }
                }
                float* gqRow = gq + (rowBase + q0 + qq) * headDim;
#pragma unroll
                for (int t = 0; t < COLS; ++t) {
                    const int c = lane + t * JCLIP_WARP;
                    if (c < headDim) atomicAdd(gqRow + c, acc[t] * scale);
                }
            }
        }

        if (mine) {
#pragma unroll
            for (int r = 0; r < KROWS; ++r) {
                if (key0 + r >= keys) break;
                const size_t at = kBase + (size_t)(key0 + r) * headDim;
#pragma unroll
                for (int t = 0; t < COLS; ++t) {
                    const int c = lane + t * JCLIP_WARP;
                    if (c >= headDim) continue;
                    gk[at + c] = dk[r][t] * scale;
                    gv[at + c] = dv[r][t];
                }
            }
        }
    }
}

// q, k, v, mask as for the forward; lse [pairs, queries] the forward's; delta [pairs, queries] and gq
// zeroed from the prepare kernel; gOut [pairs, queries, headDim]; gq, gk, gv F32. groups = pairs ·
// groupsPerPair, groupsPerPair = ceil(keys / KROWS); grid = ceil(groups / ATTN_WARPS), block =
// ATTN_THREADS, shared memory as above.
#define ATTN_BACKWARD_PARAMS(T)                                                                              \
    const T *q, const T *k, const T *v, const float *mask, const float *lse, const float *delta,             \
        const float *gOut, float *gq, float *gk, float *gv, int heads, int queries, int keys, int headDim,    \
        float scale, int causal, int maskBatchStride, int maskHeadStride, int groupsPerPair, int groups
#define ATTN_BACKWARD_ARGS                                                                                   \
    q, k, v, mask, lse, delta, gOut, gq, gk, gv, heads, queries, keys, headDim, scale, causal, maskBatchStride, \
        maskHeadStride, groupsPerPair, groups

// <COLS, KROWS, QUERIES>: Tiles D64, D128, D256 in launch/Attention.java. Blocks per SM as for the
// forward, except that the headDim-64 and -256 kernels need up to 128 registers to run without spills
// (at 96 ptxas spills): 4 blocks rather than the 7 and 6 their shared memory would allow; headDim 128
// fits 5 blocks (102 registers).
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 4) void
jclip_attention_backward_d64_f32(ATTN_BACKWARD_PARAMS(float)) { attention_backward<2, 4, 32>(ATTN_BACKWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 4) void
jclip_attention_backward_d64_bf16(ATTN_BACKWARD_PARAMS(__nv_bfloat16)) { attention_backward<2, 4, 32>(ATTN_BACKWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_backward_d128_f32(ATTN_BACKWARD_PARAMS(float)) { attention_backward<4, 2, 16>(ATTN_BACKWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 5) void
jclip_attention_backward_d128_bf16(ATTN_BACKWARD_PARAMS(__nv_bfloat16)) { attention_backward<4, 2, 16>(ATTN_BACKWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 4) void
jclip_attention_backward_d256_f32(ATTN_BACKWARD_PARAMS(float)) { attention_backward<8, 2, 8>(ATTN_BACKWARD_ARGS); }
extern "C" __global__ __launch_bounds__(ATTN_THREADS, 4) void
jclip_attention_backward_d256_bf16(ATTN_BACKWARD_PARAMS(__nv_bfloat16)) { attention_backward<8, 2, 8>(ATTN_BACKWARD_ARGS); }
