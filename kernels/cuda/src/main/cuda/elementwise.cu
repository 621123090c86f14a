// Element-wise maps, F32: unary ops and their derivatives, broadcasting binary ops, and where.
// Every rule is the one in jclip.kernels.cpu.Elementwise, computed in float. Grid-stride loops
// with one element per thread per step; the op is uniform across the launch, and each kernel
// switches on it once into a loop specialised for it (with_unary_op, with_binary_op).
#include "jclip_cuda.cuh"
#include "elements.cuh"

// The order of jclip.kernels.UnaryOp and BinaryOp: the launchers pass op.ordinal().
enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, ABS, TANH, SIGMOID, RELU, GELU, QUICK_GELU,
    ADD_SCALAR, MUL_SCALAR, DIV_SCALAR, POW_SCALAR, RDIV_SCALAR, CLAMP_MIN, CLAMP_MAX
};
enum BinaryOp { ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, GREATER, LESS, EQUAL };

__device__ __forceinline__ float sigmoidf(float x) {
    // expf(-x) overflowing to infinity gives 1/(1+inf) = 0, the right limit.
    return 1.f / (1.f + expf(-x));
}

template <int OP>
__device__ __forceinline__ float unary_forward(float x, float p) {
    switch (OP) {
        case NEG: return -x;
        case EXP: return expf(x);
        case LOG: return logf(x);
        case SQRT: return sqrtf(x);
        case RSQRT: return 1.f / sqrtf(x);  // two correctly rounded steps: closer than rsqrtf's 2 ulp
        case ABS: return fabsf(x);
        case TANH: return tanhf(x);
        case SIGMOID: return sigmoidf(x);
        case RELU: return x < 0.f ? 0.f : x;  // NaN passes (fmaxf would turn it into 0)
        // Φ(x) as erfc(-x/√2)/2 rather than (1 + erf(x/√2))/2: for x < -2 the latter loses most of
        // its digits to cancellation, erfcf keeps them.
        case GELU: return 0.5f * x * erfcf(-x * 0.70710678118654752f);
        case QUICK_GELU: return x * sigmoidf(1.702f * x);
        case ADD_SCALAR: return x + p;
        case MUL_SCALAR: return x * p;
        case DIV_SCALAR: return x / p;
        case POW_SCALAR: return p == 2.f ? x * x : powf(x, p);
        case RDIV_SCALAR: return p / x;
        // NaN passes through a clamp, as in PyTorch.
        case CLAMP_MIN: return x < p ? p : x;
        case CLAMP_MAX: return x > p ? p : x;
    }
    return 0.f;
}

// gx = gy · op'(x), with y = op(x) where the derivative is cheaper in terms of y.
template <int OP>
__device__ __forceinline__ float unary_backward(float x, float y, float gy, float p) {
    switch (OP) {
        case NEG: return -gy;
        case EXP: return gy * y;
        case LOG: return gy / x;
        case SQRT: return gy * 0.5f / y;
        case RSQRT: return gy * -0.5f * y * y * y;
        case ABS: return x > 0.f ? gy : x < 0.f ? -gy : gy * x;  // sign(x): 0 at 0, NaN at NaN
        case TANH: return gy * (1.f - y * y);
        case SIGMOID: return gy * y * (1.f - y);
        case RELU: return x > 0.f ? gy : 0.f;
        case GELU: {
            float cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
            float pdf = 0.39894228040143268f * expf(-0.5f * x * x);  // 1/√(2π) · e^(-x²/2)
            return gy * (cdf + x * pdf);
        }
        case QUICK_GELU: {
            float s = sigmoidf(1.702f * x);
            return gy * (s + 1.702f * x * s * (1.f - s));
        }
        case ADD_SCALAR: return gy;
        case MUL_SCALAR: return gy * p;
        case DIV_SCALAR: return gy / p;
        case POW_SCALAR: return gy * p * powf(x, p - 1.f);
        case RDIV_SCALAR: return -gy * p / (x * x);
        case CLAMP_MIN: return x >= p ? gy : 0.f;
        case CLAMP_MAX: return x <= p ? gy : 0.f;
    }
    return 0.f;
}

// NaN propagates through maximum/minimum, as in torch.maximum.
template <int OP>
__device__ __forceinline__ float binary_op(float a, float b) {
    switch (OP) {
        case ADD: return a + b;
        case SUB: return a - b;
        case MUL: return a * b;
        case DIV: return a / b;
        case POW: return powf(a, b);
        case MAXIMUM: return a != a || b != b ? __int_as_float(0x7fc00000) : fmaxf(a, b);
        case MINIMUM: return a != a || b != b ? __int_as_float(0x7fc00000) : fminf(a, b);
        case GREATER: return a > b ? 1.f : 0.f;
        case LESS: return a < b ? 1.f : 0.f;
        case EQUAL: return a == b ? 1.f : 0.f;
    }
    return 0.f;
}

