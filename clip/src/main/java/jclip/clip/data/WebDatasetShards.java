package jclip.clip.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * WebDataset-style tar shards, streamed without extracting: consecutive members sharing a key
 * (the member path up to the first dot of its file name) form a sample; {@code key.jpg},
 * {@code key.jpeg} or {@code key.png} is the image, {@code key.txt} the caption (UTF-8, trimmed),
 * and an optional {@code key.cls} an integer label; other members are ignored. Shards ending in
 * {@code .gz} or {@code .tgz} are gunzipped on the fly.
 *
 * <p>Order per (seed, epoch): the shard list in a seeded permutation (unless
 * {@link #shuffleShards(boolean) turned off}), then the samples through a seeded shuffle buffer
 * as webdataset's {@code shuffle(n)}: each new sample goes into the buffer and, once it holds n,
 * a uniformly chosen one comes out; the rest come out in random order at the end. A buffer of
 * 0 or 1 keeps the stream order.
 *
 * <p>A sample without an image or caption (or with an empty one), a shard that cannot be opened
 * and a shard that is truncated or corrupt come out as bad examples naming the shard and key (or
 * byte offset); the stream goes on with the next sample or shard. Only the iterator's thread reads the shards;
 * images are decoded later, by the loader's workers.
 */
public final class WebDatasetShards implements ImageTextSource {
    private static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png");

    private final List<Path> shards;
    private final int shuffleBuffer;
    private final boolean shuffleShards;
    private final long size;

    private WebDatasetShards(List<Path> shards, int shuffleBuffer, boolean shuffleShards, long size) {
        if (shards.isEmpty()) throw new IllegalArgumentException("no shards");
        if (shuffleBuffer < 0) throw new IllegalArgumentException("shuffle buffer < 0: " + shuffleBuffer);
        this.shards = List.copyOf(shards);
        this.shuffleBuffer = shuffleBuffer;
        this.shuffleShards = shuffleShards;
        this.size = size;
    }

    /** The shards in this order, shuffled per epoch with a buffer of 1000 samples. */
    public static WebDatasetShards of(List<Path> shards) {
        return new WebDatasetShards(shards, 1000, true, -1);
    }

    /**
     * Shards named by a pattern with brace expansion, {@code data/shard-{000..009}.tar} (numeric
     * ranges keep zero padding) or {@code {a,b}} lists; several patterns may be joined with
     * {@code ::} as in open_clip.
     */
    public static WebDatasetShards pattern(String pattern) {
        List<Path> paths = new ArrayList<>();
        for (String part : pattern.split("::")) for (String s : expandBraces(part)) paths.add(Path.of(s));
        return of(paths);
    }

    /** The same shards with a different sample shuffle buffer (0 or 1: no sample shuffling). */
    public WebDatasetShards shuffleBuffer(int samples) {
        return new WebDatasetShards(shards, samples, shuffleShards, size);
    }

    /** The same shards, their order shuffled per epoch or kept. */
    public WebDatasetShards shuffleShards(boolean shuffle) {
        return new WebDatasetShards(shards, shuffleBuffer, shuffle, size);
    }

    /** The same shards with a declared number of samples (for schedules); {@link #size()} reports it. */
    public WebDatasetShards withSize(long samples) {
        return new WebDatasetShards(shards, shuffleBuffer, shuffleShards, samples);
    }

    public List<Path> shards() {
        return shards;
    }

    @Override
    public String describe() {
        return "webdataset " + shards.size() + " shard(s) " + (shards.size() <= 3 ? shards.toString() : "[" + shards.get(0) + ", ...]")
                + ", shuffle buffer " + shuffleBuffer + (size >= 0 ? ", " + size + " samples" : "");
    }

    @Override
    public long size() {
        return size;
    }

    /** Brace expansion as the braceexpand package: "a{0..2}b" → a0b, a1b, a2b; "{x,y}" → x, y; nested and repeated braces. */
    public static List<String> expandBraces(String pattern) {
        int open = pattern.indexOf('{');
        if (open < 0) return List.of(pattern);
        int depth = 0, close = -1;
        for (int i = open; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) {
                close = i;
                break;
            }
        }
        if (close < 0) throw new IllegalArgumentException("unbalanced braces in " + pattern);
        String head = pattern.substring(0, open), body = pattern.substring(open + 1, close), tail = pattern.substring(close + 1);
        List<String> alternatives = new ArrayList<>();
        Matcher m = Pattern.compile("(-?\\d+)\\.\\.(-?\\d+)").matcher(body);
        if (m.matches()) {
            String a = m.group(1), b = m.group(2);
            long from = Long.parseLong(a), to = Long.parseLong(b);
            boolean pad = (a.length() > 1 && a.startsWith("0")) || (b.length() > 1 && b.startsWith("0"));
            int width = pad ? Math.max(a.length(), b.length()) : 0;
            long step = from <= to ? 1 : -1;
            for (long v = from; ; v += step) {
                alternatives.add(width > 0 ? String.format("%0" + width + "d", v) : Long.toString(v));
                if (v == to) break;
            }
        } else {
            int d = 0, start = 0;
            for (int i = 0; i <= body.length(); i++) {
                char c = i < body.length() ? body.charAt(i) : ',';
                if (c == '{') d++;
                else if (c == '}') d--;
                else if (c == ',' && d == 0) {
                    alternatives.addAll(expandBraces(body.substring(start, i)));
                    start = i + 1;
                }
            }
        }
        List<String> out = new ArrayList<>();
        List<String> tails = expandBraces(tail);
        for (String alt : alternatives) for (String t : tails) out.add(head + alt + t);
        return out;
    }

    @Override
    public Iterator<Example> examples(long seed, int epoch) {
        List<Path> order = new ArrayList<>(shards);
        if (shuffleShards) {
            int[] p = Seeds.permutation(order.size(), seed, epoch, 0x54A2D5L);
            for (int i = 0; i < p.length; i++) order.set(i, shards.get(p[i]));
        }
        SampleStream stream = new SampleStream(order);
        if (shuffleBuffer <= 1) return stream;
        return new ShuffleBuffer(stream, shuffleBuffer, Seeds.random(seed, epoch, 0x5A3B1EL));
    }

    /** The samples of the shards in order; an {@link AutoCloseable} iterator. */
    private static final class SampleStream implements Iterator<Example>, AutoCloseable {
        private final Iterator<Path> shards;
        private final Deque<Example> ready = new ArrayDeque<>();
        private TarReader reader;
        private String shardName;
        private String key;
        private Map<String, byte[]> members = new LinkedHashMap<>();
        private List<String> duplicates = new ArrayList<>();

        SampleStream(List<Path> shards) {
            this.shards = shards.iterator();
        }

        @Override
        public boolean hasNext() {
            while (ready.isEmpty()) {
                if (!advance()) return false;
            }
            return true;
        }

        @Override
        public Example next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.poll();
        }

        /** Reads until at least one example is ready or everything is read; false at the end. */
        private boolean advance() {
            if (reader == null) {
                if (!shards.hasNext()) return false;
                Path shard = shards.next();
                shardName = shard.toString();
                try {
                    InputStream in = new BufferedInputStream(Files.newInputStream(shard), 1 << 16);
                    String n = shard.getFileName().toString();
                    if (n.endsWith(".gz") || n.endsWith(".tgz")) in = new GZIPInputStream(in, 1 << 16);
                    reader = new TarReader(in, shardName);
                } catch (java.nio.file.NoSuchFileException e) {
                    ready.add(Example.bad(shardName, "no such shard"));
                } catch (IOException e) {
                    ready.add(Example.bad(shardName, "cannot open shard: " + (e.getMessage() != null ? e.getMessage() : e)));
                }
                return true;
            }
            TarReader.Entry e;
            try {
                e = reader.next();
            } catch (IOException ex) {
                flush();
                ready.add(Example.bad(shardName + " @" + reader.position(), "shard unreadable from here on: " + ex.getMessage()));
                closeReader();
                return true;
            }
            if (e == null) {
                flush();
                closeReader();
                return true;
            }
            String name = e.name();
            int slash = name.lastIndexOf('/');
            int dot = name.indexOf('.', slash + 1);
            if (dot <= slash + 1) return true; // no extension, or a dot file: not part of a sample (as webdataset)
            String k = name.substring(0, dot), ext = name.substring(dot + 1).toLowerCase();
            if (!k.equals(key)) {
                flush();
                key = k;
            }
            if (members.putIfAbsent(ext, e.data()) != null) duplicates.add(ext);
            return true;
        }

        /** Turns the pending sample into an example. */
        private void flush() {
            if (key == null) return;
            String origin = shardName + ":" + key;
            byte[] image = null;
            for (String ext : IMAGE_EXTENSIONS) {
                image = members.get(ext);
                if (image != null) break;
            }
            byte[] text = members.get("txt");
            String caption = text == null ? null : new String(text, StandardCharsets.UTF_8).strip();
            int label = -1;
            String problem = null;
            if (!duplicates.isEmpty()) problem = "duplicate member(s) " + duplicates;
            else if (image == null) problem = "no image (.jpg, .jpeg or .png) in the sample; members " + members.keySet();
            else if (caption == null) problem = "no caption (.txt) in the sample; members " + members.keySet();
            else if (caption.isEmpty()) problem = "empty caption (" + key + ".txt)";
            else if (members.containsKey("cls")) {
                String s = new String(members.get("cls"), StandardCharsets.UTF_8).strip();
                try {
                    label = Integer.parseInt(s);
                } catch (NumberFormatException ex) {
                    problem = "bad .cls label '" + s + "'";
                }
            }
            if (problem != null) {
                ready.add(Example.bad(origin, problem));
            } else {
                byte[] bytes = image;
                ready.add(new Example(origin, () -> Images.decode(bytes), caption, label));
            }
            key = null;
            members = new LinkedHashMap<>();
            duplicates = new ArrayList<>();
        }

        private void closeReader() {
            try {
                reader.close();
            } catch (IOException ignored) {
                // reading is over; nothing to report
            }
            reader = null;
        }

        @Override
        public void close() {
            if (reader != null) closeReader();
        }
    }

    /** webdataset's shuffle(n), seeded. */
    private static final class ShuffleBuffer implements Iterator<Example>, AutoCloseable {
        private final SampleStream source;
        private final int capacity;
        private final SplittableRandom rng;
        private final List<Example> buffer = new ArrayList<>();

        ShuffleBuffer(SampleStream source, int capacity, SplittableRandom rng) {
            this.source = source;
            this.capacity = capacity;
            this.rng = rng;
        }

        @Override
        public boolean hasNext() {
            while (buffer.size() < capacity && source.hasNext()) buffer.add(source.next());
            return !buffer.isEmpty();
        }

        @Override
        public Example next() {
            if (!hasNext()) throw new NoSuchElementException();
            int k = rng.nextInt(buffer.size());
            Example e = buffer.get(k);
            buffer.set(k, buffer.get(buffer.size() - 1));
            buffer.remove(buffer.size() - 1);
            return e;
        }

        @Override
        public void close() {
            source.close();
        }
    }
}
