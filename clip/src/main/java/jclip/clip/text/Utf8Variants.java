package jclip.clip.text;

/**
 * Decoding a byte string (chars 0..255, see {@link SingleByteEncoding}) as UTF-8 the way ftfy's
 * mojibake repair does: strictly (Python's {@code utf-8} codec: no overlong forms, no encoded
 * surrogates, nothing above U+10FFFF), plus the two variants of ftfy's {@code utf-8-variants}
 * codec: CESU-8, where a supplementary character is written as its two UTF-16 surrogates of three
 * bytes each, and "Java modified UTF-8", where U+0000 is written C0 80. Both turn up in mojibake of
 * text that went through Java or old MySQL. Without bytes ED or C0 the variants cannot apply and the
 * result is plain UTF-8, which is why ftfy can choose between its two codecs by those bytes and we
 * need not. Package-private: part of {@link MojibakeRepair}.
 */
final class Utf8Variants {
    private Utf8Variants() {}

    private static boolean isContinuation(int b) {
        return b >= 0x80 && b <= 0xBF;
    }

    /** The decoded text, or null where the bytes are not (variant) UTF-8. */
    static String decode(String bytes) {
        int n = bytes.length();
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            int b0 = bytes.charAt(i);
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            if (b0 == 0xC0 && i + 1 < n && bytes.charAt(i + 1) == 0x80) {
                out.append('\u0000');
                i += 2;
                continue;
            }
            if (b0 == 0xED && isCesu8Pair(bytes, i)) {
                int cp = 0x10000 + ((bytes.charAt(i + 1) & 0x0F) << 16) + ((bytes.charAt(i + 2) & 0x3F) << 10)
                        + ((bytes.charAt(i + 4) & 0x0F) << 6) + (bytes.charAt(i + 5) & 0x3F);
                out.appendCodePoint(cp);
                i += 6;
                continue;
            }
            int length;
            int cp;
            int lo = 0x80;
            int hi = 0xBF; // the allowed range of the second byte, which rules out overlong forms and surrogates
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                length = 2;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                length = 3;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                length = 4;
                cp = b0 & 0x07;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                return null;
            }
            if (i + length > n) return null;
            int b1 = bytes.charAt(i + 1);
            if (b1 < lo || b1 > hi) return null;
            cp = (cp << 6) | (b1 & 0x3F);
            for (int k = 2; k < length; k++) {
                int b = bytes.charAt(i + k);
                if (!isContinuation(b)) return null;
                cp = (cp << 6) | (b & 0x3F);
            }
            out.appendCodePoint(cp);
            i += length;
        }
        return out.toString();
    }

    /**
     * Whether the six bytes at i are a CESU-8 surrogate pair: ED A0-AF 80-BF ED B0-BF 80-BF. ftfy's
     * pattern also accepts a line feed as the sixth byte where it ends the input (its regular
     * expression's {@code $} matches before a final newline); we keep that quirk.
     */
    private static boolean isCesu8Pair(String bytes, int i) {
        int n = bytes.length();
        if (i + 6 > n) return false;
        int b1 = bytes.charAt(i + 1);
        int b2 = bytes.charAt(i + 2);
        int b3 = bytes.charAt(i + 3);
        int b4 = bytes.charAt(i + 4);
        int b5 = bytes.charAt(i + 5);
        boolean lastOk = isContinuation(b5) || (b5 == '\n' && i + 6 == n);
        return b1 >= 0xA0 && b1 <= 0xAF && isContinuation(b2) && b3 == 0xED && b4 >= 0xB0 && b4 <= 0xBF && lastOk;
    }
}
