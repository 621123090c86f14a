package jclip.tensor;

import jclip.kernels.DType;

/**
 * Mixed precision as PyTorch's {@code autocast(dtype=torch.bfloat16)} does it for matrix products:
 * inside {@code try (Autocast a = Autocast.bf16()) { ... }}, matmul and linear cast their F32
 * operands to BF16 (a recorded {@link Tensor#to(DType)}, so gradients flow back to the F32 tensors)
 * and multiply with the bf16 GEMM, accumulating in float into an F32 result. Every other op
 * (softmax, layer norm, losses, reductions, element-wise) sees only F32 tensors and computes in F32
 * as before, so parameters, their gradients and the optimizer stay F32: the master weights.
 *
 * <p>The backward rules recorded inside the scope multiply in bf16 too (they cast the incoming F32
 * gradient to bf16, as PyTorch's do), whether or not backward() runs inside the scope. Gradients
 * come out of the bf16 GEMM in F32, which is a little more precise than PyTorch, whose gradients of
 * bf16 tensors are bf16. A linear's bias stays F32 and is added in float.
 *
 * <p>Per thread, like {@link Autograd#noGrad()}; closing restores the previous mode, and closing
 * twice is harmless.
 */
public final class Autocast implements AutoCloseable {
    /** The dtype that products compute in on this thread, or null outside any scope. */
    private static final ThreadLocal<DType> COMPUTE = new ThreadLocal<>();

    private final DType previous;
    private boolean closed;

    private Autocast(DType compute) {
        previous = COMPUTE.get();
        COMPUTE.set(compute);
    }

    /** Matrix products in bf16 (float accumulation, F32 results) until closed. */
    public static Autocast bf16() {
        return new Autocast(DType.BF16);
    }

    /** Whether matrix products on this thread run in bf16. */
    public static boolean isEnabled() {
        return COMPUTE.get() != null;
    }

    /** t as an operand of a matrix product: cast to bf16 inside a scope when it is F32, else t itself. */
    static Tensor operand(Tensor t) {
        DType compute = COMPUTE.get();
        return compute != null && t.dtype() == DType.F32 ? t.to(compute) : t;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        COMPUTE.set(previous);
    }
}
