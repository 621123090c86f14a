package jclip.clip.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    private static final String[] SIZES = {"small", "large", "tiny", "huge"};
    private static final String[] COLORS = {"red", "green", "blue", "yellow", "purple", "orange", "black", "white"};
    private static final String[] SHAPES = {"circle", "square", "triangle", "star", "hexagon", "cross"};
    private static final String[] RELATIONS = {"above", "below", "left of", "right of", "next to"};

    /** "a small red circle above a blue square." style captions. */
    static List<String> shapeCaptions(int n, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add("a " + SIZES[r.nextInt(SIZES.length)] + " " + COLORS[r.nextInt(COLORS.length)] + " "
                    + SHAPES[r.nextInt(SHAPES.length)] + " " + RELATIONS[r.nextInt(RELATIONS.length)] + " a "
                    + COLORS[r.nextInt(COLORS.length)] + " " + SHAPES[r.nextInt(SHAPES.length)] + ".");
        }
        return out;
    }

    private static List<String> strings(List<String[]> merges) {
        List<String> out = new ArrayList<>();
        for (String[] m : merges) out.add(m[0] + " " + m[1]);
        return out;
    }

    @Test
    void learnedTokenizerRoundTripsAndCompresses(@TempDir Path dir) {
        List<String> corpus = shapeCaptions(2000, 1);
        List<String[]> merges = BpeTrainer.learnMerges(corpus, 150);
        assertTrue(merges.size() > 50, "merges learned: " + merges.size());
        Path file = dir.resolve("merges.txt.gz");
        BpeTrainer.writeMergesFile(file, merges);
        ClipTokenizer tok = ClipTokenizer.load(file);

        assertEquals(512 + merges.size() + 2, tok.vocabSize());
        assertEquals(512 + merges.size(), tok.startToken());
        assertEquals(512 + merges.size() + 1, tok.endToken());
        assertEquals(merges.size(), tok.numMerges());

        ClipTokenizer original = ClipTokenizerTest.original();
        for (String caption : corpus.subList(0, 200)) {
            int[] ids = tok.encode(caption);
            // decoding depends only on the pre-token split, so it must equal the original's
            assertEquals(original.decode(original.encode(caption)), tok.decode(ids), caption);
            assertTrue(ids.length < caption.getBytes(StandardCharsets.UTF_8).length, caption);
            for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize());
        }
        for (String word : new String[] {"circle", "square", "triangle", "above", "purple"}) {
            int[] ids = tok.encode(word);
            assertTrue(ids.length < word.length(), word + " -> " + ids.length + " tokens");
            assertEquals(word + " ", tok.decode(ids));
        }
        // text from outside the corpus still encodes (byte symbols) and round-trips
        String other = "Zebra café 123 😀";
        assertEquals(original.decode(original.encode(other)), tok.decode(tok.encode(other)));
        // tokenize works with the new start and end ids
        long[] row = tok.tokenizeRow("a red circle", 8, false);
        assertEquals(tok.startToken(), row[0]);
        assertTrue(java.util.Arrays.stream(row).anyMatch(v -> v == tok.endToken()));
    }

    @Test
    void sameCorpusGivesSameMerges() {
        List<String> corpus = shapeCaptions(1500, 2);
        List<String> first = strings(BpeTrainer.learnMerges(corpus, 120));
        List<String> second = strings(BpeTrainer.learnMerges(corpus, 120));
        assertEquals(first, second);
        List<String> shuffled = new ArrayList<>(corpus);
        Collections.shuffle(shuffled, new Random(3));
        assertEquals(first, strings(BpeTrainer.learnMerges(shuffled, 120)), "the order of captions does not matter");
    }

    @Test
    void mostFrequentPairFirstAndTiesBySymbol() {
        List<String[]> merges = BpeTrainer.learnMerges(List.of("ab ab ab cd cd", "xy"), 10);
        // (a, b</w>) occurs 3 times, (c, d</w>) twice, (x, y</w>) once
        assertEquals(List.of("a b</w>", "c d</w>", "x y</w>"), strings(merges));
        // equal counts: the smaller left symbol, then the smaller right symbol, goes first
        assertEquals(List.of("a b</w>", "b c</w>", "b d</w>"), strings(BpeTrainer.learnMerges(List.of("bd bc ab"), 10)));
        // stops when no pair is left, or below minFrequency
        assertEquals(0, BpeTrainer.learnMerges(List.of("a b c"), 5).size());
        assertEquals(List.of("a b</w>"), strings(BpeTrainer.learnMerges(List.of("ab ab cd"), 10, 2)));
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.learnMerges(List.of("a"), -1));
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.learnMerges(List.of("a"), 1, 0));
    }

    @Test
    void mergesChainIntoWholeWords(@TempDir Path dir) {
        List<String[]> merges = BpeTrainer.learnMerges(Collections.nCopies(10, "hello hello world"), 100);
        Path file = dir.resolve("m.txt");
        BpeTrainer.writeMergesFile(file, merges);
        ClipTokenizer tok = ClipTokenizer.load(file);
        assertEquals(1, tok.encode("hello").length);
        assertEquals(1, tok.encode("world").length);
        assertEquals("hello</w>", tok.token(tok.encode("hello")[0]));
        assertEquals(3, tok.encode("hello world!").length);
        // the special tokens are not words to learn from; cleaning and lower-casing apply
        List<String[]> special = BpeTrainer.learnMerges(List.of("<|startoftext|>", "HELLO &amp; hello"), 100);
        for (String m : strings(special)) assertTrue(!m.contains("|"), m);
        assertEquals(strings(BpeTrainer.learnMerges(List.of("hello & hello"), 100)), strings(special));
    }

    @Test
    void writesTheOriginalFormat(@TempDir Path dir) throws IOException {
        List<String[]> merges = List.of(new String[] {"a", "b</w>"}, new String[] {"Ġ", "c"});
        Path plain = dir.resolve("merges.txt");
        BpeTrainer.writeMergesFile(plain, merges);
        assertEquals("#version: 0.2\na b</w>\nĠ c\n", Files.readString(plain, StandardCharsets.UTF_8));
        Path gz = dir.resolve("merges.txt.gz");
        BpeTrainer.writeMergesFile(gz, merges);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            assertEquals("#version: 0.2\na b</w>\nĠ c\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        ClipTokenizer tok = ClipTokenizer.load(gz);
        assertEquals(512 + 2 + 2, tok.vocabSize());
        assertArrayEquals(new int[] {512}, tok.encode("ab"));
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.writeMergesFile(plain, List.<String[]>of(new String[] {"a b", "c"})));
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.writeMergesFile(plain, List.<String[]>of(new String[] {"a"})));
    }

    @Test
    void twoThousandMergesOverFiftyThousandCaptionsTakeSeconds(@TempDir Path dir) {
        String[] syllables = {"ka", "lo", "mi", "ne", "su", "ra", "to", "vi", "de", "po", "qu", "zen", "bar", "fel",
            "gor", "hin", "jus", "wex", "yon", "cri", "str", "pla", "ound", "ing", "tion", "er", "ly"};
        Random r = new Random(4);
        List<String> corpus = new ArrayList<>(shapeCaptions(50_000, 5));
        for (int i = 0; i < corpus.size(); i++) {
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 4; w++) {
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n; k++) sb.append(syllables[(int) Math.min(syllables.length - 1, Math.abs(r.nextGaussian()) * 8)]);
                sb.append(' ');
            }
            corpus.set(i, sb + corpus.get(i));
        }
        long t0 = System.nanoTime();
        List<String[]> merges = BpeTrainer.learnMerges(corpus, 2000);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("2000 merges over %d captions: %.2f s%n", corpus.size(), seconds);
        assertEquals(2000, merges.size());
        assertTrue(seconds < 60, "took " + seconds + " s");
        Path file = dir.resolve("m.txt");
        BpeTrainer.writeMergesFile(file, merges);
        ClipTokenizer tok = ClipTokenizer.load(file);
        assertEquals(2514, tok.vocabSize());
        String caption = corpus.get(0);
        int[] ids = tok.encode(caption);
        assertTrue(ids.length * 3 < caption.length(), ids.length + " tokens for " + caption);
    }
}
