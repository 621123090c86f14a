package jclip.kernels;

/** Element-wise z = f(x, y) with broadcasting. Comparisons give 1 or 0. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, GREATER, LESS, EQUAL
}
