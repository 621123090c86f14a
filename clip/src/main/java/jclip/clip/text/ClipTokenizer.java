package jclip.clip.text;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;
import jclip.tensor.Tensor;

/**
 * The CLIP byte-level BPE tokenizer, reproducing the original openai/CLIP
 * {@code simple_tokenizer.py} and {@code clip.tokenize}.
 *
 * <p>Encoding: the text is cleaned ({@code ftfy.fix_text} with ftfy's default settings, HTML
 * entities decoded twice, white space collapsed, stripped, lower-cased), split by the original
 * pre-tokenisation pattern ({@code <|startoftext|>}, {@code <|endoftext|>}, contractions, runs of
 * letters, single digits, runs of other non-space characters), each piece's UTF-8 bytes are mapped
 * to symbol characters, the last symbol gets {@code </w>}, and the merges are applied by rank
 * until none applies. The vocabulary of {@link #load} is the original's: the 256 byte symbols, the
 * same with {@code </w>}, the merges joined, then {@code <|startoftext|>} and {@code <|endoftext|>}
 * (49,408 ids for the original merges file).
 *
 * <p>ftfy 6.3.1's default fixes (mojibake repair included, see {@code TextCleaner}), Python's
 * {@code html.unescape}, {@code str.lower()} and the {@code regex} module's character classes are
 * reproduced, the latter two from tables generated with Python (resources
 * {@code unicode-tables.txt}, {@code html5-entities.txt}); what remains different is Java 17's
 * Unicode 13 against Python 3.11's Unicode 14 in NFC and in ftfy's few Unicode-class tests.
 *
 * <p>Instances are immutable and thread-safe; BPE results of pre-tokens are cached (a concurrent
 * map, cleared when it grows past about a million entries).
 */
public final class ClipTokenizer {
    /** CLIP's context length: the text encoder reads 77 tokens. */
    public static final int DEFAULT_CONTEXT_LENGTH = 77;
    /** The original uses only this many merges of its file ({@code 49152 - 256 - 2}). */
    public static final int ORIGINAL_MERGE_LIMIT = 49152 - 256 - 2;

    private static final String END_OF_WORD = "</w>";
    private static final int CACHE_LIMIT = 1 << 20;

    /** Symbol index to symbol string; symbols are interned by string. */
    private final String[] symbols;
    /** Symbol index to token id, -1 where the vocabulary lacks the symbol. */
    private final int[] symbolIds;
    private final int[] byteSymbol = new int[256];
    private final int[] byteEndSymbol = new int[256];
    /** (left symbol, right symbol) to merge rank. */
    private final LongIntMap ranks;
    /** Merge rank to the merged symbol. */
    private final int[] mergeResult;
    /** Token id to token string (null for ids no token has). */
    private final String[] idToToken;
    private final Map<String, Integer> tokenToId;
    private final int startId;
    private final int endId;
    private final int numMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ClipTokenizer(List<String[]> merges, Map<String, Integer> encoder, String[] idToToken, int startId, int endId) {
        Map<String, Integer> intern = new HashMap<>(merges.size() * 2 + 1024);
        List<String> symbolList = new ArrayList<>(merges.size() + 512);
        for (int b = 0; b < 256; b++) byteSymbol[b] = intern(intern, symbolList, String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
        for (int b = 0; b < 256; b++) byteEndSymbol[b] = intern(intern, symbolList, ByteLevel.BYTE_TO_CHAR[b] + END_OF_WORD);
        this.ranks = new LongIntMap(merges.size());
        this.mergeResult = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            int a = intern(intern, symbolList, m[0]);
            int b = intern(intern, symbolList, m[1]);
            mergeResult[r] = intern(intern, symbolList, m[0] + m[1]);
            ranks.put(pairKey(a, b), r); // a repeated pair keeps its last rank, like dict(zip(merges, range))
        }
        this.symbols = symbolList.toArray(new String[0]);
        this.symbolIds = new int[symbols.length];
        for (int s = 0; s < symbols.length; s++) symbolIds[s] = encoder.getOrDefault(symbols[s], -1);
        this.idToToken = idToToken;
        this.tokenToId = encoder;
        this.startId = startId;
        this.endId = endId;
        this.numMerges = merges.size();
    }

