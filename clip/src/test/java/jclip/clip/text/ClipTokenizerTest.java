package jclip.clip.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import jclip.kernels.DType;
import jclip.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer against the original openai/CLIP {@code SimpleTokenizer}: the fixture cases
 * ({@code shared/fixtures/openai-clip/tokenizer-cases.json}), extra cases whose expected ids were
 * made with the original code (ftfy 6.3.1, regex), the Hugging Face loader and {@code tokenize}.
 */
class ClipTokenizerTest {
    /** One fixture case. */
    record Case(String text, int[] ids, long[] context77, String decoded) {}

    private static ClipTokenizer original;
    private static List<Case> cases;

    /** shared/ beside the repository. */
    static Path shared() {
        // As the parent pom passes it to surefire; -Djclip.shared=... points elsewhere.
        return Path.of(System.getProperty("jclip.shared", "../shared")).normalize();
    }

    static Path mergesFile() {
        return shared().resolve("data/bpe_simple_vocab_16e6.txt.gz");
    }

    /** The original tokenizer, loaded once for all tests. */
    static synchronized ClipTokenizer original() {
        if (original == null) original = ClipTokenizer.load(mergesFile());
        return original;
    }

    static synchronized List<Case> cases() throws IOException {
        if (cases == null) {
            JsonArray array = JsonParser.parseString(Files.readString(shared().resolve("fixtures/openai-clip/tokenizer-cases.json")))
                    .getAsJsonArray();
            List<Case> list = new ArrayList<>();
            for (JsonElement e : array) {
                JsonObject o = e.getAsJsonObject();
                JsonArray ids = o.getAsJsonArray("ids");
                JsonArray ctx = o.getAsJsonArray("context77");
                int[] a = new int[ids.size()];
                for (int i = 0; i < a.length; i++) a[i] = ids.get(i).getAsInt();
                long[] c = new long[ctx.size()];
                for (int i = 0; i < c.length; i++) c[i] = ctx.get(i).getAsLong();
                list.add(new Case(o.get("text").getAsString(), a, c, o.get("decoded").getAsString()));
            }
            cases = list;
        }
        return cases;
    }

    /** Texts, expected decode and ids made by running the original SimpleTokenizer (with ftfy 6.3.1). */
    static final Object[][] EXTRA = {
        {"\u201cQuoted\u201d and it\u2019s curly", "\" quoted \" and it 's curly ", new int[] {257, 27706, 257, 537, 585, 568, 20795}},
        {"\ufb01ne \ufb02ower \uff21\uff22\uff23\uff11\uff12", "fine flower abc 1 2 ", new int[] {3797, 4055, 5334, 272, 273}},
        {"&amp;amp;amp;amp; &EACUTE;t&eacute; &notit; &#x1F600; &#128;", "& \u00e9t\u00e9 \u00ac it ; \ud83d\ude00 \u20ac ", new int[] {261, 3459, 39694, 126, 361, 585, 282, 7334, 6309}},
        {"<b>&amp;amp;amp;</b>", "< b >& amp ;</ b > ", new int[] {283, 321, 29, 261, 6259, 26, 34308, 321, 285}},
        {"line one &amp;amp;\n<line two> &amp;amp;", "line one & < line two > & ", new int[] {1148, 637, 261, 283, 1148, 1237, 285, 261}},
        {"cafe\u0301 \u00c5ngstr\u00f6m \u212bngstr\u00f6m", "caf\u00e9 \u00e5ngstr\u00f6m \u00e5ngstr\u00f6m ", new int[] {15304, 23176, 10352, 807, 7255, 332, 23176, 10352, 807, 7255, 332}},
        {"\u039f\u0394\u039f\u03a342nd \u039f\u0394\u039f\u03a3 a \u03a3\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2 4 2 nd \u03bf\u03b4\u03bf\u03c2 a \u03c3\u03bf\u03c2 ", new int[] {138, 123, 138, 112, 138, 123, 139, 480, 275, 273, 1764, 138, 123, 138, 112, 138, 123, 139, 480, 320, 139, 225, 138, 123, 139, 480}},
        {"\u0130stanbul STRASSE Stra\u00dfe", "i \u0307 stanbul strasse stra\u00dfe ", new int[] {328, 16384, 11231, 1894, 8938, 1894, 127, 253, 324}},
        {"\033[31mred\033[0m alert\007\000 \u200b zero\ufeffwidth", "red alert \u200b zerowidth ", new int[] {736, 4662, 9844, 14867, 23571}},
        {"<|startoftext|>x<|endoftext|> <|\u017ftartoftext|> \u03b1\u0345\u03b2 'S", "<|startoftext|>x <|endoftext|><|\u017ftartoftext|> \u1fb3\u03b2 's ", new int[] {49406, 343, 49407, 27, 91, 129, 123, 2002, 6659, 18169, 91, 285, 157, 122, 111, 138, 366, 568}},
        {"tabs\013\014and\034\035separators\u2028\u00a0\u3000end", "tabs andseparators end ", new int[] {29163, 672, 6859, 3389, 806}},
        {"\u0093smart\u0094 quotes from cp1252", "\" smart \" quotes from cp 1 2 5 2 ", new int[] {257, 4115, 257, 5808, 633, 9130, 272, 273, 276, 273}},
    };

