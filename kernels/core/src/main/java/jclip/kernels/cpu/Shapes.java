package jclip.kernels.cpu;

/** Index arithmetic shared by the strided kernels. */
public final class Shapes {
    private Shapes() {}

    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("more than 2^31-1 elements: " + java.util.Arrays.toString(shape));
        return (int) n;
    }

    /** Row-major strides of a contiguous array of {@code shape}. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /**
     * The strided offset of row r, where rows enumerate every index of shape[0 .. nd-2] in
     * row-major order (the last dimension is the row itself).
     */
    public static int rowOffset(int r, int[] shape, int[] strides) {
        int off = 0;
        for (int d = shape.length - 2; d >= 0; d--) {
            int size = shape[d];
            off += (r % size) * strides[d];
            r /= size;
        }
        return off;
    }
}