// The op as a compile-time constant: each kernel switches once and runs a loop specialised for it.
template <int V>
struct Op {
    static constexpr int value = V;
};

template <class F>
__device__ __forceinline__ void with_unary_op(int op, F&& body) {
    switch (op) {
        case NEG: body(Op<NEG>{}); break;
        case EXP: body(Op<EXP>{}); break;
        case LOG: body(Op<LOG>{}); break;
        case SQRT: body(Op<SQRT>{}); break;
        case RSQRT: body(Op<RSQRT>{}); break;
        case ABS: body(Op<ABS>{}); break;
        case TANH: body(Op<TANH>{}); break;
        case SIGMOID: body(Op<SIGMOID>{}); break;
        case RELU: body(Op<RELU>{}); break;
        case GELU: body(Op<GELU>{}); break;
        case QUICK_GELU: body(Op<QUICK_GELU>{}); break;
        case ADD_SCALAR: body(Op<ADD_SCALAR>{}); break;
        case MUL_SCALAR: body(Op<MUL_SCALAR>{}); break;
        case DIV_SCALAR: body(Op<DIV_SCALAR>{}); break;
        case POW_SCALAR: body(Op<POW_SCALAR>{}); break;
        case RDIV_SCALAR: body(Op<RDIV_SCALAR>{}); break;
        case CLAMP_MIN: body(Op<CLAMP_MIN>{}); break;
        case CLAMP_MAX: body(Op<CLAMP_MAX>{}); break;
    }
}

template <class F>
__device__ __forceinline__ void with_binary_op(int op, F&& body) {
    switch (op) {
        case ADD: body(Op<ADD>{}); break;
        case SUB: body(Op<SUB>{}); break;
        case MUL: body(Op<MUL>{}); break;
        case DIV: body(Op<DIV>{}); break;
        case POW: body(Op<POW>{}); break;
        case MAXIMUM: body(Op<MAXIMUM>{}); break;
        case MINIMUM: body(Op<MINIMUM>{}); break;
        case GREATER: body(Op<GREATER>{}); break;
        case LESS: body(Op<LESS>{}); break;
        case EQUAL: body(Op<EQUAL>{}); break;
    }
}

// x, y [n]; y may alias x.
extern "C" __global__ void jclip_unary_f32(int op, float p, const float* x, float* y, int n) {
    with_unary_op(op, [&](auto o) {
        GRID_STRIDE(i, n) y[i] = unary_forward<decltype(o)::value>(x[i], p);
    });
}

// x, y, gy, gx [n]; the launcher passes gy in place of an x or y the op does not read.
extern "C" __global__ void jclip_unary_backward_f32(int op, float p, const float* x, const float* y,
                                                    const float* gy, float* gx, int n) {
    with_unary_op(op, [&](auto o) {
        GRID_STRIDE(i, n) gx[i] = unary_backward<decltype(o)::value>(x[i], y[i], gy[i], p);
    });
}

// out [n] contiguous with `shape` (ndim <= 8, n = its element count); a, b read through strides
// (0 broadcasts).
extern "C" __global__ void jclip_binary_f32(int op, int ndim, Dims shape, Dims aStrides, Dims bStrides,
                                            const float* a, const float* b, float* out, int n) {
    with_binary_op(op, [&](auto o) {
        GRID_STRIDE(i, n) {
            Coords k = coords_of(i, ndim, shape);
            out[i] = binary_op<decltype(o)::value>(a[offset_of(k, ndim, aStrides)], b[offset_of(k, ndim, bStrides)]);
        }
    });
}

// out [n] contiguous with `shape`; out = cond != 0 ? a : b, all three inputs strided F32.
extern "C" __global__ void jclip_where_f32(int ndim, Dims shape, Dims cStrides, Dims aStrides, Dims bStrides,
                                           const float* cond, const float* a, const float* b, float* out, int n) {
    GRID_STRIDE(i, n) {
        Coords k = coords_of(i, ndim, shape);
        out[i] = cond[offset_of(k, ndim, cStrides)] != 0.f ? a[offset_of(k, ndim, aStrides)]
                                                            : b[offset_of(k, ndim, bStrides)];
    }
}
