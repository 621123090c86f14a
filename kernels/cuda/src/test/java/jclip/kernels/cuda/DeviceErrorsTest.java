package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jclip.kernels.Buffer;
import jclip.kernels.DType;
import jclip.kernels.Kernels;
import jclip.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The device-side error record (DeviceErrors): an out-of-range index in any of the four indexing
 * kernels, I32 or I64, too large or negative, makes the next read or synchronize throw a message
 * naming the op, the index, its range, its place and the kernel; the record is cleared by the
 * report, so the next good call and read work and match the CPU backend.
 */
@Tag("gpu")
class DeviceErrorsTest {
    private static final int OUTER = 2, DIM = 50, COUNT = 4, INNER = 3, INDEX_OFFSET = 1;
    private static final int SIDE = OUTER * COUNT * INNER, FULL = OUTER * DIM * INNER;

    private static CudaKernels cuda;

    @BeforeAll
    static void open() {
        cuda = CudaDevice.get(0).kernels();
    }

    /** One indexing op: its name, its kernels' stem, and whether it has one index per element of the [outer, count, inner] side. */
    private enum Op {
        INDEX_SELECT("indexSelect", "jclip_index_select", false),
        INDEX_ADD("indexAdd", "jclip_index_add", false),
        GATHER("gather", "jclip_gather", true),
        SCATTER_ADD("scatterAdd", "jclip_scatter_add", true);

        final String name, kernel;
        final boolean perElement;

        Op(String name, String kernel, boolean perElement) {
            this.name = name;
            this.kernel = kernel;
            this.perElement = perElement;
        }

        int indices() {
            return perElement ? SIDE : COUNT;
        }

        boolean adds() {
            return this == INDEX_ADD || this == SCATTER_ADD;
        }

        /** Runs the op from {@code in} to {@code out}: [outer, dim, inner] to the side for a select, the reverse for an add. */
        void run(Kernels k, Buffer in, Buffer index, Buffer out) {
            switch (this) {
                case INDEX_SELECT -> k.indexSelect(in, 0, index, INDEX_OFFSET, out, OUTER, DIM, COUNT, INNER);
                case INDEX_ADD -> k.indexAdd(in, index, INDEX_OFFSET, out, OUTER, DIM, COUNT, INNER);
                case GATHER -> k.gather(in, 0, index, INDEX_OFFSET, out, OUTER, DIM, COUNT, INNER);
                case SCATTER_ADD -> k.scatterAdd(in, index, INDEX_OFFSET, out, OUTER, DIM, COUNT, INNER);
            }
        }
    }

    /** In-range indices after INDEX_OFFSET entries of padding, with {@code bad} at {@code at} when {@code at >= 0}. */
    private static Object indices(DType type, int count, int at, long bad) {
        Object v = type.newHostArray(INDEX_OFFSET + count);
        for (int i = 0; i < INDEX_OFFSET + count; i++) {
            long k = i < INDEX_OFFSET ? -1 : i - INDEX_OFFSET == at ? bad : (7L * i) % DIM;
            if (type == DType.I32) ((int[]) v)[i] = (int) k;
            else ((long[]) v)[i] = k;
        }
        return v;
    }

    private static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.25f - 3;
        return v;
    }

    /** The op on {@code k} with {@code index}; the output read back (the read that reports a recorded error). */
    private static float[] run(Kernels k, Op op, DType type, Object index) {
        int in = op.adds() ? SIDE : FULL, out = op.adds() ? FULL : SIDE;
        try (Buffer x = k.allocate(DType.F32, in); Buffer i = k.allocate(type, op.indices() + INDEX_OFFSET);
                Buffer y = k.allocate(DType.F32, out)) {
            k.write(x, 0, ramp(in), 0, in);
            k.write(i, 0, index, 0, op.indices() + INDEX_OFFSET);
            k.write(y, 0, ramp(out), 0, out);
            op.run(k, x, i, y);
            float[] result = new float[out];
            k.read(y, 0, result, 0, out);
            return result;
        }
    }

    private static String message(Op op, DType type, long bad, int at, String reportedAt) {
        return op.name + ": index " + bad + " out of range [0, " + DIM + ") at element " + at + " of the index (recorded on cuda:0 by indexing."
                + op.kernel + "_" + type.name().toLowerCase() + ", reported at the next " + reportedAt + ")";
    }

    @Test
    void anOutOfRangeIndexIsReportedAtTheNextReadAndThenCleared() {
        for (Op op : Op.values())
            for (DType type : new DType[] {DType.I32, DType.I64})
                for (long bad : new long[] {DIM, 57, -3}) {
                    int at = op.indices() - 2;
                    IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                            () -> run(cuda, op, type, indices(type, op.indices(), at, bad)));
                    assertEquals(message(op, type, bad, at, "read"), e.getMessage());
                    Object good = indices(type, op.indices(), -1, 0);
                    assertArrayEquals(run(CpuKernels.INSTANCE, op, type, good), run(cuda, op, type, good),
                            op.name + " " + type + " after the error was reported");
                }
    }

    @Test
    void synchronizeReportsToo() {
        try (Buffer x = cuda.allocate(DType.F32, FULL); Buffer i = cuda.allocate(DType.I64, COUNT + INDEX_OFFSET);
                Buffer y = cuda.allocate(DType.F32, SIDE)) {
            cuda.write(i, 0, indices(DType.I64, COUNT, 0, -1), 0, COUNT + INDEX_OFFSET);
            Op.INDEX_SELECT.run(cuda, x, i, y);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> CudaDevice.get(0).synchronize());
            assertEquals(message(Op.INDEX_SELECT, DType.I64, -1, 0, "synchronize"), e.getMessage());
            CudaDevice.get(0).synchronize();
        }
    }

    /** Later errors do not overwrite the first, and any read reports it, not only one of the op's output. */
    @Test
    void theFirstErrorIsReportedByAnyRead() {
        try (Buffer x = cuda.allocate(DType.F32, FULL); Buffer i = cuda.allocate(DType.I32, SIDE + INDEX_OFFSET);
                Buffer y = cuda.allocate(DType.F32, SIDE); Buffer other = cuda.allocate(DType.F32, 1)) {
            cuda.write(i, 0, indices(DType.I32, SIDE, 5, 99), 0, SIDE + INDEX_OFFSET);
            Op.GATHER.run(cuda, x, i, y);
            cuda.write(i, 0, indices(DType.I32, SIDE, 3, -8), 0, SIDE + INDEX_OFFSET);
            Op.SCATTER_ADD.run(cuda, y, i, x);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cuda.read(other, 0, new float[1], 0, 1));
            assertEquals(message(Op.GATHER, DType.I32, 99, 5, "read"), e.getMessage());
            cuda.read(other, 0, new float[1], 0, 1);
        }
    }
}
