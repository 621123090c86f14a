package jclip.clip.text;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.zip.GZIPOutputStream;

/**
 * Learns byte-level BPE merges from captions, for a {@link ClipTokenizer} with a vocabulary of
 * one's own: the texts are cleaned and pre-tokenised exactly as {@link ClipTokenizer#encode} does,
 * each pre-token's UTF-8 bytes become byte symbols with {@code </w>} on the last, and the most
 * frequent adjacent pair (counted over all pre-tokens, with multiplicity) is merged, again and
 * again. Ties go to the pair whose left symbol, then right symbol, is smallest as a string, so the
 * same captions always give the same merges. Pair counts are kept up to date incrementally (only the
 * words holding the merged pair are revisited), with a priority queue of candidates.
 *
 * <p>{@link #writeMergesFile} writes the merges in the format of the original
 * {@code bpe_simple_vocab_16e6.txt}, which {@link ClipTokenizer#load} reads back: a vocabulary of
 * 512 byte symbols, the merges, then {@code <|startoftext|>} and {@code <|endoftext|>}.
 */
public final class BpeTrainer {
    /** The header line {@link #writeMergesFile} writes (the loader skips the first line). */
    public static final String HEADER = "#version: 0.2";

    private BpeTrainer() {}

    /**
     * Learns up to numMerges merges (fewer when no adjacent pair is left).
     *
     * @param captions the training texts
     * @param numMerges the number of merges wanted (at most {@link ClipTokenizer#ORIGINAL_MERGE_LIMIT}
     *     are read back by {@link ClipTokenizer#load(Path)})
     * @return the merges in rank order, each {left symbol, right symbol}
     */
    public static List<String[]> learnMerges(Iterable<String> captions, int numMerges) {
        return learnMerges(captions, numMerges, 1);
    }

    /**
     * Learns up to numMerges merges, stopping early when the most frequent pair occurs fewer than
     * minFrequency times.
     *
     * @param captions the training texts
     * @param numMerges the number of merges wanted
     * @param minFrequency the least count of a pair worth merging (at least 1)
     * @return the merges in rank order, each {left symbol, right symbol}
     */
    public static List<String[]> learnMerges(Iterable<String> captions, int numMerges, int minFrequency) {
        if (numMerges < 0) throw new IllegalArgumentException("numMerges " + numMerges + " < 0");
        if (minFrequency < 1) throw new IllegalArgumentException("minFrequency " + minFrequency + " < 1");

        Map<String, long[]> counts = new HashMap<>();
        for (String caption : captions) {
            for (String piece : PreTokenizer.split(TextCleaner.clean(caption))) {
                if (piece.equals(PreTokenizer.START) || piece.equals(PreTokenizer.END)) continue;
                counts.computeIfAbsent(piece, k -> new long[1])[0]++;
            }
        }
        // sorted, so that everything below runs in one fixed order
        Map<String, long[]> sorted = new LinkedHashMap<>(counts.size() * 2);
        counts.keySet().stream().sorted().forEach(k -> sorted.put(k, counts.get(k)));
        return new Run(sorted).learn(numMerges, minFrequency);
    }

    /** The state of one training run. */
    private static final class Run {
        final List<String> symbols = new ArrayList<>();
        final Map<String, Integer> symbolIndex = new HashMap<>();
        final int[][] words;
        final long[] freq;
        final Map<Long, long[]> pairCount = new HashMap<>();
        final Map<Long, IntList> where = new HashMap<>();
        final PriorityQueue<Candidate> queue;
        final int[] stamp;
        int step;

