package jclip.kernels;

/** Reductions over one dimension of a [outer, dim, inner] view. ARGMAX writes I64 indices. */
public enum ReduceOp {
    SUM, MAX, ARGMAX
}
