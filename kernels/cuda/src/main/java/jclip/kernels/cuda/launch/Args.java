package jclip.kernels.cuda.launch;

import java.util.Arrays;
import jclip.kernels.Buffer;
import jclip.kernels.DType;

/**
 * Argument checks shared by the launchers. A kernel reads and writes wherever it is told, so every
 * size, offset, stride and dtype is checked here, before the launch, with a message that names the
 * operation and the argument.
 */
final class Args {
    private Args() {}

    static void nonNegative(String op, String name, long value) {
        if (value < 0) throw new IllegalArgumentException(op + ": " + name + " = " + value + " is negative");
    }

    /** a·b·c as an element count that a buffer (and an int index) can hold. */
    static int count(String op, String what, long a, long b, long c) {
        long n = a * b * c;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": " + what + " has " + n + " elements, more than 2^31-1");
        return (int) n;
    }

    /** {@code buffer} is a {@code dtype} buffer holding elements [offset, offset + count). */
    static void buffer(String op, String name, Buffer buffer, DType dtype, long offset, long count) {
        present(op, name, buffer);
        dtype(op, name, buffer, dtype);
        range(op, name, buffer, offset, count);
    }

    static void f32(String op, String name, Buffer buffer, long offset, long count) {
        buffer(op, name, buffer, DType.F32, offset, count);
    }

    /** An I32 or I64 index buffer holding [offset, offset + count). */
    static void index(String op, String name, Buffer buffer, long offset, long count) {
        present(op, name, buffer);
        if (!buffer.dtype().isIndex())
            throw new IllegalArgumentException(op + ": " + name + " must be I32 or I64, got a " + buffer.dtype() + " buffer");
        range(op, name, buffer, offset, count);
    }

    /**
     * A {@code dtype} buffer (any dtype if null) in which every element that {@code shape} reaches
     * through {@code strides} from {@code offset} lies (strides may be zero, to broadcast, or
     * negative). Nothing is reached for an empty shape.
     */
    static void strided(String op, String name, Buffer buffer, DType dtype, int offset, int[] shape, int[] strides) {
        present(op, name, buffer);
        if (dtype != null) dtype(op, name, buffer, dtype);
        if (strides == null || strides.length != shape.length)
            throw new IllegalArgumentException(op + ": " + name + " strides " + Arrays.toString(strides)
                    + " do not match shape " + Arrays.toString(shape));
        long low = offset, high = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return;
            long reach = (long) (shape[d] - 1) * strides[d];
            if (reach < 0) low += reach;
            else high += reach;
        }
        if (low < 0 || high >= buffer.length())
            throw new IndexOutOfBoundsException(op + ": " + name + " with offset " + offset + ", shape " + Arrays.toString(shape)
                    + " and strides " + Arrays.toString(strides) + " reaches elements [" + low + ", " + high
                    + "] of a buffer of " + buffer.length());
    }

    /** Sizes are non-negative; returns their product. */
    static int shape(String op, int[] shape) {
        if (shape == null) throw new IllegalArgumentException(op + ": shape is null");
        long n = 1;
        for (int size : shape) {
            if (size < 0) throw new IllegalArgumentException(op + ": negative size in shape " + Arrays.toString(shape));
            n *= size;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
        }
        return (int) n;
    }

    private static void present(String op, String name, Buffer buffer) {
        if (buffer == null) throw new IllegalArgumentException(op + ": " + name + " is null");
    }

    private static void dtype(String op, String name, Buffer buffer, DType dtype) {
        if (buffer.dtype() != dtype)
            throw new IllegalArgumentException(op + ": " + name + " must be " + dtype + ", got a " + buffer.dtype() + " buffer");
    }

    private static void range(String op, String name, Buffer buffer, long offset, long count) {
        if (offset < 0 || count < 0 || offset + count > buffer.length())
            throw new IndexOutOfBoundsException(op + ": " + name + " needs elements [" + offset + ", " + (offset + count)
                    + ") of a buffer of " + buffer.length());
    }
}