        Run(Map<String, long[]> counts) {
            int[] byteSym = new int[256];
            int[] byteEndSym = new int[256];
            for (int b = 0; b < 256; b++) byteSym[b] = intern(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
            for (int b = 0; b < 256; b++) byteEndSym[b] = intern(ByteLevel.BYTE_TO_CHAR[b] + "</w>");
            words = new int[counts.size()][];
            freq = new long[counts.size()];
            stamp = new int[counts.size()];
            int w = 0;
            for (Map.Entry<String, long[]> e : counts.entrySet()) {
                byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
                int[] syms = new int[bytes.length];
                for (int k = 0; k < bytes.length; k++)
                    syms[k] = (k == bytes.length - 1 ? byteEndSym : byteSym)[bytes[k] & 0xFF];
                words[w] = syms;
                freq[w] = e.getValue()[0];
                for (int k = 0; k + 1 < syms.length; k++) {
                    long key = key(syms[k], syms[k + 1]);
                    pairCount.computeIfAbsent(key, x -> new long[1])[0] += freq[w];
                    where.computeIfAbsent(key, x -> new IntList()).add(w);
                }
                w++;
            }
            queue = new PriorityQueue<>(Math.max(16, pairCount.size()), this::compare);
            for (Map.Entry<Long, long[]> e : pairCount.entrySet()) queue.add(new Candidate(e.getKey(), e.getValue()[0]));
        }

        int intern(String s) {
            Integer i = symbolIndex.get(s);
            if (i != null) return i;
            symbolIndex.put(s, symbols.size());
            symbols.add(s);
            return symbols.size() - 1;
        }

        static long key(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }

        /** Higher count first; then the smaller left symbol string, then the smaller right one. */
        int compare(Candidate x, Candidate y) {
            if (x.count != y.count) return Long.compare(y.count, x.count);
            int c = symbols.get((int) (x.key >>> 32)).compareTo(symbols.get((int) (y.key >>> 32)));
            if (c != 0) return c;
            return symbols.get((int) x.key).compareTo(symbols.get((int) y.key));
        }

        List<String[]> learn(int numMerges, int minFrequency) {
            List<String[]> merges = new ArrayList<>(numMerges);
            while (merges.size() < numMerges) {
                Candidate best = queue.poll();
                if (best == null) break;
                long[] current = pairCount.get(best.key);
                if (current == null || current[0] != best.count) continue; // stale entry
                if (best.count < minFrequency) break;
                int a = (int) (best.key >>> 32);
                int b = (int) best.key;
                String left = symbols.get(a);
                String right = symbols.get(b);
                merges.add(new String[] {left, right});
                merge(best.key, a, b, intern(left + right));
            }
            return merges;
        }

        /** Replaces (a, b) by c in every word that holds it, updating counts and candidates. */
        void merge(long pair, int a, int b, int c) {
            step++;
            Map<Long, long[]> delta = new HashMap<>();
            IntList list = where.remove(pair);
            if (list == null) list = new IntList();
            for (int i = 0; i < list.size; i++) {
                int w = list.items[i];
                if (stamp[w] == step) continue;
                stamp[w] = step;
                int[] old = words[w];
                int[] neu = new int[old.length];
                int n = 0;
                for (int k = 0; k < old.length; ) {
                    if (old[k] == a && k + 1 < old.length && old[k + 1] == b) {
                        neu[n++] = c;
                        k += 2;
                    } else {
                        neu[n++] = old[k++];
                    }
                }
                if (n == old.length) continue; // a stale entry: the pair is no longer in this word
                neu = Arrays.copyOf(neu, n);
                words[w] = neu;
                long f = freq[w];
                for (int k = 0; k + 1 < old.length; k++) delta.computeIfAbsent(key(old[k], old[k + 1]), x -> new long[1])[0] -= f;
                for (int k = 0; k + 1 < n; k++) {
                    long key = key(neu[k], neu[k + 1]);
                    delta.computeIfAbsent(key, x -> new long[1])[0] += f;
                    if (neu[k] == c || neu[k + 1] == c) where.computeIfAbsent(key, x -> new IntList()).add(w);
                }
            }
            for (Map.Entry<Long, long[]> e : delta.entrySet()) {
                long d = e.getValue()[0];
                if (d == 0) continue;
                long[] cnt = pairCount.computeIfAbsent(e.getKey(), x -> new long[1]);
                cnt[0] += d;
                if (cnt[0] <= 0) pairCount.remove(e.getKey());
                else queue.add(new Candidate(e.getKey(), cnt[0]));
            }
            pairCount.remove(pair);
        }
    }

    private static final class Candidate {
        final long key;
        final long count;

        Candidate(long key, long count) {
            this.key = key;
            this.count = count;
        }
    }

    private static final class IntList {
        int[] items = new int[4];
        int size;

        void add(int v) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = v;
        }
    }

    /**
     * Writes merges in the format of the original merges file: the {@link #HEADER} line, then one
     * "left right" line per merge, UTF-8, gzip-compressed when the file name ends in {@code .gz}.
     *
     * @param path the file to write (its parent folder must exist)
     * @param merges the merges in rank order
     * @throws IllegalArgumentException if a merge is not two non-empty symbols without white space
     * @throws UncheckedIOException if the file cannot be written
     */
    public static void writeMergesFile(Path path, List<String[]> merges) {
        for (int i = 0; i < merges.size(); i++) {
            String[] m = merges.get(i);
            if (m.length != 2 || !isSymbol(m[0]) || !isSymbol(m[1]))
                throw new IllegalArgumentException("merge " + i + " is not two symbols: " + Arrays.toString(m));
        }
        boolean gzip = path.getFileName().toString().endsWith(".gz");
        try (OutputStream file = Files.newOutputStream(path);
                OutputStream out = gzip ? new GZIPOutputStream(file, 1 << 16) : file;
                Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16)) {
            w.write(HEADER);
            w.write('\n');
            for (String[] m : merges) {
                w.write(m[0]);
                w.write(' ');
                w.write(m[1]);
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private static boolean isSymbol(String s) {
        if (s == null || s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (UnicodeTables.isPythonSpace(s.charAt(i))) return false;
        return true;
    }
}
