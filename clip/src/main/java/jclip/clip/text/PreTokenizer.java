package jclip.clip.text;

import java.util.ArrayList;
import java.util.List;

/**
 * The pre-tokeniser of the original CLIP tokenizer: {@code regex.findall} of
 * <pre>{@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}</pre>
 * with {@code IGNORECASE}, as a hand-written scanner over code points with the {@code regex}
 * module's character classes ({@link UnicodeTables}). Under {@code IGNORECASE} that module matches
 * U+0345 (combining ypogegrammeni, which case-folds to a Greek letter) with none of the classes, so
 * it is skipped like white space; and the literal {@code s} also matches U+017F (long s).
 * Package-private.
 */
final class PreTokenizer {
    static final String START = "<|startoftext|>";
    static final String END = "<|endoftext|>";
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

    private PreTokenizer() {}

    /** The pre-tokens of an already cleaned text, in order. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int i = 0;
        outer:
        while (i < n) {
            char c = text.charAt(i);
            if (c == '<') {
                int m = matchLiteral(text, i, START);
                if (m < 0) m = matchLiteral(text, i, END);
                if (m >= 0) {
                    out.add(text.substring(i, m));
                    i = m;
                    continue;
                }
            } else if (c == '\'') {
                for (String k : CONTRACTIONS) {
                    int m = matchLiteral(text, i, k);
                    if (m >= 0) {
                        out.add(text.substring(i, m));
                        i = m;
                        continue outer;
                    }
                }
            }
            int cp = text.codePointAt(i);
            int j = i + Character.charCount(cp);
            if (UnicodeTables.isLetter(cp)) {
                while (j < n) {
                    int d = text.codePointAt(j);
                    if (!UnicodeTables.isLetter(d)) break;
                    j += Character.charCount(d);
                }
                out.add(text.substring(i, j));
            } else if (UnicodeTables.isNumber(cp)) {
                out.add(text.substring(i, j));
            } else if (isOther(cp)) {
                while (j < n) {
                    int d = text.codePointAt(j);
                    if (!isOther(d)) break;
                    j += Character.charCount(d);
                }
                out.add(text.substring(i, j));
            }
            i = j;
        }
        return out;
    }

    /** {@code [^\s\p{L}\p{N}]} under IGNORECASE. */
    private static boolean isOther(int cp) {
        return cp != 0x345 && !UnicodeTables.isRegexSpace(cp) && !UnicodeTables.isLetter(cp) && !UnicodeTables.isNumber(cp);
    }

    /** The end of a case-insensitive match of the ASCII literal at i, or -1. */
    private static int matchLiteral(String text, int i, String literal) {
        int n = literal.length();
        if (i + n > text.length()) return -1;
        for (int k = 0; k < n; k++) {
            char t = text.charAt(i + k);
            char l = literal.charAt(k);
            if (t == l) continue;
            if (l >= 'a' && l <= 'z' && (t == l - 32 || (l == 's' && t == '\u017f'))) continue;
            return -1;
        }
        return i + n;
    }
}
