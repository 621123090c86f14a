package jclip.tensor.io;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import jclip.kernels.DType;
import jclip.tensor.Tensor;

/**
 * An open safetensors file whose header has been read and validated, and whose tensors are read one
 * at a time on request. A loader that copies each tensor into its destination and closes it before
 * reading the next never holds more than one tensor beyond the destinations: a 600 MB model loads
 * in 600 MB, not twice that.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** The largest range mapped at once; a multiple of every dtype's size. */
    static final long MAP_CHUNK_BYTES = 1L << 30;
    /** The most bytes of a tensor {@link #copyInto} holds at once. */
    static final long COPY_CHUNK_BYTES = 16L << 20;

    private final FileChannel channel;
    private final SafeTensorsHeader header;
    private final Map<String, SafeTensorsHeader.Entry> entries = new LinkedHashMap<>();
    private final long chunkBytes;

    private SafeTensorsFile(FileChannel channel, SafeTensorsHeader header, long chunkBytes) {
        this.channel = channel;
        this.header = header;
        this.chunkBytes = chunkBytes;
        for (SafeTensorsHeader.Entry e : header.entries) entries.put(e.name, e);
    }

    /**
     * Opens {@code path} and reads its header.
     *
     * @throws IOException as {@link SafeTensors#load(Path)} does for a file that cannot be read or whose
     *         header does not follow the format
     */
    public static SafeTensorsFile open(Path path) throws IOException {
        return open(path, MAP_CHUNK_BYTES);
    }

    /** {@link #open(Path)} that maps at most {@code chunkBytes} at a time (a multiple of 8): for tests. */
    static SafeTensorsFile open(Path path, long chunkBytes) throws IOException {
        if (path == null) throw new IllegalArgumentException("path is null");
        if (chunkBytes <= 0 || chunkBytes % 8 != 0 || chunkBytes > Integer.MAX_VALUE)
            throw new IllegalArgumentException("chunkBytes must be a positive multiple of 8 below 2^31: " + chunkBytes);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafeTensorsFile(channel, SafeTensorsHeader.read(channel, path), chunkBytes);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Path path() {
        return header.file;
    }

    /** Every tensor's shape by name, in the header's order; no data is read. */
    public Map<String, int[]> shapes() {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        entries.forEach((name, e) -> shapes.put(name, e.shape.clone()));
        return shapes;
    }

    public DType dtype(String name) {
        return entry(name).dtype;
    }

    /** The {@code __metadata__} entry, in header order (empty if the file has none). */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(header.metadata);
    }

    /**
     * Reads one tensor into a new host array (the file is mapped for the copy only, so the tensor does
     * not refer to the file afterwards); the caller owns it.
     *
     * @throws IllegalArgumentException if the file has no tensor of that name
     */
    public Tensor read(String name) throws IOException {
        SafeTensorsHeader.Entry e = entry(name);
        return Tensor.fromHost(readElements(e, 0, e.numel), e.dtype, e.shape.clone());
    }

    /**
     * Copies one tensor into {@code target} (same shape, any device; floating dtypes converted as
     * {@link Tensor#copyFrom} does), a block of rows at a time, so that no more than
     * {@value #COPY_CHUNK_BYTES} bytes of it are held besides the target: a 100 MB embedding table
     * loads into its parameter without a second 100 MB copy.
     *
     * @throws IllegalArgumentException if the file has no tensor of that name, or its shape is not the target's
     */
    public void copyInto(String name, Tensor target) throws IOException {
        copyInto(name, target, COPY_CHUNK_BYTES);
    }

    /** {@link #copyInto(String, Tensor)} holding at most {@code chunkBytes} (at least a row) at once: for tests. */
    void copyInto(String name, Tensor target, long chunkBytes) throws IOException {
        SafeTensorsHeader.Entry e = entry(name);
        if (!Arrays.equals(e.shape, target.shape()))
            throw new IllegalArgumentException(header.file + ": " + name + " has shape " + Arrays.toString(e.shape)
                    + ", the target " + Arrays.toString(target.shape()));
        if (e.shape.length == 0 || e.numel == 0) {
            try (Tensor t = read(name)) {
                target.copyFrom(t);
            }
            return;
        }
        int rows = e.shape[0], rowElements = e.numel / rows;
        int rowsPerChunk = (int) Math.max(1, chunkBytes / ((long) rowElements * e.dtype.byteSize()));
        for (int r = 0; r < rows; r += rowsPerChunk) {
            int n = Math.min(rowsPerChunk, rows - r);
            int[] shape = e.shape.clone();
            shape[0] = n;
            try (Tensor chunk = Tensor.fromHost(readElements(e, r * rowElements, n * rowElements), e.dtype, shape);
                    Tensor slice = target.narrow(0, r, n)) {
                slice.copyFrom(chunk);
            }
        }
    }

    /** Elements [first, first + count) of a tensor, in a new host array. */
    private Object readElements(SafeTensorsHeader.Entry e, int first, int count) throws IOException {
        Object array = e.dtype.newHostArray(count);
        int elementSize = e.dtype.byteSize();
        int chunkElements = (int) (chunkBytes / elementSize);
        long position = header.dataStart + e.begin + (long) first * elementSize;
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, chunkElements);
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY,
                    position + (long) done * elementSize, (long) n * elementSize);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            switch (e.dtype) {
                case F32 -> mapped.asFloatBuffer().get((float[]) array, done, n);
                case F16, BF16 -> mapped.asShortBuffer().get((short[]) array, done, n);
                case I32 -> mapped.asIntBuffer().get((int[]) array, done, n);
                case I64 -> mapped.asLongBuffer().get((long[]) array, done, n);
                case U8, BOOL -> mapped.get((byte[]) array, done, n);
                default -> throw new AssertionError(e.dtype);
            }
            done += n;
        }
        return array;
    }

    private SafeTensorsHeader.Entry entry(String name) {
        SafeTensorsHeader.Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException(header.file + " has no tensor named " + name);
        return e;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