    @Test
    void loadsTheOriginalVocabulary() {
        long t0 = System.nanoTime();
        ClipTokenizer tok = ClipTokenizer.load(mergesFile());
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf("loading the merges file took %.0f ms%n", ms);
        assertTrue(ms < 5000, "loading took " + ms + " ms");
        assertEquals(49408, tok.vocabSize());
        assertEquals(49406, tok.startToken());
        assertEquals(49407, tok.endToken());
        assertEquals(ClipTokenizer.ORIGINAL_MERGE_LIMIT, tok.numMerges());
        assertEquals(48894, tok.numMerges());
        assertEquals("!", tok.token(0));
        assertEquals("!</w>", tok.token(256));
        assertEquals("in", tok.token(512));
        assertEquals("<|startoftext|>", tok.token(49406));
        assertEquals(320, tok.tokenId("a</w>"));
        assertEquals(-1, tok.tokenId("no such token"));
        assertThrows(IllegalArgumentException.class, () -> tok.token(49408));
        assertThrows(IllegalArgumentException.class, () -> tok.token(-1));
    }

    @Test
    void fixtureCasesEncodeAndDecodeExactly() throws IOException {
        ClipTokenizer tok = original();
        for (Case c : cases()) {
            assertArrayEquals(c.ids(), tok.encode(c.text()), "ids of " + c.text());
            assertEquals(c.decoded(), tok.decode(c.ids()), "decode of " + c.text());
            List<Integer> list = tok.encodeToList(c.text());
            assertEquals(c.ids().length, list.size());
            assertEquals(c.decoded(), tok.decode(list));
        }
    }

    @Test
    void fixtureCasesTokenizeToContext77() throws IOException {
        ClipTokenizer tok = original();
        List<String> texts = new ArrayList<>();
        long[] expected = new long[cases().size() * 77];
        int i = 0;
        for (Case c : cases()) {
            // the fixture truncates (end token kept last) exactly where the row would not fit
            boolean truncate = c.ids().length + 2 > 77;
            assertArrayEquals(c.context77(), tok.tokenizeRow(c.text(), 77, truncate), "row of " + c.text());
            try (Tensor t = tok.tokenize(List.of(c.text()), 77, truncate)) {
                assertArrayEquals(new int[] {1, 77}, t.shape());
                assertArrayEquals(c.context77(), t.toLongArray());
            }
            texts.add(c.text());
            System.arraycopy(c.context77(), 0, expected, i++ * 77, 77);
        }
        try (Tensor all = tok.tokenize(texts, 77, true)) {
            assertEquals(DType.I64, all.dtype());
            assertArrayEquals(new int[] {texts.size(), 77}, all.shape());
            assertArrayEquals(expected, all.toLongArray());
        }
    }

