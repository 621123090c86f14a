// The symmetric contrastive loss over the logits L = scale·a·bᵀ, a [n, d] and b [m, d], as
// jclip.kernels.Kernels#contrastiveLogSumExp and #contrastiveBackward define it (CPU:
// jclip.kernels.cpu.ContrastiveLoss), tile by tile: no kernel holds more of L than a 64 x 64 tile.
//
//   logsumexp:  lseRows[i] = log Σ_j exp(L_ij) [n], lseCols[j] = log Σ_i exp(L_ij) [m]
//   backward:   G_ij = exp(L_ij − lseRows_i) + exp(L_ij − lseCols_j) − 2·[j = i + diagonalOffset]
//               ga = coefficient·scale·G·b, gb = coefficient·scale·Gᵀ·a, gScale = coefficient·Σ G_ij·L_ij
//
// Each tile's logits are float dot products, 16 of them per thread (4 rows x 4 columns of a 64 x 64
// tile, 256 threads), over d in slices of 16 staged through shared memory; every kernel computes
// them in the same order (fmaf over k ascending), so a logit has the same bits wherever it is
// recomputed. Everything is deterministic: partial results go to scratch buffers and are merged
// in a fixed order by a second kernel, with no atomics.
#include "jclip_cuda.cuh"
#include "block_reduce.cuh"

// Rows and columns of a logits tile; depth of one shared-memory slice along d; threads per block
// (a 16 x 16 grid, each thread 4 x 4 logits). Launchers: jclip.kernels.cuda.launch.Contrastive.
#define CT_TILE 64
#define CT_K 16
#define CT_SIDE 16
#define CT_PER 4
#define CT_THREADS (CT_SIDE * CT_SIDE)

// The log-sum-exp pair (max, Σ exp(v − max)) of a set of values; the empty set is (-inf, 0).
struct Lse {
    float max, sum;
};

__device__ __forceinline__ Lse lse_combine(Lse p, Lse q) {
    float hi = fmaxf(p.max, q.max);
    if (hi == -INFINITY) return {hi, 0.f};
    return {hi, p.sum * expf(p.max - hi) + q.sum * expf(q.max - hi)};
}

// log of the set's Σ exp; a NaN among the values has made sum NaN, and stays.
__device__ __forceinline__ float lse_value(Lse p) { return p.max == -INFINITY ? -INFINITY : p.max + logf(p.sum); }

// acc[ii][jj] = Σ_k x[(x0 + ty + 16·ii)·d + k] · y[(y0 + tx + 16·jj)·d + k]: x's rows [x0, x0 + 64)
// (of nx) against y's rows [y0, y0 + 64) (of ny), zero past either end. xs and ys are the caller's
// __shared__ [CT_K][CT_TILE + 1] (k-major, so that a warp reads 2 broadcast x values and 16
// consecutive y values per k; the +1 spreads the transposing stores over the banks). Ends with a
// barrier, so the caller may reuse xs and ys, or other shared memory read before the call.
__device__ __forceinline__ void tile_dots(const float* x, int x0, int nx, const float* y, int y0, int ny, int d,
                                          float (*xs)[CT_TILE + 1], float (*ys)[CT_TILE + 1],
                                          float acc[CT_PER][CT_PER]) {
    const int tx = threadIdx.x % CT_SIDE, ty = threadIdx.x / CT_SIDE;
#pragma unroll
    for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
        for (int jj = 0; jj < CT_PER; jj++) acc[ii][jj] = 0.f;
    // Loading: thread t takes row t / 4 of the tile and 4 consecutive k from (t % 4)·4, so four
    // threads read one row's 16 consecutive floats.
    const int loadRow = threadIdx.x / 4, loadK = (threadIdx.x % 4) * 4;
    const bool xRow = x0 + loadRow < nx, yRow = y0 + loadRow < ny;
    const float* xp = x + (size_t)(x0 + loadRow) * d;
    const float* yp = y + (size_t)(y0 + loadRow) * d;
    for (int k0 = 0; k0 < d; k0 += CT_K) {
#pragma unroll
        for (int q = 0; q < 4; q++) {
            int k = k0 + loadK + q;
            xs[loadK + q][loadRow] = xRow && k < d ? xp[k] : 0.f;
            ys[loadK + q][loadRow] = yRow && k < d ? yp[k] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < CT_K; k++) {
            float xv[CT_PER], yv[CT_PER];
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++) xv[ii] = xs[k][ty + CT_SIDE * ii];
#pragma unroll
            for (int jj = 0; jj < CT_PER; jj++) yv[jj] = ys[k][tx + CT_SIDE * jj];
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
                for (int jj = 0; jj < CT_PER; jj++) acc[ii][jj] = fmaf(xv[ii], yv[jj], acc[ii][jj]);
        }
        __syncthreads();
    }
}

