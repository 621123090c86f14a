package jclip.clip.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a POSIX ustar archive of regular files, for making WebDataset shards
 * ({@code key.jpg}, {@code key.txt}, ...) that {@link WebDatasetShards} and GNU tar read. Names
 * up to 100 bytes, or up to 256 when they can be split at a '/' into ustar's prefix and name.
 */
public final class TarWriter implements Closeable {
    private final OutputStream out;
    private long mtime = 0;
    private boolean closed;

    /** Writes to the stream (buffer it); {@link #close()} ends the archive and closes the stream. */
    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /** Adds a regular file with mode 0644. */
    public void add(String name, byte[] data) throws IOException {
        byte[] h = new byte[512];
        byte[] full = name.getBytes(StandardCharsets.UTF_8);
        String prefix = "", base = name;
        if (full.length > 100) {
            int cut = -1;
            for (int i = name.length() - 1; i > 0; i--) {
                if (name.charAt(i) == '/' && name.substring(i + 1).getBytes(StandardCharsets.UTF_8).length <= 100
                        && name.substring(0, i).getBytes(StandardCharsets.UTF_8).length <= 155) {
                    cut = i;
                    break;
                }
            }
            if (cut < 0) throw new IllegalArgumentException("tar name too long for ustar: " + name);
            prefix = name.substring(0, cut);
            base = name.substring(cut + 1);
        }
        put(h, 0, base.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, data.length);
        octal(h, 136, 12, mtime);
        h[156] = '0';
        put(h, 257, "ustar".getBytes(StandardCharsets.US_ASCII));
        h[263] = '0';
        h[264] = '0';
        put(h, 345, prefix.getBytes(StandardCharsets.UTF_8));
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 255;
        octal(h, 148, 7, sum);
        h[155] = ' ';
        out.write(h);
        out.write(data);
        int pad = (512 - data.length % 512) % 512;
        out.write(new byte[pad]);
    }

    /** Adds a UTF-8 text file. */
    public void add(String name, String text) throws IOException {
        add(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void put(byte[] h, int off, byte[] b) {
        System.arraycopy(b, 0, h, off, b.length);
    }

    /** len-1 zero-padded octal digits and a NUL. */
    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        if (s.length() > len - 1) throw new IllegalArgumentException("value too large for a tar field: " + v);
        s = "0".repeat(len - 1 - s.length()) + s;
        put(h, off, s.getBytes(StandardCharsets.US_ASCII));
        h[off + len - 1] = 0;
    }

    /** Writes the two zero blocks that end the archive and closes the stream. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        out.write(new byte[1024]);
        out.close();
    }
}
