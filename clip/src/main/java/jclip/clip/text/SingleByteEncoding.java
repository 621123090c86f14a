package jclip.clip.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A single-byte code page as ftfy uses it to undo mojibake: text that can be written in the code
 * page is turned back into the bytes it was decoded from, to be decoded again as UTF-8.
 *
 * <p>Bytes are carried as a "byte string", a {@code String} whose chars are 0..255, so that ftfy's
 * byte-level regular expressions can be written as {@code java.util.regex} patterns.
 *
 * <p>The tables come from the JDK's own charsets; all ten agree with Python's codecs byte for byte
 * (checked when this class was written, by decoding all 256 bytes with both). A "sloppy" code page
 * is ftfy's variant of a Windows code page: bytes the code page leaves undefined decode as their
 * Latin-1 characters (so that no text is lost), and byte 0x1A stands for U+FFFD, so that text in
 * which a decoder already replaced bytes with U+FFFD can still be encoded. Package-private: part of
 * {@link MojibakeRepair}.
 */
final class SingleByteEncoding {
    final String name;
    /** Whether this is one of ftfy's "sloppy" Windows code pages. */
    final boolean sloppy;
    /** Byte to char; {@code NO_CHAR} where the (strict) code page leaves the byte undefined. */
    private final char[] decode = new char[256];
    private final Map<Character, Character> encode = new HashMap<>(512);
    static final char NO_CHAR = '\uffff';

    static final SingleByteEncoding LATIN_1 = strict("latin-1", "ISO-8859-1");
    static final SingleByteEncoding MAC_ROMAN = strict("macroman", "x-MacRoman");

    /**
     * The code pages ftfy tries, in its order (ftfy.chardata.CHARMAP_ENCODINGS): the first one that
     * can encode the text and whose bytes then decode as UTF-8 wins.
     */
    static final List<SingleByteEncoding> MOJIBAKE_CANDIDATES = List.of(
            LATIN_1,
            sloppy("windows-1252"),
            sloppy("windows-1251"),
            sloppy("windows-1250"),
            sloppy("windows-1253"),
            sloppy("windows-1254"),
            sloppy("windows-1257"),
            strict("iso-8859-2", "ISO-8859-2"),
            MAC_ROMAN,
            strict("cp437", "IBM437"));

    /**
     * The code pages whose characters ftfy's detector of embedded UTF-8 mojibake looks for (the
     * strict Windows ones: an undefined byte is no clue).
     */
    static final List<SingleByteEncoding> CLUE_ENCODINGS = List.of(
            LATIN_1,
            strict("windows-1252", "windows-1252"),
            strict("windows-1251", "windows-1251"),
            strict("windows-1250", "windows-1250"),
            strict("windows-1253", "windows-1253"),
            strict("windows-1254", "windows-1254"),
            strict("windows-1257", "windows-1257"));

    private SingleByteEncoding(String name, boolean sloppy, Charset charset) {
        this.name = name;
        this.sloppy = sloppy;
        CharsetDecoder decoder = charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int b = 0; b < 256; b++) {
            char c;
            try {
                CharBuffer out = decoder.reset().decode(ByteBuffer.wrap(new byte[] {(byte) b}));
                c = out.get(0);
            } catch (CharacterCodingException e) {
                c = sloppy ? (char) b : NO_CHAR;
            }
            decode[b] = c;
        }
        if (sloppy) decode[0x1A] = '\ufffd';
        for (int b = 0; b < 256; b++) {
            if (decode[b] != NO_CHAR) encode.put(decode[b], (char) b);
        }
    }

    private static SingleByteEncoding strict(String name, String charset) {
        return new SingleByteEncoding(name, false, Charset.forName(charset));
    }

    private static SingleByteEncoding sloppy(String windowsCodePage) {
        return new SingleByteEncoding("sloppy-" + windowsCodePage, true, Charset.forName(windowsCodePage));
    }

    /** The char byte b decodes to, or {@link #NO_CHAR}. */
    char decode(int b) {
        return decode[b];
    }

    /** Whether every char of text is one this code page can write (ftfy's possible_encoding). */
    boolean canEncode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            // ASCII is the same in every one of these code pages, except 0x1A in the sloppy ones
            if ((c >= 0x80 || c == 0x1A) && !encode.containsKey(c)) return false;
        }
        return true;
    }

    /** The bytes of text in this code page, as a byte string; text must pass {@link #canEncode}. */
    String encode(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c < 0x80 && c != 0x1A ? c : encode.get(c));
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return name;
    }
}