// a [n, d], b [m, d] (from their offsets); rowOut [gridDim.y, n], colOut [gridDim.x, m].
// Block (r, s) takes rows [64r, 64r + 64) and the column tiles s, s + gridDim.y, ...:
//   rowOut[s·n + i] = log Σ over its columns j of exp(L_ij),
//   colOut[r·m + j] = log Σ over its rows i of exp(L_ij).
// With one block row (column) of the grid these are lseRows (lseCols) themselves; otherwise
// jclip_contrastive_lse_merge_f32 folds the partials. grid = (ceil(n/64), splits), block = 256.
extern "C" __global__ __launch_bounds__(CT_THREADS) void
jclip_contrastive_lse_f32(const float* a, const float* b, int n, int m, int d, float scale, float* rowOut, float* colOut) {
    __shared__ float xs[CT_K][CT_TILE + 1], ys[CT_K][CT_TILE + 1];
    // Each thread row's (ty's) partial log-sum-exp of each of the tile's columns.
    __shared__ Lse columns[CT_SIDE][CT_TILE];
    const int tx = threadIdx.x % CT_SIDE, ty = threadIdx.x / CT_SIDE;
    const int i0 = blockIdx.x * CT_TILE, colTiles = (m + CT_TILE - 1) / CT_TILE;
    // This thread's 4 rows over its columns of every tile it has seen, kept online.
    Lse rows[CT_PER];
#pragma unroll
    for (int ii = 0; ii < CT_PER; ii++) rows[ii] = {-INFINITY, 0.f};
    for (int c = blockIdx.y; c < colTiles; c += gridDim.y) {
        const int j0 = c * CT_TILE;
        float l[CT_PER][CT_PER];
        tile_dots(a, i0, n, b, j0, m, d, xs, ys, l);
#pragma unroll
        for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
            for (int jj = 0; jj < CT_PER; jj++) {
                bool valid = i0 + ty + CT_SIDE * ii < n && j0 + tx + CT_SIDE * jj < m;
                l[ii][jj] = valid ? scale * l[ii][jj] : -INFINITY;
            }
#pragma unroll
        for (int ii = 0; ii < CT_PER; ii++) {
            float hi = rows[ii].max;
#pragma unroll
            for (int jj = 0; jj < CT_PER; jj++) hi = fmaxf(hi, l[ii][jj]);
            if (hi == -INFINITY) continue;
            float sum = rows[ii].sum * expf(rows[ii].max - hi);
#pragma unroll
            for (int jj = 0; jj < CT_PER; jj++) sum += expf(l[ii][jj] - hi);
            rows[ii] = {hi, sum};
        }
#pragma unroll
        for (int jj = 0; jj < CT_PER; jj++) {
            float hi = -INFINITY;
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++) hi = fmaxf(hi, l[ii][jj]);
            float sum = 0.f;
            if (hi != -INFINITY) {
#pragma unroll
                for (int ii = 0; ii < CT_PER; ii++) sum += expf(l[ii][jj] - hi);
            }
            columns[ty][tx + CT_SIDE * jj] = {hi, sum};
        }
        __syncthreads();
        if ((int)threadIdx.x < CT_TILE && j0 + (int)threadIdx.x < m) {
            Lse col = columns[0][threadIdx.x];
            for (int y = 1; y < CT_SIDE; y++) col = lse_combine(col, columns[y][threadIdx.x]);
            colOut[(size_t)blockIdx.x * m + j0 + threadIdx.x] = lse_value(col);
        }
        __syncthreads();
    }
    // The 16 threads of a row are lanes [0, 16) or [16, 32) of one warp: a butterfly within them.
