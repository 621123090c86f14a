package jclip.clip.text;

import java.text.Normalizer;

/**
 * The text cleaning of the original CLIP tokenizer:
 * {@code whitespace_clean(basic_clean(text)).lower()}, that is {@code ftfy.fix_text}, then
 * {@code html.unescape} twice, {@code strip()}, every run of {@code \s} to one space,
 * {@code strip()}, and {@code lower()}.
 *
 * <p>{@code ftfy.fix_text} is reproduced with ftfy 6.3.1's default settings, every step: the text is
 * fixed line by line (and in pieces of at most a million code points); on each piece, until nothing
 * changes: HTML entities with a semicolon (also all-caps ones such as {@code &EACUTE;}), unless the
 * text contains {@code <} (from the first line that does on); the mojibake repair
 * ({@link MojibakeRepair}: re-decoding text that was UTF-8 read with a single-byte code page, with
 * its byte A0 restoration, lossy-sequence replacement, repair of embedded runs and C1 controls);
 * C1 control characters read as Windows-1252; Latin ligatures; full- and half-width forms; curly
 * quotes to straight ones; line breaks; lone surrogates; ANSI terminal escapes; control characters;
 * NFC. Checked against the original on the cases of {@code ftfy-cases.json} (TextCleanerTest).
 * Package-private.
 */
final class TextCleaner {
    private static final String[] WIDTH = new String[0xFFF0 - 0xFF01];

    static {
        for (int c = 0xFF01; c < 0xFFF0; c++) {
            String s = String.valueOf((char) c);
            String alt = Normalizer.normalize(s, Normalizer.Form.NFKC);
            if (!alt.equals(s)) WIDTH[c - 0xFF01] = alt;
        }
    }

    private TextCleaner() {}

    /** The cleaned, lower-cased text that the pre-tokeniser splits. */
    static String clean(String text) {
        String t = needsFixing(text) ? fixText(text) : text;
        t = HtmlEntities.unescape(HtmlEntities.unescape(t));
        t = UnicodeTables.pythonStrip(t);
        t = collapseWhitespace(t);
        t = UnicodeTables.pythonStrip(t);
        return UnicodeTables.pythonLower(t);
    }

    /** False where fix_text certainly leaves the text as it is (printable ASCII, tab, newline, no '&'). */
    private static boolean needsFixing(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n') || c > 0x7E || c == '&') return true;
        }
        return false;
    }

    /** {@code re.sub(r'\s+', ' ', text)} with the {@code regex} module's {@code \s}. */
    static String collapseWhitespace(String s) {
        StringBuilder out = null;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (UnicodeTables.isRegexSpace(c)) {
                int j = i + 1;
                while (j < n && UnicodeTables.isRegexSpace(s.charAt(j))) j++;
                if (out == null) {
                    if (c == ' ' && j == i + 1) continue; // a single space stays as it is
                    out = new StringBuilder(n);
                    out.append(s, 0, i);
                }
                out.append(' ');
                i = j - 1;
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** ftfy bounds the pieces it fixes at once (max_decode_length), in code points. */
    private static final int MAX_PIECE = 1_000_000;

    /** {@code ftfy.fix_text} with default settings. */
    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int nl = text.indexOf('\n', pos);
            int end = nl < 0 ? n : nl + 1;
            if (end - pos > MAX_PIECE && text.codePointCount(pos, end) > MAX_PIECE) {
                end = text.offsetByCodePoints(pos, MAX_PIECE);
            }
            String segment = text.substring(pos, end);
            if (unescapeHtml && segment.indexOf('<') >= 0) unescapeHtml = false;
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    private static String fixSegment(String text, boolean unescapeHtml) {
        while (true) {
            String orig = text;
            if (unescapeHtml) text = HtmlEntities.unescapeStrict(text);
            text = MojibakeRepair.fixEncoding(text);
            text = fixC1Controls(text);
            text = fixLatinLigatures(text);
            text = fixCharacterWidth(text);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = removeTerminalEscapes(text);
            text = removeControlChars(text);
            if (!Normalizer.isNormalized(text, Normalizer.Form.NFC)) text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(orig)) return text;
        }
    }

    /** Builds a copy from index i on, when a first change is found at i. */
    private static StringBuilder startCopy(StringBuilder out, String s, int i) {
        if (out != null) return out;
        StringBuilder b = new StringBuilder(s.length() + 8);
        b.append(s, 0, i);
        return b;
    }

    static String fixC1Controls(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                out = startCopy(out, s, i);
                out.append(HtmlEntities.CP1252_C1[c - 0x80]);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private static String ligature(char c) {
        switch (c) {
            case '\u0132': return "IJ";
            case '\u0133': return "ij";
            case '\u0149': return "\u02bcn";
            case '\u01f1': return "DZ";
            case '\u01f2': return "Dz";
            case '\u01f3': return "dz";
            case '\u01c4': return "D\u017d";
            case '\u01c5': return "D\u017e";
            case '\u01c6': return "d\u017e";
            case '\u01c7': return "LJ";
            case '\u01c8': return "Lj";
            case '\u01c9': return "lj";
            case '\u01ca': return "NJ";
            case '\u01cb': return "Nj";
            case '\u01cc': return "nj";
            case '\ufb00': return "ff";
            case '\ufb01': return "fi";
            case '\ufb02': return "fl";
            case '\ufb03': return "ffi";
            case '\ufb04': return "ffl";
            case '\ufb05': return "\u017ft";
            case '\ufb06': return "st";
            default: return null;
        }
    }

    static String fixLatinLigatures(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String r = c < 0x132 ? null : ligature(c);
            if (r != null) {
                out = startCopy(out, s, i);
                out.append(r);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    static String fixCharacterWidth(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String r = c == 0x3000 ? " " : (c >= 0xFF01 && c < 0xFFF0 ? WIDTH[c - 0xFF01] : null);
            if (r != null) {
                out = startCopy(out, s, i);
                out.append(r);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    static String uncurlQuotes(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            char r = c == 0x02BC || (c >= 0x2018 && c <= 0x201B) ? '\'' : (c >= 0x201C && c <= 0x201F ? '"' : 0);
            if (r != 0) {
                out = startCopy(out, s, i);
                out.append(r);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    static String fixLineBreaks(String s) {
        return s.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n').replace('\u0085', '\n');
    }

    static String fixSurrogates(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    if (out != null) out.append(c).append(s.charAt(i + 1));
                    i++;
                    continue;
                }
                lone = true;
            } else if (Character.isLowSurrogate(c)) {
                lone = true;
            }
            if (lone) {
                out = startCopy(out, s, i);
                out.append('\ufffd');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** Removes matches of {@code \033\[((?:\d|;)*)([a-zA-Z])} (Python's Unicode {@code \d}). */
    static String removeTerminalEscapes(String s) {
        int esc = s.indexOf('\033');
        if (esc < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        out.append(s, 0, esc);
        int i = esc;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\033' && i + 1 < n && s.charAt(i + 1) == '[') {
                int k = i + 2;
                while (k < n) {
                    int cp = s.codePointAt(k);
                    if (cp == ';' || Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER) k += Character.charCount(cp);
                    else break;
                }
                if (k < n && ((s.charAt(k) >= 'a' && s.charAt(k) <= 'z') || (s.charAt(k) >= 'A' && s.charAt(k) <= 'Z'))) {
                    i = k + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    private static boolean isRemovedControl(char c) {
        return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F)
                || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    }

    static String removeControlChars(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isRemovedControl(c)) {
                out = startCopy(out, s, i);
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
