package jclip.kernels;

/**
 * Element-wise maps y = f(x; p). The scalar parameter p is used by the *_SCALAR and CLAMP ops.
 * Each has a derivative rule in the backends' unaryBackward.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, ABS, TANH, SIGMOID, RELU,
    /** x·Φ(x) with the exact erf form of the normal CDF. */
    GELU,
    /** x·sigmoid(1.702x), the approximation CLIP was trained with. */
    QUICK_GELU,
    ADD_SCALAR, MUL_SCALAR, DIV_SCALAR, POW_SCALAR,
    /** p / x */
    RDIV_SCALAR,
    CLAMP_MIN, CLAMP_MAX
}