#pragma unroll
    for (int ii = 0; ii < CT_PER; ii++) {
        Lse row = rows[ii];
        for (int delta = CT_SIDE / 2; delta > 0; delta >>= 1) {
            Lse other = {__shfl_xor_sync(JCLIP_FULL_MASK, row.max, delta), __shfl_xor_sync(JCLIP_FULL_MASK, row.sum, delta)};
            row = lse_combine(row, other);
        }
        const int i = i0 + ty + CT_SIDE * ii;
        if (tx == 0 && i < n) rowOut[(size_t)blockIdx.y * n + i] = lse_value(row);
    }
}

// partials [parts, count] of log-sum-exps to out [count]: out[j] = log Σ_p exp(partials[p·count + j]),
// over p in order. Grid-stride over j, block = 256.
extern "C" __global__ __launch_bounds__(256) void
jclip_contrastive_lse_merge_f32(const float* partials, float* out, int parts, int count) {
    for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < count; j += gridDim.x * blockDim.x) {
        float hi = -INFINITY;
        for (int p = 0; p < parts; p++) hi = fmaxf(hi, partials[(size_t)p * count + j]);
        float sum = 0.f;
        if (hi != -INFINITY)
            for (int p = 0; p < parts; p++) sum += expf(partials[(size_t)p * count + j] - hi);
        out[j] = hi == -INFINITY ? -INFINITY : hi + logf(sum);
    }
}

// Σ of a block's doubles, in every thread; `partials` is the caller's __shared__ double[32].
__device__ __forceinline__ double block_sum(double v, double* partials) {
    for (int delta = JCLIP_WARP / 2; delta > 0; delta >>= 1) v += __shfl_xor_sync(JCLIP_FULL_MASK, v, delta);
    const int lane = threadIdx.x % JCLIP_WARP, warp = threadIdx.x / JCLIP_WARP;
    __syncthreads();
    if (lane == 0) partials[warp] = v;
    __syncthreads();
    v = lane < (int)(blockDim.x / JCLIP_WARP) ? partials[lane] : 0.0;
    for (int delta = JCLIP_WARP / 2; delta > 0; delta >>= 1) v += __shfl_xor_sync(JCLIP_FULL_MASK, v, delta);
    return v;
}

