package jclip.clip;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ftfy's test for "this text looks like mojibake" ({@code ftfy.badness.is_bad}, ftfy 6.3.1): true
 * where the text holds one of a few dozen unlikely juxtapositions of the few hundred characters that
 * UTF-8 mojibake is made of, such as an accented lower-case letter followed by a currency sign. The
 * repair ({@link MojibakeRepair}) only re-decodes text that passes this test, so the test decides
 * what gets changed; it has to be ftfy's exactly, rule for rule.
 *
 * <p>The character classes are ftfy's own choices, not Unicode properties, so they are data: the
 * resource {@code ftfy-mojibake-classes.txt}, made by running ftfy ({@code clip/tools/ftfy_reference.py
 * classes}). The rules over those classes are below. Package-private.
 */
final class MojibakeHeuristic {
    private static final Map<String, BitSet> CLASSES = loadClasses();
    private static final Pattern BAD = Pattern.compile(String.join("|", rules()), Pattern.UNIX_LINES);

    private MojibakeHeuristic() {}

    /** Whether the text contains at least one sequence that is typical of mojibake. */
    static boolean isBad(CharSequence text) {
        return BAD.matcher(text).find();
    }

    private static Map<String, BitSet> loadClasses() {
        Map<String, BitSet> classes = new HashMap<>();
        String resource = "ftfy-mojibake-classes.txt";
        try (InputStream in = MojibakeHeuristic.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("resource jclip/clip/" + resource + " is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty() || line.charAt(0) == '#') continue;
                String[] parts = line.split(" ");
                BitSet set = new BitSet();
                for (int k = 1; k < parts.length; k++) {
                    int dash = parts[k].indexOf('-');
                    int a = Integer.parseInt(dash < 0 ? parts[k] : parts[k].substring(0, dash), 16);
                    int b = dash < 0 ? a : Integer.parseInt(parts[k].substring(dash + 1), 16);
                    set.set(a, b + 1);
                }
                classes.put(parts[0], set);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String name : List.of("common", "c1", "bad", "law", "currency", "start_punctuation", "end_punctuation",
                "numeric", "kaomoji", "upper_accented", "lower_accented", "upper_common", "lower_common", "box")) {
            if (!classes.containsKey(name)) throw new IllegalStateException("jclip/clip/" + resource + " has no class " + name);
        }
        return classes;
    }

    /**
     * A regular-expression character class: the union of the named classes (names of the resource)
     * and of literal characters (any other word: each of its chars; "space" for ' ').
     * {@code "lower_accented ÂÃ"}.
     */
    private static String any(String spec) {
        BitSet set = new BitSet();
        for (String word : spec.split(" ")) {
            BitSet named = CLASSES.get(word);
            if (named != null) set.or(named);
            else if (word.equals("space")) set.set(' ');
            else word.chars().forEach(set::set);
        }
        return charClass(set);
    }

    static String charClass(BitSet set) {
        StringBuilder b = new StringBuilder("[");
        for (int lo = set.nextSetBit(0); lo >= 0; lo = set.nextSetBit(lo)) {
            int hi = set.nextClearBit(lo) - 1;
            b.append(String.format("\\x{%X}", lo));
            if (hi > lo) b.append(String.format("-\\x{%X}", hi));
            lo = hi + 1;
        }
        return b.append(']').toString();
    }

    /** Python's {@code \s} in a str pattern: {@code str.isspace()}. */
    private static String pythonSpace() {
        BitSet set = new BitSet();
        for (int c = 0; c < 0x10000; c++) if (UnicodeTables.isPythonSpace(c)) set.set(c);
        return charClass(set);
    }

    /**
     * The rules, one alternative each; a text is bad where any of them matches anywhere. Python's
     * {@code \w} is approximated by Java's letters and numbers (they differ only in characters that
     * Unicode added after Java 17's version 13).
     */
    private static List<String> rules() {
        String space = pythonSpace();
        String word = "[\\p{L}\\p{N}_]";
        String letterLike = "lower_accented upper_accented box start_punctuation end_punctuation currency numeric law";
        String arabicMojibake = any("common currency bad numeric start_punctuation ŸŠ®°µ»");
        return List.of(
                // C1 controls have no use outside mojibake any more
                any("c1"),
                // the nearly-always-mojibake characters next to one another or next to accented letters
                any("bad " + letterLike) + any("bad"),
                "[a-zA-Z]" + any("lower_common upper_common") + any("bad"),
                any("bad") + any(letterLike),
                // case and symbol juxtapositions that words do not have
                any("lower_accented lower_common box end_punctuation currency numeric") + any("upper_accented"),
                any("box end_punctuation currency numeric") + any("lower_accented"),
                any("lower_accented box end_punctuation") + any("currency"),
                space + any("upper_accented") + any("currency"),
                any("upper_accented box") + any("numeric law"),
                any("lower_accented upper_accented box currency end_punctuation") + any("start_punctuation") + any("numeric"),
                any("lower_accented upper_accented currency numeric box law") + any("end_punctuation") + any("start_punctuation"),
                any("currency numeric box") + any("start_punctuation"),
                "[a-z]" + any("upper_accented") + any("start_punctuation currency"),
                any("box") + any("kaomoji"),
                any("lower_accented upper_accented currency numeric start_punctuation end_punctuation law") + any("box"),
                any("box") + any("end_punctuation"),
                any("lower_accented upper_accented") + any("start_punctuation end_punctuation") + word,
                // the ligature œ not followed by an unaccented Latin letter
                "[Œœ][^A-Za-z]",
                // a degree sign after a capital letter
                any("upper_accented") + "°",
                // two-character Windows-1252 mojibake the rules above miss
                any("ÂÃÎÐ") + any("€œŠš¢£Ÿž\u00a0\u00ad®©°·» start_punctuation end_punctuation –—´"),
                "×[²³]",
                // Windows-1252 mojibake of Arabic, which uses the 'common' characters, so four are required
                "[ØÙ]" + arabicMojibake + "[ØÙ]" + arabicMojibake,
                // Windows-1252 mojibake starting three-byte sequences of South Asian scripts
                "à[²µ¹¼½¾]",
                // MacRoman mojibake
                "√[±∂†≠®™´≤≥¥µø]",
                "≈[°¢]",
                "‚Ä[ìîïòôúùû†°¢π]",
                "‚[âó][àä°ê]",
                // Windows-1251 mojibake of the U+2000 block, of Latin-1 and of Cyrillic (three characters)
                "вЂ",
                "[ВГРС]" + any("c1 bad start_punctuation end_punctuation currency °µ") + "[ВГРС]",
                // Windows-1251 over Latin-1 over Windows-1252, with a Latin letter after it
                "ГўВЂВ.[A-Za-z ]",
                // Windows-1252 encodings of 'à', 'á' and of U+00A0 itself
                "Ã[\u00a0¡]",
                "[a-z]" + space + "?[ÃÂ] ",
                "^[ÃÂ] ",
                // Â before a character where it encodes exactly that character
                any("abcdefghijklmnopqrstuvwxyz.,?! end_punctuation") + "Â" + any("space start_punctuation end_punctuation"),
                // Windows-1253 mojibake of the U+2000 block, of Latin-1 and of Greek
                "β€[™\u00a0Ά\u00ad®°]",
                "[ΒΓΞΟ]" + any("c1 bad start_punctuation end_punctuation currency °") + "[ΒΓΞΟ]",
                // Windows-1257 mojibake of the U+2000 block
                "ā€");
    }
}