    private static int intern(Map<String, Integer> intern, List<String> list, String s) {
        Integer i = intern.get(s);
        if (i != null) return i;
        intern.put(s, list.size());
        list.add(s);
        return list.size() - 1;
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    // ---------------------------------------------------------------------------------------
    // loading

    /**
     * Loads the original CLIP merges file ({@code bpe_simple_vocab_16e6.txt.gz}) or one in the same
     * format: a header line, then one merge ("left right") per line; gzip-compressed or plain text
     * (detected from the content). Like the original, only the first
     * {@link #ORIGINAL_MERGE_LIMIT} lines after the header are used. The vocabulary is the 256 byte
     * symbols, the same with {@code </w>}, the merges joined, {@code <|startoftext|>} and
     * {@code <|endoftext|>}. Blank lines are skipped (the original would add an empty token for each
     * blank line in its range, such as the end of a file of fewer merges, shifting the special ids).
     *
     * @param mergesFile the merges file
     * @return the tokenizer
     * @throws UncheckedIOException if the file cannot be read
     * @throws IllegalArgumentException if the file is empty, is named .gz but is not gzip, or a
     *     merge line does not have two symbols
     */
    public static ClipTokenizer load(Path mergesFile) {
        return load(mergesFile, ORIGINAL_MERGE_LIMIT);
    }

    /**
     * As {@link #load(Path)}, with another limit on the number of merges used (the original's is
     * {@link #ORIGINAL_MERGE_LIMIT}); for merge files of more than that many merges.
     *
     * @param mergesFile the merges file
     * @param maxMerges the most lines to read after the header line
     * @return the tokenizer
     */
    public static ClipTokenizer load(Path mergesFile, int maxMerges) {
        if (maxMerges < 0) throw new IllegalArgumentException("maxMerges " + maxMerges + " < 0");
        List<String[]> merges = new ArrayList<>(Math.min(maxMerges, ORIGINAL_MERGE_LIMIT));
        List<String> lines = readLines(mergesFile, maxMerges + 1L);
        // An empty file would give a tokenizer of bytes only, with ids a model trained on merges never saw.
        if (lines.stream().allMatch(String::isBlank)) throw new IllegalArgumentException(mergesFile + ": empty, not a BPE merges file");
        for (int i = 1; i < lines.size() && merges.size() < maxMerges; i++) {
            String[] m = parseMerge(lines.get(i), mergesFile, i + 1);
            if (m != null) merges.add(m);
        }
        // the original vocabulary list, in order
        List<String> vocab = new ArrayList<>(512 + merges.size() + 2);
        for (char c : ByteLevel.VOCAB_ORDER) vocab.add(String.valueOf(c));
        for (char c : ByteLevel.VOCAB_ORDER) vocab.add(c + END_OF_WORD);
        for (String[] m : merges) vocab.add(m[0] + m[1]);
        vocab.add(PreTokenizer.START);
        vocab.add(PreTokenizer.END);
        Map<String, Integer> encoder = new HashMap<>(vocab.size() * 2);
        for (int i = 0; i < vocab.size(); i++) encoder.put(vocab.get(i), i); // later duplicates win, as in dict(zip(...))
        String[] idToToken = vocab.toArray(new String[0]);
        return new ClipTokenizer(merges, encoder, idToToken, vocab.size() - 2, vocab.size() - 1);
    }

    /**
     * Loads the Hugging Face form of a CLIP tokenizer: {@code vocab.json} (token string to id) and
     * {@code merges.txt} (a {@code #version} header line, then one merge per line). The algorithm is
     * the same as {@link #load}'s; ids come from {@code vocab.json}, every merge in the file is used,
     * and {@link #vocabSize()} is the largest id + 1.
     *
     * @param vocabJson the vocab.json file
     * @param mergesTxt the merges.txt file (plain or gzip)
     * @return the tokenizer
     * @throws UncheckedIOException if a file cannot be read
     * @throws IllegalArgumentException if the files are malformed, lack the special tokens, or a
     *     merge's symbols or result are not in the vocabulary
     */
    public static ClipTokenizer loadHuggingFace(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> encoder = new HashMap<>(1 << 17);
        int maxId = -1;
        try (Reader r = openText(vocabJson)) {
            JsonElement root = JsonParser.parseReader(r);
            if (!root.isJsonObject()) throw new IllegalArgumentException(vocabJson + ": not a JSON object");
            JsonObject obj = root.getAsJsonObject();
            for (Map.Entry<String, JsonElement> e : obj.entrySet()) {
                int id = e.getValue().getAsInt();
                if (id < 0) throw new IllegalArgumentException(vocabJson + ": negative id " + id + " for " + e.getKey());
                encoder.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + vocabJson, e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) throw e;
            throw new IllegalArgumentException(vocabJson + ": not a vocabulary (token to id) JSON object", e);
        }
        String[] idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : encoder.entrySet()) idToToken[e.getValue()] = e.getKey();

        List<String[]> merges = new ArrayList<>(ORIGINAL_MERGE_LIMIT);
        List<String> lines = readLines(mergesTxt, Long.MAX_VALUE);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("#version")) continue;
            String[] m = parseMerge(line, mergesTxt, i + 1);
            if (m == null) continue;
            for (String sym : new String[] {m[0], m[1], m[0] + m[1]}) {
                if (!encoder.containsKey(sym))
                    throw new IllegalArgumentException(mergesTxt + " line " + (i + 1) + ": symbol '" + sym + "' is not in " + vocabJson);
            }
            merges.add(m);
        }
        Integer start = encoder.get(PreTokenizer.START);
        Integer end = encoder.get(PreTokenizer.END);
        if (start == null || end == null)
            throw new IllegalArgumentException(vocabJson + " lacks " + PreTokenizer.START + " or " + PreTokenizer.END);
        return new ClipTokenizer(merges, encoder, idToToken, start, end);
    }

    /**
     * An input stream of a file, gunzipped where it starts with the gzip magic bytes. A file named
     * {@code .gz} without them is refused: read as plain text it would be taken for merges.
     */
    private static InputStream openStream(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            in.mark(2);
            int b0 = in.read();
            int b1 = in.read();
            in.reset();
            boolean gzip = b0 == 0x1F && b1 == 0x8B;
            if (!gzip && file.getFileName().toString().endsWith(".gz"))
                throw new IllegalArgumentException(file + ": named .gz but not gzip-compressed");
            return gzip ? new GZIPInputStream(in, 1 << 16) : in;
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** A reader of a UTF-8 file, gunzipped where it starts with the gzip magic bytes. */
    private static Reader openText(Path file) throws IOException {
        return new InputStreamReader(openStream(file), StandardCharsets.UTF_8);
    }

    /**
     * The first maxLines lines of a UTF-8 file (plain or gzip), split at '\n' only (as Python's
     * split('\n'); a final empty piece is left out); reading stops once they are in.
     */
    private static List<String> readLines(Path file, long maxLines) {
        byte[] buf = new byte[1 << 20];
        int len = 0;
        long newlines = 0;
        try (InputStream in = openStream(file)) {
            while (newlines < maxLines) {
                if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                int r = in.read(buf, len, buf.length - len);
                if (r < 0) break;
                for (int k = len; k < len + r; k++) if (buf[k] == '\n') newlines++;
                len += r;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String text = new String(buf, 0, len, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>((int) Math.min(newlines + 1, 1 << 20));
        int start = 0;
        while (start < text.length() && lines.size() < maxLines) {
            int nl = text.indexOf('\n', start);
            if (nl < 0) nl = text.length();
            lines.add(text.substring(start, nl));
            start = nl + 1;
        }
        return lines;
    }

    /** A merge line split at white space (as Python's str.split()); null for a blank line. */
    private static String[] parseMerge(String line, Path file, int lineNo) {
        int sp = line.indexOf(' ');
        if (sp > 0 && sp < line.length() - 1 && line.indexOf(' ', sp + 1) < 0 && isPlainSymbol(line)) {
            return new String[] {line.substring(0, sp), line.substring(sp + 1)};
        }
        List<String> parts = new ArrayList<>(2);
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && UnicodeTables.isPythonSpace(line.charAt(i))) i++;
            int j = i;
            while (j < n && !UnicodeTables.isPythonSpace(line.charAt(j))) j++;
            if (j > i) parts.add(line.substring(i, j));
            i = j;
        }
        if (parts.isEmpty()) return null;
        if (parts.size() != 2)
            throw new IllegalArgumentException(file + " line " + lineNo + ": a merge needs two symbols: '" + line + "'");
        return parts.toArray(new String[0]);
    }

    /** No white space in the line other than ' '. */
    private static boolean isPlainSymbol(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' && UnicodeTables.isPythonSpace(c)) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------
    // encoding and decoding

    /**
     * The BPE token ids of a text, without start and end tokens ({@code SimpleTokenizer.encode}).
     *
     * @param text any text; {@code <|startoftext|>} and {@code <|endoftext|>} in it become the
     *     special tokens
     * @return the ids
     */
    public int[] encode(String text) {
        String clean = TextCleaner.clean(text);
        List<String> pieces = PreTokenizer.split(clean);
        int[] out = new int[Math.max(16, pieces.size() * 2)];
        int n = 0;
        for (String piece : pieces) {
            int[] ids = bpe(piece);
            if (n + ids.length > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /** The ids of one pre-token (cached). */
    private int[] bpe(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) return cached;
        int[] ids;
        if (piece.equals(PreTokenizer.START)) {
            ids = new int[] {startId};
        } else if (piece.equals(PreTokenizer.END)) {
            ids = new int[] {endId};
        } else {
            ids = bpeUncached(piece);
        }
        if (cache.size() >= CACHE_LIMIT) cache.clear();
        cache.put(piece, ids);
        return ids;
    }

    private int[] bpeUncached(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int len = bytes.length;
        int[] word = new int[len];
        for (int k = 0; k < len - 1; k++) word[k] = byteSymbol[bytes[k] & 0xFF];
        word[len - 1] = byteEndSymbol[bytes[len - 1] & 0xFF];
        while (len > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestAt = -1;
            for (int k = 0; k + 1 < len; k++) {
                int r = ranks.get(pairKey(word[k], word[k + 1]));
                if (r >= 0 && r < bestRank) {
                    bestRank = r;
                    bestAt = k;
                }
            }
            if (bestAt < 0) break;
            // ranks are unique per pair, so the lowest rank names one pair
            int first = word[bestAt];
            int second = word[bestAt + 1];
            int merged = mergeResult[bestRank];
            int w = 0;
            for (int k = 0; k < len; ) {
                if (word[k] == first && k + 1 < len && word[k + 1] == second) {
                    word[w++] = merged;
                    k += 2;
                } else {
                    word[w++] = word[k++];
                }
            }
            len = w;
        }
        int[] ids = new int[len];
        for (int k = 0; k < len; k++) {
            int id = symbolIds[word[k]];
            if (id < 0) throw new IllegalStateException("symbol '" + symbols[word[k]] + "' is not in the vocabulary");
            ids[k] = id;
        }
        return ids;
    }

    /**
     * The BPE token ids of a text as a list (see {@link #encode}).
     *
     * @param text any text
     * @return the ids
     */
    public List<Integer> encodeToList(String text) {
        int[] ids = encode(text);
        List<Integer> out = new ArrayList<>(ids.length);
        for (int id : ids) out.add(id);
        return out;
    }

    /**
     * The text of token ids ({@code SimpleTokenizer.decode}): the tokens joined, mapped back to
     * bytes, decoded as UTF-8 (each invalid sequence becomes U+FFFD), and every {@code </w>}
     * replaced by a space. Start and end tokens come out as {@code <|startoftext|>} and
     * {@code <|endoftext|>}; padding zeros are not skipped (id 0 is "!").
     *
     * @param ids token ids
     * @return the text
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder joined = new StringBuilder(ids.length * 6);
        for (int id : ids) joined.append(token(id));
        byte[] bytes = new byte[joined.length()];
        for (int i = 0; i < joined.length(); i++) {
            int b = ByteLevel.byteOf(joined.charAt(i));
            if (b < 0) throw new IllegalArgumentException("character U+" + Integer.toHexString(joined.charAt(i)) + " of a token is no byte symbol");
            bytes[i] = (byte) b;
        }
        return ByteLevel.decodeUtf8(bytes, bytes.length).replace(END_OF_WORD, " ");
    }

    /**
     * As {@link #decode(int[])}.
     *
     * @param ids token ids
     * @return the text
     */
    public String decode(List<Integer> ids) {
        int[] a = new int[ids.size()];
        for (int i = 0; i < a.length; i++) a[i] = ids.get(i);
        return decode(a);
    }

    /**
     * The token string of an id: byte symbols, possibly ending in {@code </w>}, or a special token.
     *
     * @param id a token id
     * @return its string
     * @throws IllegalArgumentException if no token has the id
     */
    public String token(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null)
            throw new IllegalArgumentException("no token has id " + id + " (vocabulary size " + vocabSize() + ")");
        return idToToken[id];
    }

    /**
     * The id of a token string, or -1.
     *
     * @param token a token string as in the vocabulary (e.g. {@code "cat</w>"})
     * @return its id, or -1 where the vocabulary lacks it
     */
    public int tokenId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? -1 : id;
    }

    /** @return the id of {@code <|startoftext|>} (49406 for the original vocabulary) */
    public int startToken() {
        return startId;
    }

    /** @return the id of {@code <|endoftext|>} (49407 for the original vocabulary) */
    public int endToken() {
        return endId;
    }

    /** @return the number of token ids, i.e. the largest id + 1 (49408 for the original vocabulary) */
    public int vocabSize() {
        return idToToken.length;
    }

    /** @return the number of merges in use */
    public int numMerges() {
        return numMerges;
    }

    // ---------------------------------------------------------------------------------------
    // tokenize: fixed-length rows for the text encoder

    /**
     * {@code clip.tokenize(texts)}: {@code tokenize(texts, 77, false)}.
     *
     * @param texts the texts
     * @return an I64 tensor [texts.size(), 77]
     * @throws IllegalArgumentException if a text does not fit
     */
    public Tensor tokenize(List<String> texts) {
        return tokenize(texts, DEFAULT_CONTEXT_LENGTH, false);
    }

    /**
     * One text as an I64 tensor [1, 77] ({@code tokenize(List.of(text))}).
     *
     * @param text the text
     * @return an I64 tensor [1, 77]
     * @throws IllegalArgumentException if the text does not fit
     */
    public Tensor tokenize(String text) {
        return tokenize(List.of(text));
    }

    /**
     * {@code clip.tokenize(texts, context_length, truncate)}: each row is the start token, the
     * text's ids, the end token, then zeros. A text whose row would be longer than
     * {@code contextLength} is, with {@code truncate}, cut to its first {@code contextLength} tokens
     * with the last replaced by the end token; without, an error.
     *
     * @param texts the texts
     * @param contextLength the row length (at least 1)
     * @param truncate whether too-long texts are cut rather than refused
     * @return an I64 tensor [texts.size(), contextLength]
     * @throws IllegalArgumentException if a text does not fit and truncate is false (naming the
     *     text's index, its token count and the context length)
     */
    public Tensor tokenize(List<String> texts, int contextLength, boolean truncate) {
        if (contextLength < 1) throw new IllegalArgumentException("context length " + contextLength + " < 1");
        long[] data = new long[texts.size() * contextLength];
        for (int i = 0; i < texts.size(); i++) fillRow(texts.get(i), i, contextLength, truncate, data, i * contextLength);
        return Tensor.of(data, texts.size(), contextLength);
    }

    /**
     * One row of {@link #tokenize(List, int, boolean)} as an array.
     *
     * @param text the text
     * @param contextLength the row length (at least 1)
     * @param truncate whether a too-long text is cut rather than refused
     * @return contextLength ids
     * @throws IllegalArgumentException if the text does not fit and truncate is false
     */
    public long[] tokenizeRow(String text, int contextLength, boolean truncate) {
        if (contextLength < 1) throw new IllegalArgumentException("context length " + contextLength + " < 1");
        long[] row = new long[contextLength];
        fillRow(text, 0, contextLength, truncate, row, 0);
        return row;
    }

    private void fillRow(String text, int index, int contextLength, boolean truncate, long[] out, int offset) {
        int[] ids = encode(text);
        int total = ids.length + 2;
        if (total > contextLength && !truncate) {
            String shown = text.length() > 60 ? text.substring(0, 57) + "..." : text;
            throw new IllegalArgumentException("Input " + index + " is too long for context length " + contextLength + ": "
                    + total + " tokens with start and end (text \"" + shown + "\"); pass truncate=true to cut it");
        }
        // tokens = [sot] + ids + [eot]; with truncate: tokens = tokens[:context_length]; tokens[-1] = eot
        int n = Math.min(total, contextLength);
        out[offset] = startId;
        for (int k = 1; k < n && k - 1 < ids.length; k++) out[offset + k] = ids[k - 1];
        out[offset + n - 1] = endId;
    }

    // ---------------------------------------------------------------------------------------

    /** An open-addressing map from long keys to non-negative ints; get answers -1 when absent. */
    private static final class LongIntMap {
        private final long[] keys;
        private final int[] values;
        private final boolean[] used;
        private final int mask;

        LongIntMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 + 1) - 1) << 1;
            keys = new long[cap];
            values = new int[cap];
            used = new boolean[cap];
            mask = cap - 1;
        }

        private static int hash(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 29));
        }

        void put(long key, int value) {
            int i = hash(key) & mask;
            while (used[i] && keys[i] != key) i = (i + 1) & mask;
            used[i] = true;
            keys[i] = key;
            values[i] = value;
        }

        int get(long key) {
            int i = hash(key) & mask;
            while (used[i]) {
                if (keys[i] == key) return values[i];
                i = (i + 1) & mask;
            }
            return -1;
        }
    }
}
