package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Array;
import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.cpu.CpuKernels;
import jclip.kernels.cpu.HalfFloat;

/**
 * Runs one operation on the CPU reference and on the CUDA device from the same host data and
 * compares every buffer afterwards, so outputs that are written, accumulated into, or must be left
 * alone (padding around an offset) are all checked. Buffers start from the given values, never
 * from zeros, so a kernel that skips an element or assumes a cleared output shows up.
 */
final class BackendParity {
    private BackendParity() {}

    /** One buffer's name (for messages), dtype and initial contents (float[], short[], int[], long[] or byte[]). */
    record Host(String name, DType dtype, Object values) {
        int length() {
            return Array.getLength(values);
        }
    }

    @FunctionalInterface
    interface Op {
        void run(Kernels kernels, Buffer[] buffers);
    }

    static Host f32(String name, float[] values) {
        return new Host(name, DType.F32, values);
    }

    /** A BF16 buffer holding values rounded to bf16 (round to nearest even, as the GPU converts). */
    static Host bf16(String name, float[] values) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = HalfFloat.floatToBf16(values[i]);
        return new Host(name, DType.BF16, bits);
    }

    /**
     * Runs {@code op} on both backends and compares each buffer. F32 elements agree when
     * |gpu - cpu| <= tolerance · (|cpu| + mean |cpu| over the buffer): relative error, with a floor
     * at the buffer's scale so that values that cancel to near zero are judged against the size of
     * their neighbours. Tolerance 0 means exact (NaN equal to NaN); other dtypes are always exact.
     */
    static void check(String what, double tolerance, Op op, Host... buffers) {
        Object[] expected = run(CpuKernels.INSTANCE, op, buffers);
        Object[] actual = run(CudaDevice.get(0).kernels(), op, buffers);
        for (int i = 0; i < buffers.length; i++) {
            String where = what + ": " + buffers[i].name();
            if (expected[i] instanceof float[] e) compare(where, tolerance, e, (float[]) actual[i]);
            else compareExactly(where, expected[i], actual[i]);
        }
    }

    private static Object[] run(Kernels kernels, Op op, Host[] hosts) {
        Buffer[] buffers = new Buffer[hosts.length];
        try {
            for (int i = 0; i < hosts.length; i++) {
                buffers[i] = kernels.allocate(hosts[i].dtype(), hosts[i].length());
                kernels.write(buffers[i], 0, hosts[i].values(), 0, hosts[i].length());
            }
            op.run(kernels, buffers);
            Object[] results = new Object[hosts.length];
            for (int i = 0; i < hosts.length; i++) {
                results[i] = hosts[i].dtype().newHostArray(hosts[i].length());
                kernels.read(buffers[i], 0, results[i], 0, hosts[i].length());
            }
            return results;
        } finally {
            for (Buffer b : buffers) if (b != null) b.close();
        }
    }

    private static void compare(String where, double tolerance, float[] expected, float[] actual) {
        double scale = 0;
        for (float v : expected) if (Float.isFinite(v)) scale += Math.abs(v);
        scale /= Math.max(1, expected.length);
        int bad = 0, first = -1;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean same = e == a || (e != e && a != a);
            if (same) continue;
            double error = Math.abs((double) a - e) / (Math.abs(e) + scale);
            if (tolerance > 0 && error <= tolerance) continue;
            if (first < 0) first = i;
            bad++;
            worst = Math.max(worst, Double.isNaN(error) ? Double.POSITIVE_INFINITY : error);
        }
        if (bad > 0) {
            fail(where + ": " + bad + " of " + expected.length + " elements differ beyond " + tolerance + " (worst scaled error "
                    + worst + "); first at [" + first + "]: cpu " + expected[first] + ", cuda " + actual[first]);
        }
    }

    private static void compareExactly(String where, Object expected, Object actual) {
        int n = Array.getLength(expected);
        for (int i = 0; i < n; i++) {
            Object e = Array.get(expected, i), a = Array.get(actual, i);
            if (!e.equals(a)) fail(where + ": differs at [" + i + "]: cpu " + e + ", cuda " + a);
        }
    }
}
