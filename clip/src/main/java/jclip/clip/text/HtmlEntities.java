package jclip.clip.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTML character references decoded the way Python does it: {@link #unescape} is
 * {@code html.unescape} (HTML5 rules: the full named-reference table, names without a semicolon
 * where the standard allows them, longest-prefix matching, numeric references with the Windows-1252
 * repair table and the invalid code point rules), {@link #unescapeStrict} is ftfy's
 * {@code unescape_html} (only {@code &name;} forms with a semicolon, plus all-caps variants such
 * as {@code &EACUTE;}). Package-private: part of {@link TextCleaner}.
 */
final class HtmlEntities {
    /** Name as in Python's html.entities.html5 (with or without the ';') to replacement. */
    private static final Map<String, String> HTML5 = new HashMap<>(4096);
    /** ftfy's HTML_ENTITIES: "&name;" (and "&NAME;" all-caps variants) to replacement. */
    private static final Map<String, String> FTFY = new HashMap<>(4096);
    private static final int MAX_NAME = 32;

    /** Python's html._invalid_charrefs for 0x80..0x9F (the Windows-1252 repair table). */
    static final char[] CP1252_C1 = {
        '\u20ac', '\u0081', '\u201a', '\u0192', '\u201e', '\u2026', '\u2020', '\u2021',
        '\u02c6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008d', '\u017d', '\u008f',
        '\u0090', '\u2018', '\u2019', '\u201c', '\u201d', '\u2022', '\u2013', '\u2014',
        '\u02dc', '\u2122', '\u0161', '\u203a', '\u0153', '\u009d', '\u017e', '\u0178',
    };

    static {
        List<String> semicolonNames = new ArrayList<>();
        try (InputStream in = HtmlEntities.class.getResourceAsStream("html5-entities.txt")) {
            if (in == null) throw new IllegalStateException("resource jclip/clip/html5-entities.txt is missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty() || line.charAt(0) == '#') continue;
                int tab = line.indexOf('\t');
                String name = line.substring(0, tab);
                StringBuilder value = new StringBuilder(2);
                for (String hex : line.substring(tab + 1).split(" ")) value.appendCodePoint(Integer.parseInt(hex, 16));
                HTML5.put(name, value.toString());
                if (name.endsWith(";")) semicolonNames.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // ftfy.chardata._build_html_entities
        for (String name : semicolonNames) {
            String value = HTML5.get(name);
            FTFY.put("&" + name, value);
            if (name.equals(name.toLowerCase(Locale.ROOT))) {
                String upper = "&" + name.toUpperCase(Locale.ROOT);
                if (unescape(upper).equals(upper)) FTFY.put(upper, value.toUpperCase(Locale.ROOT));
            }
        }
    }

    private HtmlEntities() {}

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHexDigit(char c) {
        return isAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isNameChar(int c) {
        return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
    }

    /** Python's {@code html.unescape}. */
    static String unescape(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) return s;
        int n = s.length();
        StringBuilder out = new StringBuilder(n);
        out.append(s, 0, amp);
        int i = amp;
        while (i < n) {
            char c = s.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int end = matchCharref(s, i);
            if (end < 0) {
                out.append('&');
                i++;
                continue;
            }
            out.append(replaceCharref(s.substring(i + 1, end)));
            i = end;
        }
        return out.toString();
    }

    /**
     * The end of the match of {@code &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)} at
     * {@code i} (which holds '&'), or -1.
     */
    private static int matchCharref(String s, int i) {
        int n = s.length();
        int j = i + 1;
        if (j >= n) return -1;
        if (s.charAt(j) == '#') {
            int k = j + 1;
            while (k < n && isAsciiDigit(s.charAt(k))) k++;
            if (k > j + 1) return k < n && s.charAt(k) == ';' ? k + 1 : k;
            if (j + 1 < n && (s.charAt(j + 1) == 'x' || s.charAt(j + 1) == 'X')) {
                k = j + 2;
                while (k < n && isHexDigit(s.charAt(k))) k++;
                if (k > j + 2) return k < n && s.charAt(k) == ';' ? k + 1 : k;
            }
            return -1;
        }
        int k = j;
        int count = 0;
        while (k < n && count < MAX_NAME) {
            int cp = s.codePointAt(k);
            if (!isNameChar(cp)) break;
            k += Character.charCount(cp);
            count++;
        }
        if (count == 0) return -1;
        return k < n && s.charAt(k) == ';' ? k + 1 : k;
    }

    /** html._replace_charref for the text after the '&'. */
    private static String replaceCharref(String s) {
        if (s.charAt(0) == '#') {
            boolean hex = s.charAt(1) == 'x' || s.charAt(1) == 'X';
            int start = hex ? 2 : 1;
            int end = s.endsWith(";") ? s.length() - 1 : s.length();
            long num = 0;
            for (int k = start; k < end; k++) {
                num = num * (hex ? 16 : 10) + Character.digit(s.charAt(k), 16);
                if (num > 0x10FFFF) {
                    num = 0x110000; // saturate: all larger values behave alike
                }
            }
            int cp = (int) num;
            if (cp == 0) return "\ufffd";
            if (cp == 0x0d) return "\r";
            if (cp >= 0x80 && cp <= 0x9F) return String.valueOf(CP1252_C1[cp - 0x80]);
            if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return "\ufffd";
            if (isInvalidCodepoint(cp)) return "";
            return new String(Character.toChars(cp));
        }
        String v = HTML5.get(s);
        if (v != null) return v;
        // the longest prefix (of at least 2 code points) that is a name
        int[] offsets = s.codePoints().toArray();
        int len = offsets.length;
        int[] charIndex = new int[len + 1];
        for (int k = 0, ci = 0; k < len; k++) {
            charIndex[k] = ci;
            ci += Character.charCount(offsets[k]);
            charIndex[k + 1] = ci;
        }
        for (int x = len - 1; x > 1; x--) {
            String prefix = s.substring(0, charIndex[x]);
            v = HTML5.get(prefix);
            if (v != null) return v + s.substring(charIndex[x]);
        }
        return "&" + s;
    }

    /** html._invalid_codepoints (0x80..0x9F never get here). */
    private static boolean isInvalidCodepoint(int cp) {
        return (cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F)
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }

    private static boolean isAsciiAlnum(char c) {
        return isAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** ftfy's {@code unescape_html}: replaces matches of {@code &#?[0-9A-Za-z]{1,24};}. */
    static String unescapeStrict(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) return s;
        int n = s.length();
        StringBuilder out = new StringBuilder(n);
        out.append(s, 0, amp);
        int i = amp;
        while (i < n) {
            char c = s.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int j = i + 1;
            boolean numeric = j < n && s.charAt(j) == '#';
            if (numeric) j++;
            int k = j;
            while (k < n && isAsciiAlnum(s.charAt(k))) k++;
            int run = k - j;
            if (run < 1 || run > 24 || k >= n || s.charAt(k) != ';') {
                out.append('&');
                i++;
                continue;
            }
            String entity = s.substring(i, k + 1);
            String v = FTFY.get(entity);
            if (v != null) {
                out.append(v);
            } else if (numeric) {
                String u = unescape(entity);
                out.append(u.indexOf(';') >= 0 ? entity : u);
            } else {
                out.append(entity);
            }
            i = k + 1;
        }
        return out.toString();
    }
}
