package jclip.clip.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-to-unicode mapping of GPT-2/CLIP byte-level BPE ({@code bytes_to_unicode}): the 188
 * printable bytes {@code !..~}, {@code ¡..¬}, {@code ®..ÿ} stand for themselves, the other 68
 * bytes, in increasing order, for U+0100, U+0101, .... Also UTF-8 decoding with Python's
 * {@code errors="replace"} rules. Package-private.
 */
final class ByteLevel {
    /** Byte (0..255) to its symbol character. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** Symbol character (below 0x144) to its byte, -1 where none. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];
    /** The 256 symbols in the order of the original vocabulary (printable bytes first). */
    static final char[] VOCAB_ORDER = new char[256];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int k = 0;
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        for (int b = 0; b < 256; b++) {
            if (printable[b]) {
                BYTE_TO_CHAR[b] = (char) b;
                VOCAB_ORDER[k++] = (char) b;
            }
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable[b]) {
                BYTE_TO_CHAR[b] = (char) (256 + extra++);
                VOCAB_ORDER[k++] = BYTE_TO_CHAR[b];
            }
        }
        for (int b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
    }

    private ByteLevel() {}

    /** The UTF-8 bytes of a pre-token as symbol characters. */
    static String encode(String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The byte a symbol character stands for, or -1. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * {@code bytes.decode('utf-8', errors='replace')}: each maximal ill-formed subpart becomes one
     * U+FFFD, as Python (and the Unicode standard's recommended practice) does it.
     */
    static String decodeUtf8(byte[] b, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) lo = 0xA0;
                else if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) lo = 0x90;
                else if (b0 == 0xF4) hi = 0x8F;
            } else {
                out.append('\ufffd');
                i++;
                continue;
            }
            int cp = b0 & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= length) {
                    ok = false;
                    break;
                }
                int bk = b[j] & 0xFF;
                int l = k == 0 ? lo : 0x80;
                int h = k == 0 ? hi : 0xBF;
                if (bk < l || bk > h) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
            }
            if (ok) {
                out.appendCodePoint(cp);
            } else {
                out.append('\ufffd');
            }
            i = j;
        }
        return out.toString();
    }
}
