package jclip.clip.data;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A text file decoded as UTF-8 one line at a time, so that bytes which are not UTF-8 (a table
 * saved as Latin-1, a truncated character) spoil only their own line: such a line is decoded
 * with replacement characters and remembered with the place of its first bad byte. One strict
 * decoding of the whole file would fail with only "Input length = 1", naming neither file nor
 * line. Lines end at {@code \n}, {@code \r\n} or a lone {@code \r}, counted as
 * {@link CsvImageFolder}'s parser counts them; a byte order mark at the start is dropped.
 */
record Utf8Lines(String text, Map<Integer, String> badLines) {
    static Utf8Lines decode(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        Map<Integer, String> bad = new HashMap<>();
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder(); // reports malformed input
        int start = 0, line = 1;
        for (int i = 0; i <= bytes.length; i++) {
            boolean end = i == bytes.length;
            if (!end && bytes[i] != '\n' && !(bytes[i] == '\r' && (i + 1 == bytes.length || bytes[i + 1] != '\n'))) continue;
            int length = (end ? i : i + 1) - start;
            if (length == 0) break;
            ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
            CharBuffer out = CharBuffer.allocate(length); // UTF-8 never gives more chars than bytes
            CoderResult r = strict.reset().decode(in, out, true);
            if (!r.isError()) r = strict.flush(out);
            if (r.isError()) {
                int at = in.position();
                bad.put(line, String.format("byte 0x%02X at column %d of line %d is not UTF-8 (save the table as UTF-8)",
                        bytes[at] & 0xFF, at - start + 1, line));
                text.append(new String(bytes, start, length, StandardCharsets.UTF_8));
            } else {
                text.append(out.flip());
            }
            start += length;
            line++;
        }
        if (text.length() > 0 && text.charAt(0) == '\uFEFF') text.deleteCharAt(0);
        return new Utf8Lines(text.toString(), bad);
    }

    /** What is wrong with lines first..last, or null when they are all UTF-8. */
    String problem(int first, int last) {
        for (int l = first; l <= last; l++) if (badLines.containsKey(l)) return badLines.get(l);
        return null;
    }
}
