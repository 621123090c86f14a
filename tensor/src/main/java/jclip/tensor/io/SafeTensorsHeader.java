package jclip.tensor.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jclip.kernels.DType;

/**
 * The parsed and validated header of a safetensors file: the {@code __metadata__} map and one entry
 * per tensor in header order, with offsets checked against the file's data section.
 */
final class SafeTensorsHeader {

    /** The same cap on the header as the reference implementation (and a guard against huge allocations). */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The most elements one tensor may have: the largest Java array that every JVM can allocate. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    static final String METADATA_KEY = "__metadata__";

    /** Dtype strings of the format that this library knows but cannot hold in a {@link DType}. */
    private static final Set<String> UNSUPPORTED_DTYPES = Set.of(
            "F64", "I8", "I16", "U16", "U32", "U64", "C64",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4");

    private static final Pattern JSON_POSITION = Pattern.compile("line \\d+ column \\d+");

    /** One tensor of the header; {@code begin} and {@code end} are relative to the data section. */
    static final class Entry {
        final String name;
        final DType dtype;
        final int[] shape;
        final int numel;
        final long begin;
        final long end;

        Entry(String name, DType dtype, int[] shape, int numel, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.numel = numel;
            this.begin = begin;
            this.end = end;
        }
    }

    final Path file;
    final long fileSize;
    /** Absolute position of the first byte of the data section. */
    final long dataStart;
    final Map<String, String> metadata;
    final List<Entry> entries;

    private SafeTensorsHeader(Path file, long fileSize, long dataStart, Map<String, String> metadata,
                              List<Entry> entries) {
        this.file = file;
        this.fileSize = fileSize;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.entries = entries;
    }

    // ------------------------------------------------------------------------------------------
    // dtype names

    /** The format's name of a dtype. */
    static String formatName(DType dtype) {
        switch (dtype) {
            case F32: return "F32";
            case F16: return "F16";
            case BF16: return "BF16";
            case I32: return "I32";
            case I64: return "I64";
            case U8: return "U8";
            case BOOL: return "BOOL";
            default: throw new IllegalArgumentException("dtype " + dtype + " has no safetensors name");
        }
    }

    private static DType dtypeOf(Path file, String key, String name) throws SafeTensorsFormatException {
        switch (name) {
            case "F32": return DType.F32;
            case "F16": return DType.F16;
            case "BF16": return DType.BF16;
            case "I32": return DType.I32;
            case "I64": return DType.I64;
            case "U8": return DType.U8;
            case "BOOL": return DType.BOOL;
            default:
                if (UNSUPPORTED_DTYPES.contains(name)) {
                    throw new SafeTensorsFormatException(file, tensor(key) + "unsupported dtype \"" + name
                            + "\" (supported: F32, F16, BF16, I32, I64, U8, BOOL)");
                }
                throw new SafeTensorsFormatException(file, tensor(key) + "unknown dtype \"" + name + "\"");
        }
    }

    // ------------------------------------------------------------------------------------------
    // reading

    /** Reads and validates the header of an open file. */
    static SafeTensorsHeader read(FileChannel channel, Path file) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new SafeTensorsFormatException(file, "file is shorter than 8 bytes (" + size
                    + " bytes), so it cannot hold the header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0, file);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 0 || headerLength > size - 8) {
            throw new SafeTensorsFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                    + " reaches past the end of the file (file size " + size + " bytes, at most "
                    + (size - 8) + " bytes after the 8-byte length)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new SafeTensorsFormatException(file, "header length " + headerLength
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        byte[] header = new byte[(int) headerLength];
        readFully(channel, ByteBuffer.wrap(header), 8, file);
        return parse(file, size, header);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file)
            throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new SafeTensorsFormatException(file, "file ended at byte " + pos
                        + " while reading the header", new EOFException());
            }
            pos += n;
        }
    }

    /** Parses and validates header bytes (the bytes after the 8-byte length) of a file of {@code fileSize} bytes. */
    static SafeTensorsHeader parse(Path file, long fileSize, byte[] header) throws SafeTensorsFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(file, "header is not valid UTF-8", e);
        }
        long dataStart = 8L + header.length;
        long dataSize = fileSize - dataStart;

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();

        JsonReader reader = new JsonReader(new StringReader(text));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonToken first = reader.peek();
            if (first != JsonToken.BEGIN_OBJECT) {
                // Tell "valid JSON of the wrong kind" from "not JSON at all".
                JsonElement root = JsonParser.parseReader(reader);
                requireEnd(reader);
                throw new SafeTensorsFormatException(file, "header is not a JSON object (found "
                        + describe(root) + ")");
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String key = reader.nextName();
                JsonElement value = JsonParser.parseReader(reader);
                if (!seen.add(key)) {
                    throw new SafeTensorsFormatException(file, "duplicate key \"" + key + "\" in the header");
                }
                if (key.equals(METADATA_KEY)) {
                    parseMetadata(file, value, metadata);
                } else {
                    entries.add(parseEntry(file, key, value, dataSize));
                }
            }
            reader.endObject();
            requireEnd(reader);
        } catch (SafeTensorsFormatException e) {
            throw e;
        } catch (EOFException e) {
            throw new SafeTensorsFormatException(file, "header is not valid JSON ("
                    + (text.isBlank() ? "it is empty" : "it ends early") + ")", e);
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new SafeTensorsFormatException(file, "header is not valid JSON" + position(e), e);
        }
        checkOverlaps(file, entries);
        return new SafeTensorsHeader(file, fileSize, dataStart, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableList(entries));
    }

    /** Only whitespace may follow the top-level value (a strict reader already rejects anything else). */
    private static void requireEnd(JsonReader reader) throws IOException {
        if (reader.peek() != JsonToken.END_DOCUMENT) {
            throw new JsonParseException("data after the top-level value");
        }
    }

    /** " (at line L column C)" from a Gson error, without Gson's advice about lenient parsing. */
    private static String position(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null) {
                Matcher matcher = JSON_POSITION.matcher(m);
                if (matcher.find()) {
                    return " (malformed at " + matcher.group() + ")";
                }
            }
        }
        return "";
    }

    private static void parseMetadata(Path file, JsonElement value, Map<String, String> into)
            throws SafeTensorsFormatException {
        if (!value.isJsonObject()) {
            throw new SafeTensorsFormatException(file, "\"" + METADATA_KEY + "\" is not a JSON object (found "
                    + describe(value) + ")");
        }
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
                throw new SafeTensorsFormatException(file, "\"" + METADATA_KEY + "\" value of \"" + e.getKey()
                        + "\" is not a string (found " + describe(v) + ")");
            }
            into.put(e.getKey(), v.getAsString());
        }
    }

    private static Entry parseEntry(Path file, String key, JsonElement value, long dataSize)
            throws SafeTensorsFormatException {
        if (!value.isJsonObject()) {
            throw new SafeTensorsFormatException(file, tensor(key) + "entry is not a JSON object (found "
                    + describe(value) + ")");
        }
        JsonObject o = value.getAsJsonObject();

        JsonElement dtypeJson = require(file, key, o, "dtype");
        if (!(dtypeJson.isJsonPrimitive() && dtypeJson.getAsJsonPrimitive().isString())) {
            throw new SafeTensorsFormatException(file, tensor(key) + "\"dtype\" is not a string (found "
                    + describe(dtypeJson) + ")");
        }
        DType dtype = dtypeOf(file, key, dtypeJson.getAsString());

        JsonElement shapeJson = require(file, key, o, "shape");
        if (!shapeJson.isJsonArray()) {
            throw new SafeTensorsFormatException(file, tensor(key) + "\"shape\" is not an array of integers (found "
                    + describe(shapeJson) + ")");
        }
        JsonArray shapeArray = shapeJson.getAsJsonArray();
        int[] shape = new int[shapeArray.size()];
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            Long d = integer(shapeArray.get(i));
            if (d == null) {
                throw new SafeTensorsFormatException(file, tensor(key) + "\"shape\" is not an array of integers (found "
                        + describe(shapeJson) + ")");
            }
            if (d < 0) {
                throw new SafeTensorsFormatException(file, tensor(key) + "negative dimension " + d + " in shape "
                        + shapeJson);
            }
            if (d > Integer.MAX_VALUE) {
                throw new SafeTensorsFormatException(file, tensor(key) + "dimension " + d + " in shape " + shapeJson
                        + " is larger than " + Integer.MAX_VALUE);
            }
            shape[i] = (int) d.longValue();
            empty |= d == 0;
        }
        long numel = 1;
        if (empty) {
            numel = 0;
        } else {
            for (int d : shape) {
                numel *= d;   // numel <= MAX_ELEMENTS < 2^31 and d < 2^31 before each step: no overflow
                if (numel > MAX_ELEMENTS) {
                    throw new SafeTensorsFormatException(file, tensor(key) + "shape " + shapeJson
                            + " has more than " + MAX_ELEMENTS + " elements, more than one tensor can hold");
                }
            }
        }

        JsonElement offsetsJson = require(file, key, o, "data_offsets");
        Long begin = null;
        Long end = null;
        if (offsetsJson.isJsonArray() && offsetsJson.getAsJsonArray().size() == 2) {
            begin = integer(offsetsJson.getAsJsonArray().get(0));
            end = integer(offsetsJson.getAsJsonArray().get(1));
        }
        if (begin == null || end == null) {
            throw new SafeTensorsFormatException(file, tensor(key) + "\"data_offsets\" is not two integers"
                    + " [begin, end] (found " + describe(offsetsJson) + ")");
        }
        if (begin < 0 || end < 0) {
            throw new SafeTensorsFormatException(file, tensor(key) + "negative offset in data_offsets "
                    + offsetsJson);
        }
        if (begin > end) {
            throw new SafeTensorsFormatException(file, tensor(key) + "data_offsets " + offsetsJson
                    + " begin after they end");
        }
        if (end > dataSize) {
            throw new SafeTensorsFormatException(file, tensor(key) + "data_offsets " + offsetsJson
                    + " lie outside the data section, which holds " + dataSize + " bytes");
        }
        long bytes = numel * dtype.byteSize();
        if (bytes != end - begin) {
            throw new SafeTensorsFormatException(file, tensor(key) + "shape " + shapeJson + " of " + formatName(dtype)
                    + " needs " + numel + " x " + dtype.byteSize() + " = " + bytes + " bytes but data_offsets "
                    + offsetsJson + " span " + (end - begin) + " bytes");
        }
        return new Entry(key, dtype, shape, (int) numel, begin, end);
    }

    private static void checkOverlaps(Path file, List<Entry> entries) throws SafeTensorsFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong((Entry e) -> e.begin).thenComparingLong(e -> e.end));
        Entry furthest = null;   // the non-empty range seen so far that reaches furthest
        for (Entry e : sorted) {
            if (e.begin == e.end) {
                continue;        // an empty range holds no bytes and so overlaps nothing
            }
            if (furthest != null && e.begin < furthest.end) {
                throw new SafeTensorsFormatException(file, "tensors \"" + furthest.name + "\" (data_offsets ["
                        + furthest.begin + ", " + furthest.end + "]) and \"" + e.name + "\" (data_offsets ["
                        + e.begin + ", " + e.end + "]) overlap");
            }
            if (furthest == null || e.end > furthest.end) {
                furthest = e;
            }
        }
    }

    private static JsonElement require(Path file, String key, JsonObject o, String field)
            throws SafeTensorsFormatException {
        JsonElement v = o.get(field);
        if (v == null) {
            throw new SafeTensorsFormatException(file, tensor(key) + "missing \"" + field + "\"");
        }
        return v;
    }

    /** The value of a JSON integer (no fraction or exponent) that fits a long, or null. */
    private static Long integer(JsonElement e) {
        if (!e.isJsonPrimitive()) {
            return null;
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (!p.isNumber()) {
            return null;
        }
        try {
            return Long.parseLong(p.getAsString());
        } catch (NumberFormatException notAnInteger) {
            return null;
        }
    }

    private static String tensor(String key) {
        return "tensor \"" + key + "\": ";
    }

    private static String describe(JsonElement e) {
        String s = e.toString();
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