    @Test
    void tooLongTextWithoutTruncateNamesItsIndex() throws IOException {
        ClipTokenizer tok = original();
        List<String> texts = new ArrayList<>();
        int longIndex = -1;
        int longTokens = -1;
        for (Case c : cases()) {
            if (c.ids().length + 2 > 77 && longIndex < 0) {
                longIndex = texts.size();
                longTokens = c.ids().length + 2;
            }
            texts.add(c.text());
        }
        assertTrue(longIndex >= 0, "the fixtures hold a text longer than 77 tokens");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.tokenize(texts));
        assertTrue(e.getMessage().contains("Input " + longIndex + " "), e.getMessage());
        assertTrue(e.getMessage().contains(longTokens + " tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("context length 77"), e.getMessage());
        String longText = texts.get(longIndex);
        assertThrows(IllegalArgumentException.class, () -> tok.tokenize(longText));
        assertThrows(IllegalArgumentException.class, () -> tok.tokenizeRow(longText, 77, false));
    }

    @Test
    void tokenizeEdges() {
        ClipTokenizer tok = original();
        try (Tensor t = tok.tokenize("a photo of a cat.")) {
            assertArrayEquals(new int[] {1, 77}, t.shape());
            long[] row = t.toLongArray();
            assertArrayEquals(new long[] {49406, 320, 1125, 539, 320, 2368, 269, 49407, 0}, java.util.Arrays.copyOf(row, 9));
        }
        // tokens[:n]; tokens[-1] = eot, for short context lengths too
        assertArrayEquals(new long[] {49406, 320, 1125, 49407}, tok.tokenizeRow("a photo of a cat.", 4, true));
        assertArrayEquals(new long[] {49406, 49407}, tok.tokenizeRow("a photo of a cat.", 2, true));
        assertArrayEquals(new long[] {49407}, tok.tokenizeRow("a photo of a cat.", 1, true));
        assertArrayEquals(new long[] {49406, 49407, 0}, tok.tokenizeRow("", 3, false));
        // exactly full: 75 ids + start + end
        String full = "word ".repeat(75);
        long[] row = tok.tokenizeRow(full, 77, false);
        assertEquals(49406, row[0]);
        assertEquals(2653, row[75]);
        assertEquals(49407, row[76]);
        assertThrows(IllegalArgumentException.class, () -> tok.tokenizeRow(full + "word", 77, false));
        assertThrows(IllegalArgumentException.class, () -> tok.tokenize(List.of("a"), 0, true));
        try (Tensor empty = tok.tokenize(List.of(), 77, false)) {
            assertArrayEquals(new int[] {0, 77}, empty.shape());
        }
    }

    @Test
    void extraCasesMatchTheOriginal() {
        ClipTokenizer tok = original();
        for (Object[] c : EXTRA) {
            String text = (String) c[0];
            int[] ids = (int[]) c[2];
            assertArrayEquals(ids, tok.encode(text), "ids of " + text);
            assertEquals(c[1], tok.decode(ids), "decode of " + text);
        }
    }

    @Test
    void decodeHandlesBrokenUtf8AndSpecialTokens() {
        ClipTokenizer tok = original();
        assertEquals("\ufffd", tok.decode(new int[] {127})); // the lone lead byte 0xC3
        assertEquals("\u00e3 ", tok.decode(new int[] {127, 352}));
        assertEquals("<|startoftext|>a <|endoftext|>", tok.decode(new int[] {49406, 320, 49407}));
        assertEquals("!!", tok.decode(new int[] {0, 0}));
        assertEquals("\u0000", tok.decode(new int[] {188}));
        assertEquals("", tok.decode(new int[0]));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {49408}));
    }

    @Test
    void encodingIsThreadSafe() throws Exception {
        ClipTokenizer tok = ClipTokenizer.load(mergesFile()); // a cold cache
        List<Case> all = cases();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int rep = 0; rep < 20; rep++) {
                        for (Case c : all) {
                            if (!java.util.Arrays.equals(c.ids(), tok.encode(c.text()))) return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) assertTrue(f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The original merges after the header line, in order (as the original uses them). */
    static List<String> originalMergeLines() throws IOException {
        List<String> merges = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(mergesFile()));
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            r.readLine();
            String line;
            while (merges.size() < ClipTokenizer.ORIGINAL_MERGE_LIMIT && (line = r.readLine()) != null) merges.add(line);
        }
        return merges;
    }

    @Test
    void plainTextMergesFileLoadsLikeTheGzip(@TempDir Path dir) throws IOException {
        Path plain = dir.resolve("merges.txt");
        List<String> lines = new ArrayList<>();
        lines.add("\"bpe_simple_vocab_16e6.txt#version: 0.2");
        lines.addAll(originalMergeLines());
        Files.write(plain, lines, StandardCharsets.UTF_8);
        ClipTokenizer tok = ClipTokenizer.load(plain);
        assertEquals(49408, tok.vocabSize());
        for (Case c : cases()) assertArrayEquals(c.ids(), tok.encode(c.text()), c.text());
    }

    /** Writes the original vocabulary in Hugging Face's form, with ids mapped through idOf. */
    static void writeHuggingFace(Path vocabJson, Path mergesTxt, java.util.function.IntUnaryOperator idOf) throws IOException {
        ClipTokenizer tok = original();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tok.vocabSize(); id++) vocab.put(tok.token(id), idOf.applyAsInt(id));
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        Files.writeString(vocabJson, gson.toJson(vocab), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        lines.add("#version: 0.2");
        lines.addAll(originalMergeLines());
        Files.write(mergesTxt, lines, StandardCharsets.UTF_8);
    }

    @Test
    void huggingFaceFilesGiveTheSameIds(@TempDir Path dir) throws IOException {
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        writeHuggingFace(vocab, merges, id -> id);
        ClipTokenizer hf = ClipTokenizer.loadHuggingFace(vocab, merges);
        assertEquals(49408, hf.vocabSize());
        assertEquals(49406, hf.startToken());
        assertEquals(49407, hf.endToken());
        assertEquals(48894, hf.numMerges());
        for (Case c : cases()) {
            assertArrayEquals(c.ids(), hf.encode(c.text()), c.text());
            assertEquals(c.decoded(), hf.decode(c.ids()));
            boolean truncate = c.ids().length + 2 > 77;
            assertArrayEquals(c.context77(), hf.tokenizeRow(c.text(), 77, truncate));
        }
        for (Object[] c : EXTRA) assertArrayEquals((int[]) c[2], hf.encode((String) c[0]));
    }

    @Test
    void huggingFaceIdsComeFromVocabJson(@TempDir Path dir) throws IOException {
        int n = 49408; // 7 is coprime to 49408 = 2^8 * 193, so this permutes the ids
        java.util.function.IntUnaryOperator perm = id -> (int) ((id * 7L + 3) % n);
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        writeHuggingFace(vocab, merges, perm);
        ClipTokenizer hf = ClipTokenizer.loadHuggingFace(vocab, merges);
        assertEquals(perm.applyAsInt(49406), hf.startToken());
        assertEquals(perm.applyAsInt(49407), hf.endToken());
        for (Case c : cases()) {
            int[] expected = java.util.Arrays.stream(c.ids()).map(perm).toArray();
            assertArrayEquals(expected, hf.encode(c.text()), c.text());
            assertEquals(c.decoded(), hf.decode(expected));
        }
    }

    @Test
    void huggingFaceLoaderRejectsMergesOutsideTheVocabulary(@TempDir Path dir) throws IOException {
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        Files.writeString(vocab, "{\"a\": 0, \"b</w>\": 1, \"<|startoftext|>\": 2, \"<|endoftext|>\": 3}");
        Files.writeString(merges, "#version: 0.2\na b</w>\n");
        assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.loadHuggingFace(vocab, merges));
        Files.writeString(vocab, "{\"a\": 0, \"b</w>\": 1, \"ab</w>\": 2}");
        assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.loadHuggingFace(vocab, merges));
    }

    @Test
    void malformedMergeLineIsReported(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "#version: 0.2\ni n\nt h e\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(bad));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
        try (OutputStream out = Files.newOutputStream(dir.resolve("empty.txt"))) {
            out.write("#version: 0.2\n".getBytes(StandardCharsets.UTF_8));
        }
        ClipTokenizer bytesOnly = ClipTokenizer.load(dir.resolve("empty.txt"));
        assertEquals(514, bytesOnly.vocabSize());
        assertEquals(512, bytesOnly.startToken());
        assertEquals("cat ", bytesOnly.decode(bytesOnly.encode("Cat")));
        assertEquals(3, bytesOnly.encode("cat").length);
    }

    /** Both would otherwise load as a tokenizer of bytes only, silently other ids than the model's. */
    @Test
    void anEmptyFileAndAGzNameWithoutGzipAreRefused(@TempDir Path dir) throws IOException {
        Path empty = dir.resolve("empty.txt.gz");
        Files.write(empty, new byte[0]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(empty));
        assertEquals(empty + ": named .gz but not gzip-compressed", e.getMessage());
        Path blank = dir.resolve("blank.txt");
        Files.writeString(blank, "\n\n");
        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(blank));
        assertEquals(blank + ": empty, not a BPE merges file", e.getMessage());
        Path plain = dir.resolve("merges.txt.gz");
        Files.writeString(plain, "#version: 0.2\ni n\n");
        e = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(plain));
        assertTrue(e.getMessage().contains("not gzip"), e.getMessage());
    }
}
