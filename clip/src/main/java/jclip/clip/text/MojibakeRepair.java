package jclip.clip.text;

import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy's mojibake repair ({@code ftfy.fix_encoding} with default settings, ftfy 6.3.1): text that
 * was UTF-8 but got decoded with a single-byte code page, such as {@code "cafÃ©"} for
 * {@code "café"}, is encoded back with that code page and decoded as UTF-8.
 *
 * <p>One step, repeated until the text stops changing:
 * <ol>
 *   <li>ASCII text, and text that {@link MojibakeHeuristic} does not find bad, stay as they are.
 *   <li>The first code page of {@link SingleByteEncoding#MOJIBAKE_CANDIDATES} that can encode the
 *       whole text and whose bytes are then (variant) UTF-8 wins. Before decoding, spaces that look
 *       like a lost byte A0 inside a UTF-8 sequence are put back ({@code restore_byte_a0}; not for
 *       MacRoman, where "en dash, space" would match), and for the sloppy code pages, sequences in
 *       which a decoder had already put U+FFFD for a byte become one U+FFFD
 *       ({@code replace_lossy_sequences}).
 *   <li>Otherwise, runs that look like UTF-8 mojibake inside text that as a whole does not decode
 *       are repaired one by one, each as a text of its own ({@code decode_inconsistent_utf8}).
 *   <li>Otherwise, C1 controls become their Windows-1252 characters ({@code fix_c1_controls};
 *       the five that Windows-1252 leaves undefined stay).
 * </ol>
 * Package-private: part of {@link TextCleaner}.
 */
final class MojibakeRepair {
    private MojibakeRepair() {}

    // --- byte-level repairs, on byte strings (chars 0..255) ---

    /**
     * UTF-8 sequences that would be complete if one space were byte A0 (a no-break space that some
     * program turned into a plain space). Lead bytes are limited to those whose completed
     * characters are likely (à, Š, Π, Р, Arabic digits, the U+2000 and U+3000 blocks, emoji), so
     * that spaces next to ordinary accented letters are left alone.
     */
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9] "
            + "|[\\xe2\\xe3] [\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
            + "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf] "
            + "|\\xf0 [\\x80-\\xbf][\\x80-\\xbf]"
            + "|\\xf0[\\x80-\\xbf] [\\x80-\\xbf]"
            + "|\\xf0[\\x80-\\xbf][\\x80-\\xbf] ");

    /**
     * "Ã " that stands for "à " (the word à, whose UTF-8 C3 A0 lost its A0 next to a real space):
     * the A0 goes back and the space stays. Not before a second space, nor in Portuguese "àquele",
     * "àquela", "àquilo", "às", where the space itself was the A0 (ALTERED_UTF8 then restores it).
     */
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xc3 (?! |quele|quela|quilo|s )");

    /**
     * UTF-8 sequences in which a decoder had replaced bytes with U+FFFD (byte 1A in the sloppy code
     * pages) or, at most once per sequence, with '?'; also CESU-8 pairs so damaged, and a lone 1A.
     */
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xc2-\\xdf]\\x1a"
            + "|[\\xc2-\\xc3]\\?"
            + "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
            + "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
            + "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]"
            + "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
            + "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
            + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
            + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]"
            + "|\\x1a");

    /** U+FFFD in UTF-8, as a byte string. */
    private static final String REPLACEMENT_UTF8 = "\u00ef\u00bf\u00bd";

    static String restoreByteA0(String bytes) {
        String s = A_GRAVE_WORD.matcher(bytes).replaceAll("\u00c3\u00a0 ");
        return ALTERED_UTF8.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group().replace(' ', '\u00a0')));
    }

    static String replaceLossySequences(String bytes) {
        return LOSSY_UTF8.matcher(bytes).replaceAll(REPLACEMENT_UTF8);
    }

    // --- runs of UTF-8 mojibake inside other text ---

    /**
     * A run of characters that could each be a byte of a UTF-8 sequence read with one of
     * {@link SingleByteEncoding#CLUE_ENCODINGS}: a lead byte of a 2-, 3- or 4-byte sequence followed
     * by that many continuation bytes, repeated; not right after a character that is itself most
     * likely a continuation byte (repairing the tail of a long garble would make it worse).
     */
    private static final Pattern UTF8_RUN = utf8RunPattern();

    private static Pattern utf8RunPattern() {
        BitSet firstOf2 = clueChars(0xC2, 0xDF);
        BitSet firstOf3 = clueChars(0xE0, 0xEF);
        // lead bytes F1..F3 and F4 start code points that are unassigned or private use; only F0 and
        // F3 (tag characters of emoji flags) occur in practice
        BitSet firstOf4 = clueChars(0xF0, 0xF0);
        firstOf4.or(clueChars(0xF3, 0xF3));
        BitSet continuation = clueChars(0x80, 0xBF);
        // a space may stand for the byte A0 (see restoreByteA0)
        continuation.set(' ');
        // characters that, next to mojibake, usually stand for themselves: the space, dashes, curly
        // quotes, the bullet and the ellipsis
        BitSet strictContinuation = (BitSet) continuation.clone();
        for (char c : " \u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026".toCharArray()) {
            strictContinuation.clear(c);
        }
        String cont = MojibakeHeuristic.charClass(continuation);
        return Pattern.compile("(?<!" + MojibakeHeuristic.charClass(strictContinuation) + ")(?:"
                + MojibakeHeuristic.charClass(firstOf2) + cont
                + "|" + MojibakeHeuristic.charClass(firstOf3) + cont + "{2}"
                + "|" + MojibakeHeuristic.charClass(firstOf4) + cont + "{3})+");
    }

    /** The characters that bytes lo..hi decode to in any of the clue code pages. */
    private static BitSet clueChars(int lo, int hi) {
        BitSet set = new BitSet();
        for (SingleByteEncoding e : SingleByteEncoding.CLUE_ENCODINGS) {
            for (int b = lo; b <= hi; b++) {
                char c = e.decode(b);
                if (c != SingleByteEncoding.NO_CHAR) set.set(c);
            }
        }
        return set;
    }

    static String decodeInconsistentUtf8(String text) {
        return UTF8_RUN.matcher(text).replaceAll(m -> {
            String run = m.group();
            // a run that is the whole text was already tried as a whole, and failed
            boolean fix = run.length() < text.length() && MojibakeHeuristic.isBad(run);
            return Matcher.quoteReplacement(fix ? fixEncoding(run) : run);
        });
    }

    // --- the repair ---

    /** ftfy.fix_encoding: repeats {@link #fixOnce} until the text stops changing. */
    static String fixEncoding(String text) {
        while (true) {
            String fixed = fixOnce(text);
            if (fixed.equals(text)) return fixed;
            text = fixed;
        }
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) >= 0x80) return false;
        return true;
    }

    private static boolean hasC1(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) return true;
        }
        return false;
    }

    static String fixOnce(String text) {
        if (text.isEmpty() || isAscii(text) || !MojibakeHeuristic.isBad(text)) return text;
        for (SingleByteEncoding encoding : SingleByteEncoding.MOJIBAKE_CANDIDATES) {
            if (!encoding.canEncode(text)) continue;
            String bytes = encoding.encode(text);
            if (encoding != SingleByteEncoding.MAC_ROMAN && ALTERED_UTF8.matcher(bytes).find()) {
                bytes = restoreByteA0(bytes);
            }
            if (encoding.sloppy) bytes = replaceLossySequences(bytes);
            String decoded = Utf8Variants.decode(bytes);
            if (decoded != null) return decoded;
        }
        if (UTF8_RUN.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) return fixed;
        }
        // What is left of C1 controls becomes Windows-1252. ftfy has two branches here: Latin-1 text
        // re-decoded as strict Windows-1252, and otherwise each C1 control mapped on its own (sloppy,
        // the five undefined ones kept). Its test meant to spare text that is both Latin-1 and
        // Windows-1252 looks for "windows-1252" among names that say "sloppy-windows-1252" and never
        // passes, and the strict branch fails exactly where the sloppy one keeps characters, so both
        // come to this.
        if (hasC1(text)) return TextCleaner.fixC1Controls(text);
        return text;
    }
}
