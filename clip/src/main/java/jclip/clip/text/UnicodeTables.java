package jclip.clip.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The character classes and case mapping that the original CLIP tokenizer gets from Python: the
 * {@code regex} module's {@code \p{L}}, {@code \p{N}} and {@code \s}, {@code str.isspace()} (for
 * {@code strip()}) and {@code str.lower()}.
 *
 * <p>Java 17 knows Unicode 13; the Python side is newer, so the letter and number classes come
 * from the resource {@code unicode-tables.txt} (generated from the {@code regex} module) and
 * {@code lower} patches the few case pairs Java lacks. Package-private: an implementation detail of
 * {@link ClipTokenizer}.
 */
final class UnicodeTables {
    /** Per BMP code point: bit 1 = letter, bit 2 = number. */
    private static final byte[] BMP = new byte[0x10000];
    private static final int LETTER = 1;
    private static final int NUMBER = 2;
    /** Supplementary-plane ranges, [start0, end0, start1, end1, ...] sorted. */
    private static final int[] SUPP_LETTERS;
    private static final int[] SUPP_NUMBERS;
    /** Sorted code points that Python lower-cases and Java does not, with their lower case. */
    private static final int[] LOWER_FROM;
    private static final int[] LOWER_TO;
    /** Ranges of Cased (not Case_Ignorable) and of Case_Ignorable code points, for final sigma. */
    private static final int[] CASED;
    private static final int[] IGNORABLE;

    static {
        int[] sl = new int[64];
        int nsl = 0;
        int[] sn = new int[64];
        int nsn = 0;
        int[] lf = new int[16];
        int[] lt = new int[16];
        int nl = 0;
        int[][] caseRanges = {new int[64], new int[64]};
        int[] ncr = new int[2];
        try (InputStream in = UnicodeTables.class.getResourceAsStream("unicode-tables.txt")) {
            if (in == null) throw new IllegalStateException("resource jclip/clip/unicode-tables.txt is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty() || line.charAt(0) == '#') continue;
                String[] p = line.split(" ");
                int a = Integer.parseInt(p[1], 16);
                int b = Integer.parseInt(p[2], 16);
                switch (p[0]) {
                    case "L":
                    case "N": {
                        boolean letter = p[0].equals("L");
                        for (int c = a; c <= Math.min(b, 0xFFFF); c++) BMP[c] |= letter ? LETTER : NUMBER;
                        if (b > 0xFFFF) {
                            int lo = Math.max(a, 0x10000);
                            if (letter) {
                                if (nsl + 2 > sl.length) sl = Arrays.copyOf(sl, sl.length * 2);
                                sl[nsl++] = lo;
                                sl[nsl++] = b;
                            } else {
                                if (nsn + 2 > sn.length) sn = Arrays.copyOf(sn, sn.length * 2);
                                sn[nsn++] = lo;
                                sn[nsn++] = b;
                            }
                        }
                        break;
                    }
                    case "lower":
                        if (nl == lf.length) {
                            lf = Arrays.copyOf(lf, nl * 2);
                            lt = Arrays.copyOf(lt, nl * 2);
                        }
                        lf[nl] = a;
                        lt[nl] = b;
                        nl++;
                        break;
                    case "cased":
                    case "ignorable": {
                        int w = p[0].equals("cased") ? 0 : 1;
                        if (ncr[w] + 2 > caseRanges[w].length) caseRanges[w] = Arrays.copyOf(caseRanges[w], caseRanges[w].length * 2);
                        caseRanges[w][ncr[w]++] = a;
                        caseRanges[w][ncr[w]++] = b;
                        break;
                    }
                    default:
                        throw new IllegalStateException("bad line in unicode-tables.txt: " + line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SUPP_LETTERS = Arrays.copyOf(sl, nsl);
        SUPP_NUMBERS = Arrays.copyOf(sn, nsn);
        LOWER_FROM = Arrays.copyOf(lf, nl);
        LOWER_TO = Arrays.copyOf(lt, nl);
        CASED = Arrays.copyOf(caseRanges[0], ncr[0]);
        IGNORABLE = Arrays.copyOf(caseRanges[1], ncr[1]);
    }

    private UnicodeTables() {}

    private static boolean inRanges(int[] ranges, int cp) {
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    /** {@code \p{L}} of the Python {@code regex} module. */
    static boolean isLetter(int cp) {
        if (cp < 0x10000) return (BMP[cp] & LETTER) != 0;
        return inRanges(SUPP_LETTERS, cp);
    }

    /** {@code \p{N}} of the Python {@code regex} module. */
    static boolean isNumber(int cp) {
        if (cp < 0x10000) return (BMP[cp] & NUMBER) != 0;
        return inRanges(SUPP_NUMBERS, cp);
    }

    /** {@code \s} of the Python {@code regex} module: the Unicode White_Space property. */
    static boolean isRegexSpace(int c) {
        if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
        if (c < 0x85) return false;
        return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028
                || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    /** Python's {@code str.isspace()}: White_Space plus the separators U+001C..U+001F. */
    static boolean isPythonSpace(int c) {
        return isRegexSpace(c) || (c >= 0x1C && c <= 0x1F);
    }

    /** Python's {@code str.strip()} (no arguments). */
    static String pythonStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) start++;
        while (end > start && isPythonSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /**
     * Python's {@code str.lower()}: full case mapping (U+0130 becomes "i\u0307"), Python's newer
     * case pairs, and Python's final-sigma rule: a capital sigma becomes the final form when a cased
     * character precedes it and none follows it, case-ignorable characters skipped both ways (Java's
     * own rule looks only within word boundaries, so "ΟΔΟΣ42" would differ).
     */
    static String pythonLower(String s) {
        boolean plain = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\u03a3' || c >= 0x2C2F) {
                plain = false;
                break;
            }
        }
        if (plain) return s.toLowerCase(Locale.ROOT); // no sigma, nothing newer than Java's tables
        StringBuilder sb = new StringBuilder(s.length() + 4);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (cp == 0x3A3) {
                sb.append(isFinalSigma(s, i) ? '\u03c2' : '\u03c3');
            } else if (cp == 0x130) {
                sb.append("i\u0307");
            } else {
                int k = Arrays.binarySearch(LOWER_FROM, cp);
                sb.appendCodePoint(k >= 0 ? LOWER_TO[k] : Character.toLowerCase(cp));
            }
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static boolean isFinalSigma(String s, int i) {
        int j = i;
        int c = -1;
        while (j > 0) {
            c = s.codePointBefore(j);
            j -= Character.charCount(c);
            if (!inRanges(IGNORABLE, c)) break;
            c = -1;
        }
        if (c < 0 || !inRanges(CASED, c)) return false;
        j = i + 1;
        while (j < s.length()) {
            c = s.codePointAt(j);
            j += Character.charCount(c);
            if (!inRanges(IGNORABLE, c)) return !inRanges(CASED, c);
        }
        return true;
    }
}
