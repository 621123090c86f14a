package jclip.tensor;

import java.util.Arrays;

/** Shape and stride arithmetic: sizes, contiguous strides, broadcasting, dimension checks. */
final class Shape {
    private Shape() {}

    static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
        return (int) n;
    }

    static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= Math.max(shape[d], 1);
        }
        return s;
    }

    /** Accepts negative dims counted from the end, as PyTorch does. */
    static int dim(int dim, int ndim) {
        int d = dim < 0 ? dim + ndim : dim;
        if (d < 0 || d >= ndim) throw new IllegalArgumentException("dimension " + dim + " out of range for a " + ndim + "-d tensor");
        return d;
    }

    /** NumPy broadcasting of two shapes. */
    static int[] broadcast(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Strides that read a tensor of (shape, strides) as if it had shape target (stride 0 repeats). */
    static int[] broadcastStrides(int[] shape, int[] strides, int[] target) {
        int[] out = new int[target.length];
        int shift = target.length - shape.length;
        if (shift < 0) throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == target[i + shift]) out[i + shift] = strides[i];
            else if (shape[i] == 1) out[i + shift] = 0;
            else throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(shape) + " to " + Arrays.toString(target));
        }
        return out;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
