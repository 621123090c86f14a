package jclip.tensor.io;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import jclip.kernels.DType;
import jclip.tensor.Tensor;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8 JSON
 * <pre>{"__metadata__": {"key": "value", ...},
 *  "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}</pre>
 * and then the data section, in which each tensor occupies bytes {@code [begin, end)} in row-major
 * order, little-endian.
 *
 * <p>Supported dtypes are those of {@link DType}: {@code F32, F16, BF16, I32, I64, U8, BOOL}. F16 and
 * BF16 tensors are held as their raw 16-bit patterns.
 *
 * <p>Every problem with a file is reported as an {@link IOException} whose message starts with the
 * file's path and says what is wrong, naming the tensor where there is one.
 */
public final class SafeTensors {

    /** Size of the staging buffer used to write data. */
    private static final int WRITE_CHUNK_BYTES = 1 << 20;

    private SafeTensors() {
    }

    // ------------------------------------------------------------------------------------------
    // reading

    /**
     * Loads every tensor of a safetensors file.
     *
     * <p>The file is memory-mapped one tensor at a time (large tensors in pieces), so files larger than
     * 2 GiB can be read; each tensor gets its own host array and does not refer to the file afterwards.
     *
     * @param path the file
     * @return the tensors by name, in the order of the file's header (a {@link LinkedHashMap});
     *         the {@code __metadata__} entry is not part of it (see {@link #metadata(Path)})
     * @throws IOException if the file cannot be read or does not follow the format: too short, a header
     *         length past the end of the file, a header that is not a JSON object, entries without a valid
     *         {@code dtype}, {@code shape} or {@code data_offsets}, an unsupported dtype, offsets outside
     *         the data section or overlapping each other, a byte range that does not match shape and dtype,
     *         or {@code __metadata__} values that are not strings
     */
    public static Map<String, Tensor> load(Path path) throws IOException {
        return load(path, SafeTensorsFile.MAP_CHUNK_BYTES);
    }

    /** {@link #load(Path)} that maps at most {@code chunkBytes} at a time (a multiple of 8): for tests. */
    static Map<String, Tensor> load(Path path, long chunkBytes) throws IOException {
        try (SafeTensorsFile file = SafeTensorsFile.open(path, chunkBytes)) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : file.shapes().keySet()) tensors.put(name, file.read(name));
            return tensors;
        }
    }

    /**
     * Reads the {@code __metadata__} entry of a safetensors file; only the header is read, but all of it
     * is validated as by {@link #load(Path)}.
     *
     * @param path the file
     * @return the metadata in header order (a {@link LinkedHashMap}); empty if the file has none
     * @throws IOException if the file cannot be read or its header does not follow the format
     */
    public static Map<String, String> metadata(Path path) throws IOException {
        try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
            return new LinkedHashMap<>(file.metadata());
        }
    }

    // ------------------------------------------------------------------------------------------
    // writing

    /**
     * Writes tensors and metadata to a safetensors file.
     *
     * <p>The header lists {@code __metadata__} first (left out when there is none), then the tensors in the
     * map's iteration order, whose data follow contiguously in the same order. The header is padded with
     * spaces to a multiple of 8 bytes, so that the data section starts 8-byte aligned.
     *
     * <p>The file is first written to a temporary file in the same directory, flushed to disk and then
     * renamed over {@code path} (atomically where the file system can; otherwise replacing it), so a save
     * that fails or is interrupted leaves any previous file at {@code path} as it was.
     *
     * @param path the file to write; an existing file is replaced
     * @param tensors the tensors by name; the map is iterated once, and each tensor copied to the host
     *        while it is written
     * @param metadata string metadata stored as {@code __metadata__}; may be null or empty for none
     * @throws IllegalArgumentException if {@code path} or {@code tensors} is null, a name or tensor is
     *         null, a name is {@code "__metadata__"}, or a metadata key or value is null
     * @throws IOException if the file cannot be written
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        save(path, tensors, metadata, null);
    }

    /**
     * {@link #save(Path, Map, Map)} that calls {@code beforeTensor} with each tensor's name just before its
     * data are written (for tests that interrupt a save midway); may be null.
     */
    static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata,
                     Consumer<String> beforeTensor) throws IOException {
        if (path == null) {
            throw new IllegalArgumentException("path is null");
        }
        if (tensors == null) {
            throw new IllegalArgumentException(path + ": tensor map is null");
        }
        List<String> names = new ArrayList<>(tensors.size());
        List<Tensor> values = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null) {
                throw new IllegalArgumentException(path + ": a tensor name is null");
            }
            if (name.equals(SafeTensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException(path + ": \"" + SafeTensorsHeader.METADATA_KEY
                        + "\" is reserved for metadata and cannot name a tensor");
            }
            if (t == null) {
                throw new IllegalArgumentException(path + ": tensor \"" + name + "\" is null");
            }
            names.add(name);
            values.add(t);
        }
        if (metadata != null) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null) {
                    throw new IllegalArgumentException(path + ": a metadata key is null");
                }
                if (e.getValue() == null) {
                    throw new IllegalArgumentException(path + ": metadata \"" + e.getKey() + "\" has a null value");
                }
            }
        }

        // Capture dtype and shape once: the header and the data are written from the same values.
        DType[] dtypes = new DType[values.size()];
        int[][] shapes = new int[values.size()][];
        long[] sizes = new long[values.size()];
        for (int i = 0; i < values.size(); i++) {
            Tensor t = values.get(i);
            dtypes[i] = t.dtype();
            shapes[i] = t.shape().clone();
            long numel = 1;
            for (int d : shapes[i]) {
                if (d < 0) {
                    throw new IllegalArgumentException(path + ": tensor \"" + names.get(i)
                            + "\" has a negative dimension in shape " + Arrays.toString(shapes[i]));
                }
                numel *= d;
            }
            sizes[i] = numel * dtypes[i].byteSize();
        }
        byte[] header = header(names, dtypes, shapes, sizes, metadata);

        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = createTemp(dir, target.getFileName().toString());
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                buffer.putLong(header.length);
                flush(out, buffer);
                writeFully(out, ByteBuffer.wrap(header));
                for (int i = 0; i < values.size(); i++) {
                    if (beforeTensor != null) {
                        beforeTensor.accept(names.get(i));
                    }
                    writeTensor(out, buffer, path, names.get(i), values.get(i), dtypes[i], sizes[i]);
                }
                out.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                failure.addSuppressed(suppressed);
            }
            throw failure;
        }
    }

    /** Creates an empty temporary file next to the target, with the directory's default permissions. */
    private static Path createTemp(Path dir, String fileName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            Path temp = dir.resolve("." + fileName + "." + suffix + ".tmp");
            try {
                Files.newByteChannel(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static byte[] header(List<String> names, DType[] dtypes, int[][] shapes, long[] sizes,
                                 Map<String, String> metadata) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setHtmlSafe(false);
            json.beginObject();
            if (metadata != null && !metadata.isEmpty()) {
                json.name(SafeTensorsHeader.METADATA_KEY).beginObject();
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    json.name(e.getKey()).value(e.getValue());
                }
                json.endObject();
            }
            long offset = 0;
            for (int i = 0; i < names.size(); i++) {
                json.name(names.get(i)).beginObject();
                json.name("dtype").value(SafeTensorsHeader.formatName(dtypes[i]));
                json.name("shape").beginArray();
                for (int d : shapes[i]) {
                    json.value(d);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(offset).value(offset + sizes[i]).endArray();
                json.endObject();
                offset += sizes[i];
            }
            json.endObject();
        }
        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(utf8, padded);
        Arrays.fill(header, utf8.length, padded, (byte) ' ');
        return header;
    }

    private static void writeTensor(FileChannel out, ByteBuffer buffer, Path path, String name, Tensor t,
                                    DType dtype, long bytes) throws IOException {
        Object host = t.toHostArray();
        int length = hostLength(host, dtype);
        if (length < 0 || (long) length * dtype.byteSize() != bytes) {
            throw new IllegalStateException(path + ": tensor \"" + name + "\": toHostArray() returned "
                    + (host == null ? "null" : host.getClass().getSimpleName() + " of length " + length)
                    + ", expected " + bytes / dtype.byteSize() + " elements of " + dtype);
        }
        int perChunk = buffer.capacity() / dtype.byteSize();
        for (int done = 0; done < length; ) {
            int count = Math.min(length - done, perChunk);
            buffer.clear();
            switch (dtype) {
                case F32: buffer.asFloatBuffer().put((float[]) host, done, count); break;
                case F16:
                case BF16: buffer.asShortBuffer().put((short[]) host, done, count); break;
                case I32: buffer.asIntBuffer().put((int[]) host, done, count); break;
                case I64: buffer.asLongBuffer().put((long[]) host, done, count); break;
                case U8:
                case BOOL: buffer.put((byte[]) host, done, count); break;
                default: throw new AssertionError(dtype);
            }
            buffer.position(count * dtype.byteSize());
            flush(out, buffer);
            done += count;
        }
    }

    /** The length of a host array of the type {@code dtype} uses, or -1 if it is not one. */
    private static int hostLength(Object host, DType dtype) {
        switch (dtype) {
            case F32: return host instanceof float[] ? ((float[]) host).length : -1;
            case F16:
            case BF16: return host instanceof short[] ? ((short[]) host).length : -1;
            case I32: return host instanceof int[] ? ((int[]) host).length : -1;
            case I64: return host instanceof long[] ? ((long[]) host).length : -1;
            case U8:
            case BOOL: return host instanceof byte[] ? ((byte[]) host).length : -1;
            default: return -1;
        }
    }

    /** Writes the buffer's content (position 0 to its position) and clears it. */
    private static void flush(FileChannel out, ByteBuffer buffer) throws IOException {
        buffer.flip();
        writeFully(out, buffer);
        buffer.clear();
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
