package jclip.clip.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * ftfy's test for "this text looks like mojibake" ({@code ftfy.badness.is_bad}, ftfy 6.3.1): true
 * where the text holds one of a few dozen unlikely juxtapositions of the few hundred characters that
 * UTF-8 mojibake is made of, such as an accented lower-case letter followed by a currency sign. The
 * repair ({@link MojibakeRepair}) only re-decodes text that passes this test, so the test decides
 * what gets changed; it has to be ftfy's exactly, rule for rule.
 *
 * <p>The character classes are ftfy's own choices, not Unicode properties, so they are data: the
 * resource {@code ftfy-mojibake-classes.txt}, made by running ftfy ({@code clip/tools/ftfy_reference.py
 * classes}). The rules over those classes are below. ftfy states them as one regular expression;
 * here each rule is a short sequence of steps, each step a set of code points, matched code point by
 * code point as Python does. (A Java regular expression with these classes, each a chain of dozens of
 * ranges, made cleaning a caption take about 170 microseconds; with bit-set steps the whole cleaning
 * takes 2 to 15, measured on this project's 2-core machine.) Package-private.
 */
final class MojibakeHeuristic {
    private static final Map<String, BitSet> CLASSES = loadClasses();

    /** One position of a rule: the code points it accepts; an optional step may also match nothing. */
    private record Step(BitSet bmp, IntPredicate supplementary, boolean optional) {
        boolean accepts(int cp) {
            return cp < 0x10000 ? bmp.get(cp) : supplementary.test(cp);
        }
    }

    /** A sequence of steps that must match consecutive code points; anchored ones only at the start. */
    private record Rule(Step[] steps, boolean anchored) {
        boolean matchesAt(int[] cps, int pos) {
            return matchesFrom(cps, pos, 0);
        }

        private boolean matchesFrom(int[] cps, int pos, int k) {
            if (k == steps.length) return true;
            Step step = steps[k];
            if (pos < cps.length && step.accepts(cps[pos]) && matchesFrom(cps, pos + 1, k + 1)) return true;
            return step.optional() && matchesFrom(cps, pos, k + 1);
        }
    }

    private static final List<Rule> RULES = rules();
    /** The code points that can start an unanchored rule: elsewhere no rule needs to be tried. */
    private static final Step FIRST = firstSteps();

    private MojibakeHeuristic() {}

    /** Whether the text contains at least one sequence that is typical of mojibake. */
    static boolean isBad(CharSequence text) {
        int[] cps = text.codePoints().toArray();
        for (Rule rule : RULES) if (rule.anchored() && rule.matchesAt(cps, 0)) return true;
        for (int pos = 0; pos < cps.length; pos++) {
            if (!FIRST.accepts(cps[pos])) continue;
            for (Rule rule : RULES) if (!rule.anchored() && rule.matchesAt(cps, pos)) return true;
        }
        return false;
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

    /** The named classes (names of the resource) and literal characters (any other word: each of its chars; "space" for ' '). */
    private static BitSet set(String spec) {
        BitSet set = new BitSet();
        for (String word : spec.split(" ")) {
            BitSet named = CLASSES.get(word);
            if (named != null) set.or(named);
            else if (word.equals("space")) set.set(' ');
            else word.chars().forEach(set::set);
        }
        return set;
    }

    /** A step accepting the characters of {@link #set}; all of them are in the BMP. */
    private static Step any(String spec) {
        return new Step(set(spec), cp -> false, false);
    }

    /** A step accepting the code points that the predicate accepts. */
    private static Step where(IntPredicate p, boolean optional) {
        BitSet bmp = new BitSet(0x10000);
        for (int c = 0; c < 0x10000; c++) if (p.test(c)) bmp.set(c);
        return new Step(bmp, p, optional);
    }

    private static Rule rule(Step... steps) {
        return new Rule(steps, false);
    }

    /** A rule of literal characters, each its own step. */
    private static Rule literal(String chars) {
        return new Rule(chars.chars().mapToObj(c -> any(String.valueOf((char) c))).toArray(Step[]::new), false);
    }

    private static boolean isAsciiLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static Step firstSteps() {
        BitSet bmp = new BitSet(0x10000);
        List<IntPredicate> supplementary = new ArrayList<>();
        for (Rule rule : RULES) {
            if (rule.anchored()) continue;
            // no rule starts with an optional step, so its first step decides
            Step first = rule.steps()[0];
            bmp.or(first.bmp());
            supplementary.add(first.supplementary());
        }
        return new Step(bmp, cp -> supplementary.stream().anyMatch(p -> p.test(cp)), false);
    }

    /**
     * The rules; a text is bad where any of them matches anywhere. Python's {@code \s} is
     * {@code str.isspace()}; its {@code \w} is approximated by Java's letters and numbers (they
     * differ only in characters that Unicode added after Java 17's version 13).
     */
    private static List<Rule> rules() {
        Step space = where(UnicodeTables::isPythonSpace, false);
        Step optionalSpace = where(UnicodeTables::isPythonSpace, true);
        Step word = where(c -> Character.isLetter(c) || Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER
                || Character.getType(c) == Character.LETTER_NUMBER || Character.getType(c) == Character.OTHER_NUMBER
                || c == '_', false);
        Step notNewline = where(c -> c != '\n', false);
        Step notAsciiLetter = where(c -> !isAsciiLetter(c), false);
        Step asciiLetter = any("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        Step lowerAscii = any("abcdefghijklmnopqrstuvwxyz");
        String letterLike = "lower_accented upper_accented box start_punctuation end_punctuation currency numeric law";
        Step arabicMojibake = any("common currency bad numeric start_punctuation ŸŠ®°µ»");
        Step cyrillicPair = any("ВГРС");
        Step greekPair = any("ΒΓΞΟ");
        return List.of(
                // C1 controls have no use outside mojibake any more
                rule(any("c1")),
                // the nearly-always-mojibake characters next to one another or next to accented letters
                rule(any("bad " + letterLike), any("bad")),
                rule(asciiLetter, any("lower_common upper_common"), any("bad")),
                rule(any("bad"), any(letterLike)),
                // case and symbol juxtapositions that words do not have
                rule(any("lower_accented lower_common box end_punctuation currency numeric"), any("upper_accented")),
                rule(any("box end_punctuation currency numeric"), any("lower_accented")),
                rule(any("lower_accented box end_punctuation"), any("currency")),
                rule(space, any("upper_accented"), any("currency")),
                rule(any("upper_accented box"), any("numeric law")),
                rule(any("lower_accented upper_accented box currency end_punctuation"), any("start_punctuation"), any("numeric")),
                rule(any("lower_accented upper_accented currency numeric box law"), any("end_punctuation"), any("start_punctuation")),
                rule(any("currency numeric box"), any("start_punctuation")),
                rule(lowerAscii, any("upper_accented"), any("start_punctuation currency")),
                rule(any("box"), any("kaomoji")),
                rule(any("lower_accented upper_accented currency numeric start_punctuation end_punctuation law"), any("box")),
                rule(any("box"), any("end_punctuation")),
                rule(any("lower_accented upper_accented"), any("start_punctuation end_punctuation"), word),
                // the ligature œ not followed by an unaccented Latin letter
                rule(any("Œœ"), notAsciiLetter),
                // a degree sign after a capital letter
                rule(any("upper_accented"), any("°")),
                // two-character Windows-1252 mojibake the rules above miss
                rule(any("ÂÃÎÐ"), any("€œŠš¢£Ÿž\u00a0\u00ad®©°·» start_punctuation end_punctuation –—´")),
                rule(any("×"), any("²³")),
                // Windows-1252 mojibake of Arabic, which uses the 'common' characters, so four are required
                rule(any("ØÙ"), arabicMojibake, any("ØÙ"), arabicMojibake),
                // Windows-1252 mojibake starting three-byte sequences of South Asian scripts
                rule(any("à"), any("²µ¹¼½¾")),
                // MacRoman mojibake
                rule(any("√"), any("±∂†≠®™´≤≥¥µø")),
                rule(any("≈"), any("°¢")),
                rule(any("‚"), any("Ä"), any("ìîïòôúùû†°¢π")),
                rule(any("‚"), any("âó"), any("àä°ê")),
                // Windows-1251 mojibake of the U+2000 block, of Latin-1 and of Cyrillic (three characters)
                literal("вЂ"),
                rule(cyrillicPair, any("c1 bad start_punctuation end_punctuation currency °µ"), cyrillicPair),
                // Windows-1251 over Latin-1 over Windows-1252, with a Latin letter after it
                rule(any("Г"), any("ў"), any("В"), any("Ђ"), any("В"), notNewline, any("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ space")),
                // Windows-1252 encodings of 'à', 'á' and of U+00A0 itself
                rule(any("Ã"), any("\u00a0¡")),
                rule(lowerAscii, optionalSpace, any("ÃÂ"), any("space")),
                new Rule(new Step[] {any("ÃÂ"), any("space")}, true),
                // Â before a character where it encodes exactly that character
                rule(any("abcdefghijklmnopqrstuvwxyz.,?! end_punctuation"), any("Â"), any("space start_punctuation end_punctuation")),
                // Windows-1253 mojibake of the U+2000 block, of Latin-1 and of Greek
                rule(any("β"), any("€"), any("™\u00a0Ά\u00ad®°")),
                rule(greekPair, any("c1 bad start_punctuation end_punctuation currency °"), greekPair),
                // Windows-1257 mojibake of the U+2000 block
                literal("ā€"));
    }

    /** A regular-expression character class of the set, for {@link MojibakeRepair}'s patterns. */
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
}
