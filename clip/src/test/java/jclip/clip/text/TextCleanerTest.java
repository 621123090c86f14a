package jclip.clip.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Text cleaning against the original: every case of {@code ftfy-cases.json} (made by running ftfy
 * 6.3.1 and openai/CLIP's {@code simple_tokenizer.py}, see {@code clip/tools/ftfy_reference.py}) must
 * get ftfy's verdict of its mojibake heuristic, ftfy's {@code fix_text} result, CLIP's cleaned text,
 * and CLIP's token ids. Failures are
 * reported all at once, each by its text.
 */
class TextCleanerTest {
    record Case(String text, String fixed, boolean bad, String cleaned, int[] ids, long[] context77) {}

    /**
     * The committed cases, or those of the file that {@code -Djclip.ftfyCases=FILE} names (output of
     * {@code ftfy_reference.py cases} for other texts, to check more of them without committing them).
     */
    static List<Case> ftfyCases() throws IOException {
        String file = System.getProperty("jclip.ftfyCases");
        try (InputStream in = file != null ? Files.newInputStream(Path.of(file)) : TextCleanerTest.class.getResourceAsStream("ftfy-cases.json")) {
            if (in == null) throw new IllegalStateException("test resource jclip/clip/text/ftfy-cases.json is missing");
            JsonArray array = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonArray();
            List<Case> cases = new ArrayList<>();
            for (JsonElement e : array) {
                JsonObject o = e.getAsJsonObject();
                JsonArray ids = o.getAsJsonArray("ids");
                JsonArray ctx = o.getAsJsonArray("context77");
                int[] a = new int[ids.size()];
                for (int i = 0; i < a.length; i++) a[i] = ids.get(i).getAsInt();
                long[] c = new long[ctx.size()];
                for (int i = 0; i < c.length; i++) c[i] = ctx.get(i).getAsLong();
                cases.add(new Case(o.get("text").getAsString(), o.get("fixed").getAsString(), o.get("is_bad").getAsBoolean(),
                        o.get("cleaned").getAsString(), a, c));
            }
            return cases;
        }
    }

    /** The text with everything outside printable ASCII as a Java escape, for failure messages. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.append('"').toString();
    }

    @Test
    void everyFtfyCaseMatchesTheOriginal() throws IOException {
        ClipTokenizer tok = ClipTokenizerTest.original();
        List<Case> cases = ftfyCases();
        if (System.getProperty("jclip.ftfyCases") == null) assertTrue(cases.size() >= 100, "only " + cases.size() + " cases");
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            String fixed = TextCleaner.fixText(c.text());
            String cleaned = TextCleaner.clean(c.text());
            int[] ids = tok.encode(c.text());
            long[] row = tok.tokenizeRow(c.text(), 77, true);
            List<String> wrong = new ArrayList<>();
            if (MojibakeHeuristic.isBad(c.text()) != c.bad()) wrong.add("is_bad " + !c.bad() + ", expected " + c.bad());
            if (!fixed.equals(c.fixed())) wrong.add("fix_text " + escape(fixed) + ", expected " + escape(c.fixed()));
            if (!cleaned.equals(c.cleaned())) wrong.add("cleaned " + escape(cleaned) + ", expected " + escape(c.cleaned()));
            if (!Arrays.equals(ids, c.ids())) wrong.add("ids " + Arrays.toString(ids) + ", expected " + Arrays.toString(c.ids()));
            if (!Arrays.equals(row, c.context77())) wrong.add("context-77 row differs");
            if (!wrong.isEmpty()) failures.add(escape(c.text()) + ": " + String.join("; ", wrong));
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases differ from the original:\n"
                + String.join("\n", failures));
    }

    @Test
    void singleByteEncodingsRoundTrip() {
        for (SingleByteEncoding e : SingleByteEncoding.MOJIBAKE_CANDIDATES) {
            StringBuilder all = new StringBuilder();
            for (int b = 0; b < 256; b++) all.append(e.decode(b));
            String text = all.toString();
            assertTrue(e.canEncode(text), e.name);
            String bytes = e.encode(text);
            for (int b = 0; b < 256; b++) assertEquals(b, bytes.charAt(b), e.name + " byte " + b);
        }
        SingleByteEncoding cp1252 = SingleByteEncoding.MOJIBAKE_CANDIDATES.get(1);
        assertEquals("sloppy-windows-1252", cp1252.name);
        assertEquals('\u20ac', cp1252.decode(0x80));
        assertEquals('\u0081', cp1252.decode(0x81)); // undefined in Windows-1252: passed through as Latin-1
        assertEquals('\ufffd', cp1252.decode(0x1A)); // the sloppy code pages' stand-in for a lost byte
        assertFalse(cp1252.canEncode("\u001a"));
        assertFalse(SingleByteEncoding.LATIN_1.canEncode("\u20ac"));
        assertEquals(SingleByteEncoding.NO_CHAR, SingleByteEncoding.CLUE_ENCODINGS.get(1).decode(0x81));
    }

    @Test
    void utf8DecodingIsStrictExceptForFtfysVariants() {
        assertEquals("caf\u00e9", Utf8Variants.decode("caf\u00c3\u00a9"));
        assertEquals("\ud83d\ude00", Utf8Variants.decode("\u00f0\u009f\u0098\u0080"));
        assertNull(Utf8Variants.decode("\u00c3"), "truncated");
        assertNull(Utf8Variants.decode("\u00c1\u0081"), "overlong");
        assertNull(Utf8Variants.decode("\u00e0\u0080\u0080"), "overlong");
        assertNull(Utf8Variants.decode("\u00ed\u00a0\u0080"), "a lone encoded surrogate");
        assertNull(Utf8Variants.decode("\u00f4\u0090\u0080\u0080"), "above U+10FFFF");
        assertNull(Utf8Variants.decode("\u00c0"), "C0 without 80");
        // CESU-8: the surrogates of U+1F600, three bytes each
        assertEquals("\ud83d\ude00", Utf8Variants.decode("\u00ed\u00a0\u00bd\u00ed\u00b8\u0080"));
        assertEquals("a\u0000b", Utf8Variants.decode("a\u00c0\u0080b"));
        assertEquals("\ud55c", Utf8Variants.decode("\u00ed\u0095\u009c"), "ED 80-9F is ordinary Hangul");
    }

    @Test
    void byteRepairs() {
        // "voilà le": C3 A0 whose A0 became a space
        assertEquals("voil\u00c3\u00a0 le", MojibakeRepair.restoreByteA0("voil\u00c3 le"));
        // U+2014 E2 80 94 with a lost third byte, read by a lossy decoder
        assertEquals("\u00ef\u00bf\u00bd x", MojibakeRepair.replaceLossySequences("\u00e2\u0080\u001a x"));
    }

    @Test
    void heuristicTellsMojibakeFromText() {
        assertTrue(MojibakeHeuristic.isBad("caf\u00c3\u00a9"));
        assertTrue(MojibakeHeuristic.isBad("\u00e2\u20ac\u0153quoted"));
        assertFalse(MojibakeHeuristic.isBad("caf\u00e9 na\u00efve \u00c5ngstr\u00f6m"));
        assertFalse(MojibakeHeuristic.isBad("\u041c\u043e\u0441\u043a\u0432\u0430"));
    }
}
