package jclip.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jclip.kernels.DType;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {

    @TempDir
    Path dir;

    // ==========================================================================================
    // round trips

    @Test
    void roundTripOfEveryDtype() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        float[] f32 = {1f, -2f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, Float.MAX_VALUE, 3.1415927f, -1e-20f, 65504f};
        tensors.put("f32", Tensor.fromHost(f32, DType.F32, 3, 4));
        short[] f16 = {0x3C00, (short) 0xC000, 0x0000, (short) 0x8000, 0x7C00, (short) 0xFC00, 0x7E00, 0x0001,
                0x7BFF, (short) 0xFFFF};
        tensors.put("f16", Tensor.fromHost(f16, DType.F16, 2, 5));
        short[] bf16 = {0x3F80, (short) 0xC000, 0x0000, (short) 0x8000, 0x7F80, (short) 0xFF80, 0x7FC0, 0x0001};
        tensors.put("bf16", Tensor.fromHost(bf16, DType.BF16, 2, 2, 2));
        int[] i32 = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 0x01020304};
        tensors.put("i32", Tensor.fromHost(i32, DType.I32, 6));
        long[] i64 = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0102030405060708L};
        tensors.put("i64", Tensor.fromHost(i64, DType.I64, 2, 3));
        byte[] u8 = new byte[256];
        for (int i = 0; i < u8.length; i++) {
            u8[i] = (byte) i;
        }
        tensors.put("u8", Tensor.fromHost(u8, DType.U8, 16, 16));
        byte[] bool = {1, 0, 0, 1, 1};
        tensors.put("bool", Tensor.fromHost(bool, DType.BOOL, 5));

        Path file = dir.resolve("all.safetensors");
        SafeTensors.save(file, tensors, null);
        Map<String, Tensor> back = SafeTensors.load(file);

        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
        for (String name : tensors.keySet()) {
            assertSameTensor(tensors.get(name), back.get(name), name);
        }
        // NaN and -0 keep their bits
        float[] f32Back = (float[]) back.get("f32").toHostArray();
        for (int i = 0; i < f32.length; i++) {
            assertEquals(Float.floatToRawIntBits(f32[i]), Float.floatToRawIntBits(f32Back[i]), "f32[" + i + "]");
        }
        assertEquals(-1, ((long[]) back.get("i64").toHostArray())[2]);
        assertEquals((byte) 0xFF, ((byte[]) back.get("u8").toHostArray())[255]);
    }

    @Test
    void roundTripOfZeroDimensionalAndEmptyTensors() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("scalar.f32", Tensor.fromHost(new float[] {2.5f}, DType.F32));
        tensors.put("scalar.f16", Tensor.fromHost(new short[] {0x4100}, DType.F16));
        tensors.put("scalar.bf16", Tensor.fromHost(new short[] {0x4020}, DType.BF16));
        tensors.put("scalar.i32", Tensor.fromHost(new int[] {-7}, DType.I32));
        tensors.put("scalar.i64", Tensor.fromHost(new long[] {1L << 40}, DType.I64));
        tensors.put("scalar.u8", Tensor.fromHost(new byte[] {(byte) 200}, DType.U8));
        tensors.put("scalar.bool", Tensor.fromHost(new byte[] {1}, DType.BOOL));
        tensors.put("empty.f32", Tensor.fromHost(new float[0], DType.F32, 0));
        tensors.put("empty.f16", Tensor.fromHost(new short[0], DType.F16, 3, 0));
        tensors.put("empty.bf16", Tensor.fromHost(new short[0], DType.BF16, 0, 3));
        tensors.put("empty.i32", Tensor.fromHost(new int[0], DType.I32, 2, 0, 4));
        tensors.put("empty.i64", Tensor.fromHost(new long[0], DType.I64, 0));
        tensors.put("empty.u8", Tensor.fromHost(new byte[0], DType.U8, 0, 0));
        tensors.put("empty.bool", Tensor.fromHost(new byte[0], DType.BOOL, 1, 0));
        tensors.put("after", Tensor.of(new float[] {9f, 8f}, 2));

        Path file = dir.resolve("small.safetensors");
        SafeTensors.save(file, tensors, Map.of());
        Map<String, Tensor> back = SafeTensors.load(file);
        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
        for (String name : tensors.keySet()) {
            assertSameTensor(tensors.get(name), back.get(name), name);
        }
        assertEquals(0, back.get("scalar.f32").shape().length);
        assertEquals(1, back.get("scalar.f32").numel());
        assertEquals(0, back.get("empty.i32").numel());
        assertArrayEquals(new int[] {2, 0, 4}, back.get("empty.i32").shape());

        // Empty tensors take no bytes: 4+2+2+4+8+1+1 bytes of scalars, then the 8 bytes of "after".
        Header raw = Header.of(file);
        assertEquals(30, raw.dataSize());
        JsonArray offsets = raw.json.getAsJsonObject("after").getAsJsonArray("data_offsets");
        assertEquals(22, offsets.get(0).getAsLong());
        assertEquals(30, offsets.get(1).getAsLong());
    }

    @Test
    void writtenFileFollowsTheFormat() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("b", Tensor.of(new float[] {1f, -2f}, 2));
        tensors.put("a", Tensor.of(new long[] {0x0102030405060708L}, 1));
        tensors.put("c", Tensor.of(new int[] {-2}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        Path file = dir.resolve("format.safetensors");
        SafeTensors.save(file, tensors, metadata);

        byte[] bytes = Files.readAllBytes(file);
        long n = leLong(bytes, 0);
        assertEquals(0, n % 8, "header length is a multiple of 8");
        String headerText = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(headerText.startsWith("{"));
        assertTrue(headerText.substring(headerText.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '),
                "padding is spaces");
        JsonObject header = JsonParser.parseString(headerText).getAsJsonObject();
        assertEquals(List.of("__metadata__", "b", "a", "c"), List.copyOf(header.keySet()));
        assertEquals("pt", header.getAsJsonObject("__metadata__").get("format").getAsString());
        assertEquals("F32", header.getAsJsonObject("b").get("dtype").getAsString());
        assertEquals("I64", header.getAsJsonObject("a").get("dtype").getAsString());
        assertEquals("I32", header.getAsJsonObject("c").get("dtype").getAsString());
        assertEquals("[2]", header.getAsJsonObject("b").get("shape").toString());
        assertEquals("[]", header.getAsJsonObject("c").get("shape").toString());
        assertEquals("[0,8]", header.getAsJsonObject("b").get("data_offsets").toString());
        assertEquals("[8,16]", header.getAsJsonObject("a").get("data_offsets").toString());
        assertEquals("[16,20]", header.getAsJsonObject("c").get("data_offsets").toString());
        assertEquals(8 + n + 20, bytes.length);

        int d = (int) (8 + n);
        byte[] data = Arrays.copyOfRange(bytes, d, bytes.length);
        byte[] expected = {
            0x00, 0x00, (byte) 0x80, 0x3F,  0x00, 0x00, 0x00, (byte) 0xC0,   // 1f, -2f
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,                  // the long, little-endian
            (byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF               // -2
        };
        assertArrayEquals(expected, data);
    }

    @Test
    void metadataRoundTrip() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("zeta", "last letter first");
        metadata.put("config", "{\"width\": 128, \"layers\": [1, 2]}");
        metadata.put("quotes\"and\\slashes", "line\nbreak\ttab <html> & 'single' \u0001");
        metadata.put("unicode \u00e9\u4e2d", "\ud83d\ude00 \u2028");
        metadata.put("empty", "");
        metadata.put("alpha", "1");
        Path file = dir.resolve("meta.safetensors");
        SafeTensors.save(file, Map.of("x", Tensor.of(new float[] {1f}, 1)), metadata);

        Map<String, String> back = SafeTensors.metadata(file);
        assertEquals(metadata, back);
        assertEquals(List.copyOf(metadata.keySet()), List.copyOf(back.keySet()), "metadata order kept");
        assertEquals(Set.of("x"), SafeTensors.load(file).keySet(), "__metadata__ is not a tensor");
    }

    @Test
    void noMetadataGivesAnEmptyMapAndNoEntry() throws IOException {
        Path withNull = dir.resolve("null.safetensors");
        SafeTensors.save(withNull, Map.of("x", Tensor.of(new float[] {1f}, 1)), null);
        Path withEmpty = dir.resolve("empty.safetensors");
        SafeTensors.save(withEmpty, Map.of("x", Tensor.of(new float[] {1f}, 1)), Map.of());
        for (Path p : List.of(withNull, withEmpty)) {
            assertEquals(Map.of(), SafeTensors.metadata(p));
            assertFalse(Header.of(p).json.has("__metadata__"));
        }
    }

    @Test
    void emptyTensorMapRoundTrips() throws IOException {
        Path file = dir.resolve("nothing.safetensors");
        SafeTensors.save(file, Map.of(), Map.of("k", "v"));
        assertEquals(Map.of(), SafeTensors.load(file));
        assertEquals(Map.of("k", "v"), SafeTensors.metadata(file));
    }

    @Test
    void insertionOrderIsKept() throws IOException {
        List<String> names = List.of("z", "a", "m.10", "m.2", "b", "__x", "0", "y.weight", "aa");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            tensors.put(names.get(i), Tensor.of(new float[] {i, -i}, 2));
        }
        Path file = dir.resolve("order.safetensors");
        SafeTensors.save(file, tensors, null);
        Map<String, Tensor> back = SafeTensors.load(file);
        assertInstanceOf(LinkedHashMap.class, back);
        assertEquals(names, List.copyOf(back.keySet()));
        for (int i = 0; i < names.size(); i++) {
            assertArrayEquals(new float[] {i, -i}, (float[]) back.get(names.get(i)).toHostArray());
        }
    }

    @Test
    void headerOrderIsKeptWhenDataIsInAnotherOrder() throws IOException {
        // "first" is listed first but its data come second; a gap of 4 unused bytes sits at the end.
        String header = "{\"first\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"__metadata__\":{\"m\":\"v\"},"
                + "\"second\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] data = new byte[20];
        putLe(data, 0, Float.floatToRawIntBits(1.5f), 4);
        putLe(data, 4, Float.floatToRawIntBits(-3f), 4);
        putLe(data, 8, 7, 4);
        putLe(data, 12, -9, 4);
        Path file = raw("order.safetensors", header, data);
        Map<String, Tensor> back = SafeTensors.load(file);
        assertEquals(List.of("first", "second"), List.copyOf(back.keySet()));
        assertArrayEquals(new int[] {7, -9}, (int[]) back.get("first").toHostArray());
        assertArrayEquals(new float[] {1.5f, -3f}, (float[]) back.get("second").toHostArray());
        assertEquals(Map.of("m", "v"), SafeTensors.metadata(file));
    }

    @Test
    void readsInPiecesWhenTensorsAreLargerThanAMapping() throws IOException {
        float[] f = new float[1001];
        long[] l = new long[333];
        short[] s = new short[777];
        byte[] b = new byte[999];
        for (int i = 0; i < f.length; i++) {
            f[i] = i * 0.5f - 3;
        }
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) i * 0x100000001L - 5;
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = (short) (i * 97);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 7);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("f", Tensor.fromHost(f, DType.F32, 7, 11, 13));
        tensors.put("one", Tensor.fromHost(new byte[] {1}, DType.U8, 1));   // leaves the rest unaligned
        tensors.put("l", Tensor.fromHost(l, DType.I64, 333));
        tensors.put("s", Tensor.fromHost(s, DType.BF16, 777));
        tensors.put("b", Tensor.fromHost(b, DType.U8, 999));
        Path file = dir.resolve("pieces.safetensors");
        SafeTensors.save(file, tensors, null);
        for (long chunk : new long[] {8, 64, 4096, 1L << 30}) {
            Map<String, Tensor> back = SafeTensors.load(file, chunk);
            for (String name : tensors.keySet()) {
                assertSameTensor(tensors.get(name), back.get(name), name + " in pieces of " + chunk);
            }
        }
    }

    @Test
    void copiesIntoATargetOneBlockOfRowsAtATime() throws IOException {
        float[] f = new float[7 * 11 * 13];
        for (int i = 0; i < f.length; i++) f[i] = i * 0.25f - 100;
        short[] half = new short[5 * 3];
        for (int i = 0; i < half.length; i++) half[i] = (short) (0x3c00 + i * 64); // F16 1.0, 1.0625, ...
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("f", Tensor.fromHost(f, DType.F32, 7, 11, 13));
        tensors.put("half", Tensor.fromHost(half, DType.F16, 5, 3));
        tensors.put("scalar", Tensor.fromHost(new float[] {2.5f}, DType.F32));
        Path file = dir.resolve("copy.safetensors");
        SafeTensors.save(file, tensors, null);
        try (SafeTensorsFile in = SafeTensorsFile.open(file)) {
            assertArrayEquals(new int[] {7, 11, 13}, in.shapes().get("f"));
            assertEquals(DType.F16, in.dtype("half"));
            // Chunks of one row (143 floats), of three rows (the last one short), and of the whole tensor.
            for (long chunk : new long[] {4, 143 * 4 * 3, 1 << 20}) {
                Tensor target = Tensor.zeros(7, 11, 13);
                in.copyInto("f", target, chunk);
                assertArrayEquals(f, target.toFloatArray(), "in chunks of " + chunk + " bytes");
                target.close();
            }
            Tensor widened = Tensor.zeros(5, 3);
            in.copyInto("half", widened, 8);
            try (Tensor expected = tensors.get("half").to(DType.F32)) {
                assertArrayEquals(expected.toFloatArray(), widened.toFloatArray(), "F16 widened to F32");
            }
            Tensor scalar = Tensor.scalar(0f);
            in.copyInto("scalar", scalar);
            assertEquals(2.5f, scalar.item());

            IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class,
                    () -> in.copyInto("f", Tensor.zeros(7, 143)));
            assertTrue(wrongShape.getMessage().contains("f has shape [7, 11, 13]"), wrongShape.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> in.read("g"));
            assertTrue(unknown.getMessage().contains("no tensor named g"), unknown.getMessage());
        }
    }

    @Test
    void readsTensorsPastTwoGibibytes() throws IOException {
        // A sparse file: one small tensor 3 GiB into the data section, so its position does not fit an int.
        long offset = 3L << 30;
        String header = "{\"far\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[" + offset + "," + (offset + 16)
                + "]},\"near\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        byte[] headerBytes = padded(header);
        Path file = dir.resolve("huge.safetensors");
        long dataStart = 8 + headerBytes.length;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] start = new byte[(int) dataStart + 8];
            putLe(start, 0, headerBytes.length, 8);
            System.arraycopy(headerBytes, 0, start, 8, headerBytes.length);
            putLe(start, (int) dataStart, 42, 8);
            f.write(start);
            f.setLength(dataStart + offset + 16);
            f.seek(dataStart + offset);
            byte[] far = new byte[16];
            float[] values = {1f, 2f, -3f, 0.25f};
            for (int i = 0; i < 4; i++) {
                putLe(far, 4 * i, Float.floatToRawIntBits(values[i]), 4);
            }
            f.write(far);
        } catch (IOException e) {
            Assumptions.abort("cannot make a sparse 3 GiB file here: " + e);
        }
        try {
            Map<String, Tensor> back = SafeTensors.load(file);
            assertArrayEquals(new float[] {1f, 2f, -3f, 0.25f}, (float[]) back.get("far").toHostArray());
            assertArrayEquals(new int[] {2, 2}, back.get("far").shape());
            assertArrayEquals(new long[] {42}, (long[]) back.get("near").toHostArray());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    // ==========================================================================================
    // atomic replacement

    @Test
    void saveReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.save(file, Map.of("old", Tensor.of(new float[] {1f, 2f, 3f}, 3)), Map.of("v", "1"));
        SafeTensors.save(file, Map.of("new", Tensor.of(new int[] {4}, 1)), Map.of("v", "2"));
        Map<String, Tensor> back = SafeTensors.load(file);
        assertEquals(Set.of("new"), back.keySet());
        assertArrayEquals(new int[] {4}, (int[]) back.get("new").toHostArray());
        assertEquals(Map.of("v", "2"), SafeTensors.metadata(file));
        assertEquals(List.of(file.getFileName().toString()), listDir(), "no temporary file is left behind");
    }

    @Test
    void saveIntoARelativePathInTheWorkingDirectoryTree() throws IOException {
        Path nested = Files.createDirectories(dir.resolve("a/b"));
        Path file = nested.resolve("../b/./x.safetensors");
        SafeTensors.save(file, Map.of("t", Tensor.of(new float[] {1f}, 1)), null);
        assertTrue(Files.exists(nested.resolve("x.safetensors")));
    }

    @Test
    void saveThatFailsWhileWritingDataLeavesTheOldFileIntact() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.save(file, Map.of("old", Tensor.of(new float[] {1f, 2f, 3f}, 3)), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(file);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            tensors.put("t" + i, Tensor.of(new float[100_000], 100_000));
        }
        List<String> written = new ArrayList<>();
        RuntimeException boom = assertThrows(IllegalStateException.class, () ->
                SafeTensors.save(file, tensors, Map.of("v", "2"), name -> {
                    if (name.equals("t2")) {
                        throw new IllegalStateException("interrupted before t2");
                    }
                    written.add(name);
                }));
        assertEquals("interrupted before t2", boom.getMessage());
        assertEquals(List.of("t0", "t1"), written, "it failed midway through the data");
        assertArrayEquals(before, Files.readAllBytes(file), "the old file is untouched");
        assertEquals(List.of(file.getFileName().toString()), listDir(), "the temporary file is removed");
    }

    @Test
    void saveOfAClosedTensorFailsWithoutTouchingTheOldFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.save(file, Map.of("old", Tensor.of(new float[] {1f, 2f, 3f}, 3)), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(file);

        Tensor closed = Tensor.of(new float[] {1f, 2f}, 2);
        closed.close();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.of(new float[1000], 1000));
        tensors.put("closed", closed);
        tensors.put("c", Tensor.of(new float[1000], 1000));
        assertThrows(RuntimeException.class, () -> SafeTensors.save(file, tensors, null));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file.getFileName().toString()), listDir());
    }

    @Test
    void saveWhoseMapIterationThrowsHalfwayLeavesTheOldFileIntact() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.save(file, Map.of("old", Tensor.of(new float[] {1f, 2f, 3f}, 3)), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(file);

        Map<String, Tensor> explosive = new AbstractMapThatThrows(Tensor.of(new float[] {5f}, 1), 2);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SafeTensors.save(file, explosive, null));
        assertTrue(e.getMessage().contains("iteration broke"));
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file.getFileName().toString()), listDir());
    }

    /** A map of "k0", "k1", ... whose iterator throws after {@code good} entries. */
    private static final class AbstractMapThatThrows extends java.util.AbstractMap<String, Tensor> {
        private final Tensor tensor;
        private final int good;

        AbstractMapThatThrows(Tensor tensor, int good) {
            this.tensor = tensor;
            this.good = good;
        }

        @Override
        public Set<Map.Entry<String, Tensor>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public Iterator<Map.Entry<String, Tensor>> iterator() {
                    return new Iterator<>() {
                        int i;

                        @Override
                        public boolean hasNext() {
                            return true;
                        }

                        @Override
                        public Map.Entry<String, Tensor> next() {
                            if (i == good) {
                                throw new IllegalStateException("iteration broke at entry " + i);
                            }
                            return new AbstractMap.SimpleEntry<>("k" + i++, tensor);
                        }
                    };
                }

                @Override
                public int size() {
                    return good + 1;
                }
            };
        }
    }

    @Test
    void saveRejectsBadArguments() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        Tensor t = Tensor.of(new float[] {1f}, 1);

        Map<String, Tensor> nullKey = new LinkedHashMap<>();
        nullKey.put("ok", t);
        nullKey.put(null, t);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, nullKey, null)),
                "bad.safetensors", "name is null");

        Map<String, Tensor> nullValue = new LinkedHashMap<>();
        nullValue.put("w", null);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, nullValue, null)),
                "bad.safetensors", "\"w\" is null");

        Map<String, Tensor> reserved = new LinkedHashMap<>();
        reserved.put("__metadata__", t);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, reserved, null)),
                "bad.safetensors", "__metadata__", "reserved");

        Map<String, String> nullMetaValue = new LinkedHashMap<>();
        nullMetaValue.put("k", null);
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(file, Map.of("w", t), nullMetaValue)), "bad.safetensors", "\"k\"", "null");

        Map<String, String> nullMetaKey = new LinkedHashMap<>();
        nullMetaKey.put(null, "v");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.save(file, Map.of("w", t), nullMetaKey)), "bad.safetensors", "metadata key is null");

        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(file, null, null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.save(null, Map.of("w", t), null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.load(null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.metadata(null));
        assertFalse(Files.exists(file), "nothing was written");
        assertEquals(List.of(), listDir());
    }

    // ==========================================================================================
    // the reference fixtures

    private static final Set<String> BUFFER_SUFFIXES = Set.of(".running_mean", ".running_var", ".num_batches_tracked");

    private static boolean isBuffer(String name) {
        return BUFFER_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    @Test
    void vitTinyWeights() throws IOException {
        Path file = fixture("vit-tiny.weights.safetensors");
        Map<String, Tensor> tensors = checkAgainstRawBytes(file);
        // The ViT model has no buffers: every entry is a parameter.
        assertTrue(tensors.keySet().stream().noneMatch(SafeTensorsTest::isBuffer));
        assertEquals(958_977L, numel(tensors, name -> true));
        assertArrayEquals(new int[] {128, 3, 8, 8}, tensors.get("visual.conv1.weight").shape());
        assertArrayEquals(new int[0], tensors.get("logit_scale").shape());
        assertTrue(tensors.values().stream().allMatch(t -> t.dtype() == DType.F32));

        checkFirstAndLastFloat(file, tensors, "visual.conv1.weight");
        checkFirstAndLastFloat(file, tensors, "logit_scale");
        checkConfig(file, 128, 2);
    }

    @Test
    void rnTinyWeights() throws IOException {
        Path file = fixture("rn-tiny.weights.safetensors");
        Map<String, Tensor> tensors = checkAgainstRawBytes(file);
        // Parameters are everything except the BatchNorm running statistics and counters.
        assertEquals(1_430_137L, numel(tensors, name -> !isBuffer(name)));
        assertEquals(1_435_020L, numel(tensors, name -> true));
        List<String> counters = tensors.keySet().stream().filter(n -> n.endsWith(".num_batches_tracked"))
                .collect(Collectors.toList());
        assertFalse(counters.isEmpty());
        for (String name : counters) {
            Tensor t = tensors.get(name);
            assertEquals(DType.I64, t.dtype(), name);
            assertArrayEquals(new int[0], t.shape(), name);
            assertEquals(1, t.numel(), name);
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (!e.getKey().endsWith(".num_batches_tracked")) {
                assertEquals(DType.F32, e.getValue().dtype(), e.getKey());
            }
        }
        assertArrayEquals(new int[] {8, 3, 3, 3}, tensors.get("visual.conv1.weight").shape());
        checkFirstAndLastFloat(file, tensors, "visual.conv1.weight");
        checkFirstAndLastFloat(file, tensors, "visual.bn1.running_var");
        checkConfig(file, 16, 1);
    }

    @Test
    void ioFixturesMatchTheirModels() throws IOException {
        for (String model : List.of("vit-tiny", "rn-tiny")) {
            Path io = fixture(model + ".io.safetensors");
            Map<String, Tensor> tensors = checkAgainstRawBytes(io);
            Map<String, Tensor> weights = SafeTensors.load(fixture(model + ".weights.safetensors"));
            int resolution = model.equals("vit-tiny") ? 32 : 64;

            assertArrayEquals(new int[] {4, 3, resolution, resolution}, tensors.get("images").shape(), model);
            assertEquals(DType.F32, tensors.get("images").dtype());
            assertArrayEquals(new int[] {4, 16}, tensors.get("texts").shape(), model);
            assertEquals(DType.I64, tensors.get("texts").dtype());
            assertArrayEquals(new int[] {4, 4}, tensors.get("eval.logits_per_image").shape());
            assertArrayEquals(new int[0], tensors.get("train.loss").shape());
            assertEquals(1, tensors.get("train.loss").numel());
            assertTrue(SafeTensors.metadata(io).containsKey("config"));
            assertEquals("4", SafeTensors.metadata(io).get("n"));

            // One gradient per parameter, each shaped like it.
            List<String> parameters = weights.keySet().stream().filter(n -> !isBuffer(n)).collect(Collectors.toList());
            List<String> gradients = tensors.keySet().stream().filter(n -> n.startsWith("grad."))
                    .map(n -> n.substring("grad.".length())).collect(Collectors.toList());
            assertEquals(Set.copyOf(parameters), Set.copyOf(gradients), model);
            for (String p : parameters) {
                assertArrayEquals(weights.get(p).shape(), tensors.get("grad." + p).shape(), p);
            }

            // Token ids: the end token 49407 is not in a 1000-word vocabulary, so the largest id is checked
            // against the raw bytes of the first row instead.
            long[] texts = (long[]) tensors.get("texts").toHostArray();
            byte[] bytes = Files.readAllBytes(io);
            Header raw = Header.of(io);
            long begin = raw.begin("texts");
            for (int i = 0; i < 16; i++) {
                assertEquals(leLong(bytes, (int) (raw.dataStart + begin + 8L * i)), texts[i]);
            }
        }
    }

    @Test
    void resavingAFixtureReproducesItsDataAndHeader() throws IOException {
        for (String name : List.of("vit-tiny.weights.safetensors", "rn-tiny.io.safetensors")) {
            Path original = fixture(name);
            Path copy = dir.resolve(name);
            SafeTensors.save(copy, SafeTensors.load(original), SafeTensors.metadata(original));

            // The fixtures store their tensors contiguously in header order, as save does: same data bytes.
            Header a = Header.of(original);
            Header b = Header.of(copy);
            byte[] x = Files.readAllBytes(original);
            byte[] y = Files.readAllBytes(copy);
            assertArrayEquals(Arrays.copyOfRange(x, (int) a.dataStart, x.length),
                    Arrays.copyOfRange(y, (int) b.dataStart, y.length), name);
            // Same header as JSON (key order and all), whatever the formatting.
            assertEquals(List.copyOf(a.json.keySet()).subList(1, a.json.size()),
                    List.copyOf(b.json.keySet()).subList(1, b.json.size()), name);
            assertEquals(a.json.getAsJsonObject("__metadata__"), b.json.getAsJsonObject("__metadata__"));
            for (String key : a.json.keySet()) {
                assertEquals(a.json.get(key), b.json.get(key), name + ": " + key);
            }
        }
    }

    /**
     * Loads a file and checks every tensor against the header and the bytes, both read here without
     * {@link SafeTensors}: same names in the same order, dtype, shape, and every element.
     */
    private static Map<String, Tensor> checkAgainstRawBytes(Path file) throws IOException {
        Map<String, Tensor> tensors = SafeTensors.load(file);
        byte[] bytes = Files.readAllBytes(file);
        Header raw = Header.of(file);
        List<String> names = raw.json.keySet().stream().filter(k -> !k.equals("__metadata__"))
                .collect(Collectors.toList());
        assertEquals(names, List.copyOf(tensors.keySet()), file + ": names in header order");
        for (String name : names) {
            JsonObject entry = raw.json.getAsJsonObject(name);
            Tensor t = tensors.get(name);
            assertEquals(entry.get("dtype").getAsString(), t.dtype().name(), name);
            JsonArray shapeJson = entry.getAsJsonArray("shape");
            int[] shape = new int[shapeJson.size()];
            int numel = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsInt();
                numel *= shape[i];
            }
            assertArrayEquals(shape, t.shape(), name);
            assertEquals(numel, t.numel(), name);
            int at = (int) (raw.dataStart + raw.begin(name));
            switch (t.dtype()) {
                case F32: {
                    float[] v = (float[]) t.toHostArray();
                    for (int i = 0; i < numel; i++) {
                        if (Float.floatToRawIntBits(v[i]) != (int) leBits(bytes, at + 4 * i, 4)) {
                            fail(file + ": " + name + "[" + i + "] differs from the file");
                        }
                    }
                    break;
                }
                case I64: {
                    long[] v = (long[]) t.toHostArray();
                    for (int i = 0; i < numel; i++) {
                        assertEquals(leLong(bytes, at + 8 * i), v[i], name);
                    }
                    break;
                }
                default:
                    fail("unexpected dtype in a fixture: " + t.dtype());
            }
        }
        return tensors;
    }

    /** The first and last float of a tensor, decoded from the file's bytes by hand. */
    private static void checkFirstAndLastFloat(Path file, Map<String, Tensor> tensors, String name)
            throws IOException {
        Header raw = Header.of(file);
        long begin = raw.dataStart + raw.begin(name);
        long end = raw.dataStart + raw.end(name);
        byte[] first = new byte[4];
        byte[] last = new byte[4];
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            f.seek(begin);
            f.readFully(first);
            f.seek(end - 4);
            f.readFully(last);
        }
        float firstValue = Float.intBitsToFloat((first[0] & 0xFF) | (first[1] & 0xFF) << 8
                | (first[2] & 0xFF) << 16 | (first[3] & 0xFF) << 24);
        float lastValue = Float.intBitsToFloat((last[0] & 0xFF) | (last[1] & 0xFF) << 8
                | (last[2] & 0xFF) << 16 | (last[3] & 0xFF) << 24);
        float[] values = (float[]) tensors.get(name).toHostArray();
        assertEquals(firstValue, values[0], name + " first");
        assertEquals(lastValue, values[values.length - 1], name + " last");
        float[] viaFloat = tensors.get(name).toFloatArray();
        assertEquals(firstValue, viaFloat[0], name + " first via toFloatArray");
        assertEquals(lastValue, viaFloat[viaFloat.length - 1], name + " last via toFloatArray");
        assertTrue(Float.isFinite(firstValue) && Float.isFinite(lastValue), name);
    }

    private static void checkConfig(Path file, int visionWidth, int textLayers) throws IOException {
        Map<String, String> metadata = SafeTensors.metadata(file);
        assertTrue(metadata.containsKey("config"), file + " has config metadata");
        JsonObject config = JsonParser.parseString(metadata.get("config")).getAsJsonObject();
        assertEquals(visionWidth, config.get("vision_width").getAsInt());
        assertEquals(textLayers, config.get("transformer_layers").getAsInt());
        assertEquals(1000, config.get("vocab_size").getAsInt());
        assertEquals(16, config.get("context_length").getAsInt());
    }

    private static long numel(Map<String, Tensor> tensors, java.util.function.Predicate<String> include) {
        return tensors.entrySet().stream().filter(e -> include.test(e.getKey()))
                .mapToLong(e -> e.getValue().numel()).sum();
    }

    // ==========================================================================================
    // corrupt files

    private static final String GOOD = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    static Stream<Arguments> corruptHeaders() {
        return Stream.of(
                // not JSON
                Arguments.of("truncated", "{\"w\":" + GOOD.substring(0, 10), 8, new String[] {"not valid JSON"}),
                Arguments.of("unquoted", "{w:" + GOOD + "}", 8, new String[] {"not valid JSON", "line 1 column"}),
                Arguments.of("trailing", "{\"w\":" + GOOD + "} x", 8, new String[] {"not valid JSON"}),
                Arguments.of("trailing-comma", "{\"w\":" + GOOD + ",}", 8, new String[] {"not valid JSON"}),
                Arguments.of("two-values", "{} {}", 0, new String[] {"not valid JSON", "line 1 column 5"}),
                Arguments.of("blank", "        ", 0, new String[] {"not valid JSON", "empty"}),
                Arguments.of("nan", "{\"__metadata__\":{\"a\":NaN}}", 0, new String[] {"not valid JSON"}),
                // not an object
                Arguments.of("array", "[1, 2]", 0, new String[] {"not a JSON object", "[1,2]"}),
                Arguments.of("string", "\"weights\"", 0, new String[] {"not a JSON object"}),
                Arguments.of("null", "null", 0, new String[] {"not a JSON object"}),
                // entries
                Arguments.of("entry-number", "{\"w\":3}", 0, new String[] {"\"w\"", "not a JSON object"}),
                Arguments.of("entry-array", "{\"w\":[1]}", 0, new String[] {"\"w\"", "not a JSON object"}),
                Arguments.of("no-dtype", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "missing \"dtype\""}),
                Arguments.of("no-shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "missing \"shape\""}),
                Arguments.of("no-offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
                        new String[] {"\"w\"", "missing \"data_offsets\""}),
                Arguments.of("duplicate", "{\"w\":" + GOOD + ",\"w\":" + GOOD + "}", 8,
                        new String[] {"duplicate key \"w\""}),
                // dtypes
                Arguments.of("unknown-dtype", "{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unknown dtype \"Q7\""}),
                Arguments.of("lower-case-dtype", "{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unknown dtype \"f32\""}),
                Arguments.of("f64", "{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unsupported dtype \"F64\""}),
                Arguments.of("i8", "{\"w\":{\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unsupported dtype \"I8\""}),
                Arguments.of("u64", "{\"w\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unsupported dtype \"U64\""}),
                Arguments.of("f8", "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "unsupported dtype \"F8_E4M3\""}),
                Arguments.of("dtype-number", "{\"w\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "\"dtype\" is not a string"}),
                // shapes
                Arguments.of("negative-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "negative dimension -1"}),
                Arguments.of("fraction-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "\"shape\" is not an array of integers"}),
                Arguments.of("string-dim", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "\"shape\" is not an array of integers"}),
                Arguments.of("shape-number", "{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "\"shape\" is not an array of integers"}),
                Arguments.of("huge-dim", "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "dimension 4294967296", "larger than"}),
                Arguments.of("too-many", "{\"w\":{\"dtype\":\"U8\",\"shape\":[65536,65536],\"data_offsets\":[0,8]}}", 8,
                        new String[] {"\"w\"", "more than", "elements"}),
                // offsets
                Arguments.of("offsets-one", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}}", 8,
                        new String[] {"\"w\"", "\"data_offsets\" is not two integers"}),
                Arguments.of("offsets-three", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8,
                        new String[] {"\"w\"", "\"data_offsets\" is not two integers"}),
                Arguments.of("offsets-object", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{}}}", 8,
                        new String[] {"\"w\"", "\"data_offsets\" is not two integers"}),
                Arguments.of("offsets-fraction", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8,
                        new String[] {"\"w\"", "\"data_offsets\" is not two integers"}),
                Arguments.of("offsets-negative", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
                        new String[] {"\"w\"", "negative offset", "[-8,0]"}),
                Arguments.of("offsets-reversed", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8,
                        new String[] {"\"w\"", "[8,0]", "begin after they end"}),
                Arguments.of("offsets-outside", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8,
                        new String[] {"\"w\"", "[4,12]", "outside the data section", "8 bytes"}),
                Arguments.of("offsets-beyond-truncated-data", "{\"w\":" + GOOD + "}", 5,
                        new String[] {"\"w\"", "outside the data section", "5 bytes"}),
                Arguments.of("size-mismatch", "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16,
                        new String[] {"\"w\"", "[3]", "F32", "12 bytes", "span 8 bytes"}),
                Arguments.of("size-mismatch-scalar", "{\"w\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,4]}}", 8,
                        new String[] {"\"w\"", "I64", "8 bytes", "span 4 bytes"}),
                Arguments.of("overlap", "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},"
                                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16,
                        new String[] {"\"a\"", "\"b\"", "overlap", "[0, 8]", "[4, 12]"}),
                Arguments.of("overlap-inside", "{\"big\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
                                + "\"x\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[16,18]},"
                                + "\"small\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 24,
                        new String[] {"\"big\"", "\"small\"", "overlap"}),
                // metadata
                Arguments.of("metadata-number", "{\"__metadata__\":{\"epoch\":3},\"w\":" + GOOD + "}", 8,
                        new String[] {"__metadata__", "\"epoch\"", "not a string"}),
                Arguments.of("metadata-null", "{\"__metadata__\":{\"a\":\"ok\",\"b\":null}}", 0,
                        new String[] {"__metadata__", "\"b\"", "not a string"}),
                Arguments.of("metadata-object", "{\"__metadata__\":{\"c\":{\"x\":\"y\"}}}", 0,
                        new String[] {"__metadata__", "\"c\"", "not a string"}),
                Arguments.of("metadata-not-object", "{\"__metadata__\":[\"a\"]}", 0,
                        new String[] {"__metadata__", "not a JSON object"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptHeaders")
    void corruptHeaderIsReported(String name, String header, int dataBytes, String[] expected) throws IOException {
        Path file = raw(name + ".safetensors", header, new byte[dataBytes]);
        for (Executable op : List.<Executable>of(() -> SafeTensors.load(file), () -> SafeTensors.metadata(file))) {
            IOException e = assertThrows(IOException.class, op);
            assertInstanceOf(SafeTensorsFormatException.class, e);
            assertMessage(e, file.toString());
            assertMessage(e, expected);
        }
    }

    @Test
    void acceptedEdgeCasesAreNotReported() throws IOException {
        // Unknown fields in an entry are ignored; empty ranges may sit anywhere, even inside another tensor.
        String header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8],\"extra\":true},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                + "\"z\":{\"dtype\":\"I64\",\"shape\":[3,0],\"data_offsets\":[8,8]}}";
        Map<String, Tensor> back = SafeTensors.load(raw("edge.safetensors", header, new byte[8]));
        assertEquals(List.of("w", "e", "z"), List.copyOf(back.keySet()));
        assertEquals(0, back.get("e").numel());
        assertArrayEquals(new int[] {3, 0}, back.get("z").shape());
        // An unpadded header is fine too.
        Path unpadded = dir.resolve("unpadded.safetensors");
        byte[] h = "{\"w\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[8 + h.length + 1];
        putLe(bytes, 0, h.length, 8);
        System.arraycopy(h, 0, bytes, 8, h.length);
        bytes[bytes.length - 1] = (byte) 0x9C;
        Files.write(unpadded, bytes);
        assertArrayEquals(new byte[] {(byte) 0x9C}, (byte[]) SafeTensors.load(unpadded).get("w").toHostArray());
    }

    @Test
    void fileShorterThanEightBytes() throws IOException {
        for (int size : new int[] {0, 1, 7}) {
            Path file = dir.resolve("short" + size + ".safetensors");
            Files.write(file, new byte[size]);
            IOException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.load(file));
            assertMessage(e, file.toString(), "shorter than 8 bytes", "(" + size + " bytes)");
            assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.metadata(file));
        }
    }

    @Test
    void headerLengthPastTheEndOfTheFile() throws IOException {
        Path file = dir.resolve("long-header.safetensors");
        byte[] bytes = new byte[20];
        putLe(bytes, 0, 1000, 8);
        Files.write(file, bytes);
        IOException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.load(file));
        assertMessage(e, file.toString(), "header length 1000", "past the end of the file", "20 bytes");

        // A length with the top bit set is read as unsigned, not as a negative number.
        putLe(bytes, 0, -1L, 8);
        Files.write(file, bytes);
        e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.metadata(file));
        assertMessage(e, file.toString(), "header length 18446744073709551615", "20 bytes");

        // Just one byte too many.
        putLe(bytes, 0, 13, 8);
        Files.write(file, bytes);
        e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.load(file));
        assertMessage(e, "header length 13", "20 bytes");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        Path file = dir.resolve("latin.safetensors");
        byte[] bytes = new byte[16];
        putLe(bytes, 0, 8, 8);
        System.arraycopy(header, 0, bytes, 8, 8);
        Files.write(file, bytes);
        IOException e = assertThrows(SafeTensorsFormatException.class, () -> SafeTensors.load(file));
        assertMessage(e, file.toString(), "not valid UTF-8");
    }

    @Test
    void missingFileIsAnIOException() {
        Path file = dir.resolve("absent.safetensors");
        IOException e = assertThrows(IOException.class, () -> SafeTensors.load(file));
        assertMessage(e, "absent.safetensors");
    }

    // ==========================================================================================
    // helpers

    private static void assertMessage(Throwable e, String... fragments) {
        String message = e.getMessage();
        for (String fragment : fragments) {
            assertTrue(message != null && message.contains(fragment),
                    "message should contain <" + fragment + ">: " + message);
        }
    }

    private static void assertSameTensor(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertEquals(expected.numel(), actual.numel(), what);
        Object e = expected.toHostArray();
        Object a = actual.toHostArray();
        assertEquals(e.getClass(), a.getClass(), what);
        if (e instanceof float[]) {
            float[] x = (float[]) e;
            float[] y = (float[]) a;
            assertEquals(x.length, y.length, what);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), what + "[" + i + "]");
            }
        } else if (e instanceof short[]) {
            assertArrayEquals((short[]) e, (short[]) a, what);
        } else if (e instanceof int[]) {
            assertArrayEquals((int[]) e, (int[]) a, what);
        } else if (e instanceof long[]) {
            assertArrayEquals((long[]) e, (long[]) a, what);
        } else {
            assertArrayEquals((byte[]) e, (byte[]) a, what);
        }
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Writes a file from a header (padded with spaces to a multiple of 8) and data. */
    private Path raw(String fileName, String header, byte[] data) throws IOException {
        byte[] h = padded(header);
        byte[] bytes = new byte[8 + h.length + data.length];
        putLe(bytes, 0, h.length, 8);
        System.arraycopy(h, 0, bytes, 8, h.length);
        System.arraycopy(data, 0, bytes, 8 + h.length, data.length);
        Path file = dir.resolve(fileName);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] padded(String header) {
        byte[] utf8 = header.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(utf8, (utf8.length + 7) / 8 * 8);
        Arrays.fill(out, utf8.length, out.length, (byte) ' ');
        return out;
    }

    private static void putLe(byte[] bytes, int at, long value, int size) {
        for (int i = 0; i < size; i++) {
            bytes[at + i] = (byte) (value >>> (8 * i));
        }
    }

    private static long leBits(byte[] bytes, int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (bytes[at + i] & 0xFF);
        }
        return v;
    }

    private static long leLong(byte[] bytes, int at) {
        return leBits(bytes, at, 8);
    }

    /** A file's header parsed here with plain Gson, independently of the code under test. */
    private static final class Header {
        final JsonObject json;
        final long dataStart;
        final long fileSize;

        private Header(JsonObject json, long dataStart, long fileSize) {
            this.json = json;
            this.dataStart = dataStart;
            this.fileSize = fileSize;
        }

        static Header of(Path file) throws IOException {
            byte[] bytes = Files.readAllBytes(file);
            long n = leLong(bytes, 0);
            JsonElement json = JsonParser.parseString(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
            return new Header(json.getAsJsonObject(), 8 + n, bytes.length);
        }

        long dataSize() {
            return fileSize - dataStart;
        }

        long begin(String name) {
            return json.getAsJsonObject(name).getAsJsonArray("data_offsets").get(0).getAsLong();
        }

        long end(String name) {
            return json.getAsJsonObject(name).getAsJsonArray("data_offsets").get(1).getAsLong();
        }
    }

    // ==========================================================================================
    // where the fixtures are

    private static Path fixture(String name) {
        // ../shared beside the repository, as the parent pom passes it to surefire (-Djclip.shared=... overrides).
        Path file = Path.of(System.getProperty("jclip.shared", "../shared")).resolve("fixtures/openai-clip").resolve(name).normalize();
        assertTrue(Files.isRegularFile(file), "fixture missing: " + file + " (run with -Djclip.shared=/path/to/shared)");
        return file;
    }
}
