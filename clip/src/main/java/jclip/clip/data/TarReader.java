package jclip.clip.data;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A streaming reader of tar archives (POSIX ustar, with GNU long names and pax {@code path} and
 * {@code size} records): 512-byte headers, octal (or GNU base-256) sizes, data padded to 512
 * bytes. Regular files come out one at a time with their contents in memory; directories, links
 * and other entries are skipped. Header checksums are verified. A stream ending inside a header
 * or a file's data is an {@link EOFException} naming the archive and offset; a stream ending on a
 * block boundary without the end-of-archive blocks is taken as the end.
 */
final class TarReader implements Closeable {
    /** A regular file: its path inside the archive, contents and header offset. */
    record Entry(String name, byte[] data, long offset) {}

    private static final int BLOCK = 512;

    private final InputStream in;
    private final String archive;
    private final byte[] header = new byte[BLOCK];
    private long position;
    private boolean done;

    TarReader(InputStream in, String archive) {
        this.in = in;
        this.archive = archive;
    }

    /** Bytes consumed so far. */
    long position() {
        return position;
    }

    /** The next regular file, or null at the end of the archive. */
    Entry next() throws IOException {
        String longName = null, paxPath = null;
        long paxSize = -1;
        while (!done) {
            long at = position;
            int got = readUpTo(header, BLOCK);
            if (got == 0) {
                done = true;
                return null;
            }
            if (got < BLOCK) throw new EOFException(archive + ": truncated tar header at byte " + at);
            if (allZero(header)) {
                done = true;
                return null;
            }
            verifyChecksum(at);
            char type = (char) header[156];
            long size = paxSize >= 0 ? paxSize : parseSize(at);
            if (size < 0 || size > Integer.MAX_VALUE - 16)
                throw new IOException(archive + ": tar entry at byte " + at + " has unsupported size " + size);
            byte[] data = readData((int) size, at);
            switch (type) {
                case 'L' -> longName = cString(data, 0, data.length);
                case 'x' -> {
                    String[] p = parsePax(data, at);
                    if (p[0] != null) paxPath = p[0];
                    if (p[1] != null) paxSize = Long.parseLong(p[1]);
                }
                case '0', '\0', '7' -> {
                    String name = paxPath != null ? paxPath : longName != null ? longName : ustarName();
                    return new Entry(name, data, at);
                }
                default -> {
                    // directory, link, global pax header, ...: skipped, and they end any pending long name
                    if (type != 'g') {
                        longName = null;
                        paxPath = null;
                        paxSize = -1;
                    }
                }
            }
        }
        return null;
    }

    private byte[] readData(int size, long at) throws IOException {
        byte[] data = new byte[size];
        if (readUpTo(data, size) < size)
            throw new EOFException(archive + ": truncated tar entry at byte " + at + " (" + size + " bytes of data expected)");
        int pad = (BLOCK - size % BLOCK) % BLOCK;
        if (pad > 0) {
            byte[] skip = new byte[pad];
            if (readUpTo(skip, pad) < pad) throw new EOFException(archive + ": truncated tar padding after the entry at byte " + at);
        }
        return data;
    }

    private int readUpTo(byte[] b, int n) throws IOException {
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) break;
            off += r;
        }
        position += off;
        return off;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private void verifyChecksum(long at) throws IOException {
        long stored = parseOctal(header, 148, 8);
        long unsigned = 0, signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int v = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += v & 255;
            signed += v;
        }
        if (stored != unsigned && stored != signed)
            throw new IOException(archive + ": bad tar header checksum at byte " + at + " (not a tar file, or corrupt)");
    }

    private long parseSize(long at) throws IOException {
        if ((header[124] & 0x80) != 0) { // GNU base-256
            long v = header[124] & 0x7F;
            for (int i = 125; i < 136; i++) v = (v << 8) | (header[i] & 255);
            return v;
        }
        long v = parseOctal(header, 124, 12);
        if (v < 0) throw new IOException(archive + ": bad size field in the tar header at byte " + at);
        return v;
    }

    /** Octal digits, leading spaces and trailing NULs or spaces allowed; -1 if malformed. */
    static long parseOctal(byte[] b, int off, int len) {
        int i = off, end = off + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            if (b[i] == 0 && i == off) return 0; // empty field
            i++;
        }
        long v = 0;
        boolean any = false;
        for (; i < end; i++) {
            byte c = b[i];
            if (c == 0 || c == ' ') break;
            if (c < '0' || c > '7') return -1;
            v = (v << 3) | (c - '0');
            any = true;
        }
        return any ? v : 0;
    }

    private String ustarName() {
        String name = cString(header, 0, 100);
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r';
        if (ustar && header[263] == '0') { // POSIX "ustar\0" "00": the prefix field is a path prefix
            String prefix = cString(header, 345, 155);
            if (!prefix.isEmpty()) return prefix + "/" + name;
        }
        return name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** {path, size} from pax records "LEN key=value\n". */
    private String[] parsePax(byte[] data, long at) throws IOException {
        String[] out = new String[2];
        int i = 0;
        while (i < data.length) {
            int sp = i;
            while (sp < data.length && data[sp] != ' ') sp++;
            int len;
            try {
                len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException(archive + ": bad pax header at byte " + at);
            }
            if (len <= 0 || i + len > data.length) throw new IOException(archive + ": bad pax record length at byte " + at);
            String rec = new String(data, sp + 1, i + len - sp - 2, StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            if (eq > 0) {
                String key = rec.substring(0, eq), value = rec.substring(eq + 1);
                if (key.equals("path")) out[0] = value;
                else if (key.equals("size")) out[1] = value;
            }
            i += len;
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