// The gradient of one operand: blocks own 64 rows p of x [nx, d] and write
//   gx[p] = factor · Σ_q G_pq · y[q]   over the rows q of y [ny, d] in their tiles,
//   G_pq = exp(L_pq − lseOwn[p]) + exp(L_pq − lseOther[q]) − 2·[q = p + offset],   L_pq = scale · x_p·y_q.
// ga: x = a, y = b, lseOwn = lseRows, lseOther = lseCols, offset = diagonalOffset;
// gb: x = b, y = a, lseOwn = lseCols, lseOther = lseRows, offset = −diagonalOffset.
// Block (r, s) takes y's tiles s, s + gridDim.y, ... and writes rows [64r, 64r + 64) of
// gx + s·nx·d: with one block row of the grid that is the gradient itself, otherwise partials
// [gridDim.y, nx, d] that jclip_contrastive_sum_parts_f32 adds up. With wantScale,
// scaleParts[s·gridDim.x + r] = the block's Σ G_pq·L_pq (accumulated in double). For each tile:
// the logits, G (times factor) in shared memory, then gx's rows += G·y one slice of 64 of d at a
// time, read back from the second tile on (each element has one thread, the same every tile).
// grid = (ceil(nx / 64), splits <= ceil(ny / 64)), block = 256; nx, ny >= 1.
extern "C" __global__ __launch_bounds__(CT_THREADS) void
jclip_contrastive_backward_f32(const float* x, const float* y, int nx, int ny, int d, float scale, const float* lseOwn,
                               const float* lseOther, int offset, float factor, float* gx, float* scaleParts, int wantScale) {
    __shared__ float xs[CT_K][CT_TILE + 1], ys[CT_K][CT_TILE + 1];
    __shared__ float g[CT_TILE][CT_TILE + 1];     // factor·G of the tile, [p][q]
    __shared__ float slice[CT_TILE][CT_TILE + 1];  // y's tile rows, 64 of d, [q][c]
    __shared__ double sums[JCLIP_WARP];
    const int tx = threadIdx.x % CT_SIDE, ty = threadIdx.x / CT_SIDE;
    const int p0 = blockIdx.x * CT_TILE, yTiles = (ny + CT_TILE - 1) / CT_TILE;
    gx += (size_t)blockIdx.y * nx * d;
    float own[CT_PER];
#pragma unroll
    for (int ii = 0; ii < CT_PER; ii++) {
        int p = p0 + ty + CT_SIDE * ii;
        own[ii] = p < nx ? lseOwn[p] : 0.f;
    }
    double dScale = 0.0;
    for (int c = blockIdx.y; c < yTiles; c += gridDim.y) {
        const int q0 = c * CT_TILE;
        const bool first = c == (int)blockIdx.y;
        float l[CT_PER][CT_PER];
        tile_dots(x, p0, nx, y, q0, ny, d, xs, ys, l);
#pragma unroll
        for (int jj = 0; jj < CT_PER; jj++) {
            const int q = q0 + tx + CT_SIDE * jj;
            const float other = q < ny ? lseOther[q] : 0.f;
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++) {
                const int p = p0 + ty + CT_SIDE * ii;
                float gv = 0.f;
                if (p < nx && q < ny) {
                    float lv = scale * l[ii][jj];
                    gv = expf(lv - own[ii]) + expf(lv - other) - (q == p + offset ? 2.f : 0.f);
                    dScale += (double)gv * lv;
                }
                g[ty + CT_SIDE * ii][tx + CT_SIDE * jj] = factor * gv;
            }
        }
        for (int c0 = 0; c0 < d; c0 += CT_TILE) {
            // Thread t loads column t % 64 of rows t / 64, t / 64 + 4, ...: each row's 64 floats at once.
            const int col = threadIdx.x % CT_TILE, yc = c0 + col;
            for (int row = threadIdx.x / CT_TILE; row < CT_TILE; row += CT_THREADS / CT_TILE)
                slice[row][col] = q0 + row < ny && yc < d ? y[(size_t)(q0 + row) * d + yc] : 0.f;
            __syncthreads();
            float out[CT_PER][CT_PER];
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
                for (int jj = 0; jj < CT_PER; jj++) {
                    const int p = p0 + ty + CT_SIDE * ii, e = c0 + tx + CT_SIDE * jj;
                    out[ii][jj] = !first && p < nx && e < d ? gx[(size_t)p * d + e] : 0.f;
                }
#pragma unroll 8
            for (int q = 0; q < CT_TILE; q++) {
                float gv[CT_PER], yv[CT_PER];
#pragma unroll
                for (int ii = 0; ii < CT_PER; ii++) gv[ii] = g[ty + CT_SIDE * ii][q];
#pragma unroll
                for (int jj = 0; jj < CT_PER; jj++) yv[jj] = slice[q][tx + CT_SIDE * jj];
#pragma unroll
                for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
                    for (int jj = 0; jj < CT_PER; jj++) out[ii][jj] = fmaf(gv[ii], yv[jj], out[ii][jj]);
            }
#pragma unroll
            for (int ii = 0; ii < CT_PER; ii++)
#pragma unroll
                for (int jj = 0; jj < CT_PER; jj++) {
                    const int p = p0 + ty + CT_SIDE * ii, e = c0 + tx + CT_SIDE * jj;
                    if (p < nx && e < d) gx[(size_t)p * d + e] = out[ii][jj];
                }
            __syncthreads();
        }
        // With d == 0 the loop above has no barrier: g must not be overwritten while it is read.
        __syncthreads();
    }
    if (wantScale) {
        double total = block_sum(dScale, sums);
        if (threadIdx.x == 0) scaleParts[blockIdx.y * gridDim.x + blockIdx.x] = (float)total;
    }
}

// parts [splits, count] to out [count]: out[e] = Σ_s parts[s·count + e], over s in order.
// Grid-stride over e, block = 256.
extern "C" __global__ __launch_bounds__(256) void
jclip_contrastive_sum_parts_f32(const float* parts, float* out, int splits, int count) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < count; e += gridDim.x * blockDim.x) {
        float sum = parts[e];
        for (int s = 1; s < splits; s++) sum += parts[(size_t)s * count + e];
        out[e] = sum;
    }
}

// gScale[0] = coefficient · Σ parts[0 .. count), summed in double in a fixed order. grid = 1, block = 256.
extern "C" __global__ __launch_bounds__(256) void
jclip_contrastive_scale_sum_f32(const float* parts, int count, float coefficient, float* gScale) {
    __shared__ double sums[JCLIP_WARP];
    double v = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) v += parts[i];
    v = block_sum(v, sums);
    if (threadIdx.x == 0) gScale[0] = (float)(coefficient * v);
}
