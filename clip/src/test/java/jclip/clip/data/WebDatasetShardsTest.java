package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebDatasetShardsTest {
    @TempDir
    Path dir;

    private static byte[] png(int rgb) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ImageIO.write(CsvImageFolderTest.solid(6, 4, rgb), "png", b);
        return b.toByteArray();
    }

    /** shard-000.tar: keys 0..4; shard-001.tar: keys 5..9, where 7 has no caption; shard-002.tar.gz: 10..11 in a sub-folder. */
    private void shards() throws IOException {
        for (int s = 0; s < 2; s++) {
            try (TarWriter w = new TarWriter(Files.newOutputStream(dir.resolve(String.format("shard-%03d.tar", s))))) {
                for (int k = 5 * s; k < 5 * s + 5; k++) {
                    String key = String.format("%06d", k);
                    w.add(key + ".png", png(0x010101 * k));
                    if (k != 7) w.add(key + ".txt", "caption " + k + "\n");
                    w.add(key + ".json", "{}");
                }
            }
        }
        try (TarWriter w = new TarWriter(new GZIPOutputStream(Files.newOutputStream(dir.resolve("shard-002.tar.gz"))))) {
            for (int k = 10; k < 12; k++) {
                w.add("sub/" + k + ".txt", "caption " + k);
                w.add("sub/" + k + ".jpg", png(0x010101 * k)); // a PNG named .jpg decodes all the same
                w.add("sub/" + k + ".cls", "" + (k - 10));
            }
        }
    }

    private static List<Example> all(Iterator<Example> it) {
        List<Example> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void streamsSamplesInOrderAndReportsAMissingCaption() throws Exception {
        shards();
        WebDatasetShards source = WebDatasetShards.pattern(dir + "/shard-{000..001}.tar::" + dir + "/shard-002.tar.gz")
                .shuffleShards(false).shuffleBuffer(0);
        assertEquals(3, source.shards().size());
        assertEquals(-1, source.size());
        List<Example> examples = all(source.examples(1, 0));
        assertEquals(12, examples.size());
        for (int k = 0; k < 12; k++) {
            Example e = examples.get(k);
            if (k == 7) continue;
            assertEquals("caption " + k, e.caption());
            assertEquals(0x010101 * k, e.image().read().getRGB(0, 0) & 0xFFFFFF);
            assertEquals(k < 10 ? -1 : k - 10, e.label());
        }
        assertEquals(dir.resolve("shard-000.tar") + ":000003", examples.get(3).origin());
        assertEquals(dir.resolve("shard-002.tar.gz") + ":sub/11", examples.get(11).origin());

        Example bad = examples.get(7);
        assertEquals(dir.resolve("shard-001.tar") + ":000007", bad.origin());
        BadItemException e = assertThrows(BadItemException.class, () -> bad.image().read());
        assertTrue(e.getMessage().contains("no caption"), e.getMessage());

        // through the loader: reported with shard and key, the other 11 delivered
        List<String> warnings = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try (DataLoader loader = DataLoader.builder(source).batchSize(4).dropLast(false).preprocess(Preprocess.eval(4))
                .threads(2).warnings(warnings::add).build()) {
            loader.forEachRemaining(b -> {
                captions.addAll(b.captions());
                b.close();
            });
            assertEquals(1, loader.badItems());
        }
        assertEquals(11, captions.size());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("shard-001.tar:000007") && warnings.get(0).contains("no caption"), warnings.get(0));
    }

    @Test
    void seededShardOrderAndShuffleBuffer() throws Exception {
        for (int s = 0; s < 4; s++) {
            try (TarWriter w = new TarWriter(Files.newOutputStream(dir.resolve("s" + s + ".tar")))) {
                for (int k = 0; k < 25; k++) {
                    w.add(s + "_" + k + ".txt", s + "/" + k);
                    w.add(s + "_" + k + ".png", new byte[] {1});
                }
            }
        }
        WebDatasetShards source = WebDatasetShards.pattern(dir + "/s{0..3}.tar").shuffleBuffer(20);
        List<String> a = captions(source.examples(3, 0)), b = captions(source.examples(3, 0));
        List<String> c = captions(source.examples(3, 1)), d = captions(source.examples(4, 0));
        assertEquals(a, b, "same (seed, epoch), same order");
        assertNotEquals(a, c, "another epoch, another order");
        assertNotEquals(a, d, "another seed, another order");
        assertEquals(100, new HashSet<>(a).size());
        assertEquals(new HashSet<>(a), new HashSet<>(c));
        List<String> inOrder = captions(source.shuffleBuffer(0).shuffleShards(false).examples(3, 0));
        assertEquals("0/0", inOrder.get(0));
        assertEquals("3/24", inOrder.get(99));
    }

    private static List<String> captions(Iterator<Example> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(e -> out.add(e.caption()));
        return out;
    }

    @Test
    void missingAndTruncatedShardsAreBadItems() throws Exception {
        shards();
        byte[] whole = Files.readAllBytes(dir.resolve("shard-000.tar"));
        Files.write(dir.resolve("cut.tar"), Arrays.copyOf(whole, 3 * 512 + 100)); // inside the second member's data
        WebDatasetShards source = WebDatasetShards.of(List.of(dir.resolve("cut.tar"), dir.resolve("absent.tar"), dir.resolve("shard-001.tar")))
                .shuffleShards(false).shuffleBuffer(0);
        List<Example> ex = all(source.examples(0, 0));
        // the pending sample 000000 has its image but lost its caption; then the truncation; then the missing shard
        assertTrue(ex.get(0).origin().endsWith("cut.tar:000000"), ex.get(0).origin());
        IOException first = assertThrows(IOException.class, () -> ex.get(0).image().read());
        assertTrue(first.getMessage().contains("no caption"), first.getMessage());
        assertTrue(ex.get(1).origin().contains("cut.tar @"), ex.get(1).origin());
        IOException cut = assertThrows(IOException.class, () -> ex.get(1).image().read());
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
        assertTrue(ex.get(2).origin().endsWith("absent.tar"), ex.get(2).origin());
        assertThrows(IOException.class, () -> ex.get(2).image().read());
        assertEquals(3 + 5, ex.size());
        assertEquals("caption 5", ex.get(3).caption());
    }

    /** What a caption-only reader (a tokenizer learning from the captions) sees of bad samples, without decoding. */
    @Test
    void badSamplesSayWhyWithoutDecoding() throws Exception {
        try (TarWriter w = new TarWriter(Files.newOutputStream(dir.resolve("s.tar")))) {
            w.add("a.png", png(0xFF0000));
            w.add("a.txt", "  \n");
            w.add("b.png", png(0x00FF00));
            w.add("c.png", png(0x0000FF));
            w.add("c.txt", "blue");
        }
        List<Example> ex = all(WebDatasetShards.of(List.of(dir.resolve("s.tar"), dir.resolve("absent.tar")))
                .shuffleShards(false).shuffleBuffer(0).examples(0, 0));
        assertEquals(4, ex.size());
        assertEquals("empty caption (a.txt)", ex.get(0).problem());
        assertTrue(ex.get(1).problem().startsWith("no caption (.txt) in the sample"), ex.get(1).problem());
        assertNull(ex.get(2).problem());
        assertEquals(dir.resolve("absent.tar").toString(), ex.get(3).origin());
        assertEquals("no such shard", ex.get(3).problem());
    }

    @Test
    void tarReaderRoundTripAndErrors() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        String longName = "d".repeat(120) + "/" + "f".repeat(90) + ".txt";
        try (TarWriter w = new TarWriter(b)) {
            w.add("a.txt", "x".repeat(512));
            w.add("empty.bin", new byte[0]);
            w.add(longName, "long");
        }
        byte[] tar = b.toByteArray();
        assertEquals(0, tar.length % 512);
        try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar")) {
            TarReader.Entry e = r.next();
            assertEquals("a.txt", e.name());
            assertEquals(512, e.data().length);
            assertEquals(0, r.next().data().length);
            TarReader.Entry l = r.next();
            assertEquals(longName, l.name());
            assertEquals("long", new String(l.data(), StandardCharsets.UTF_8));
            assertNull(r.next());
            assertNull(r.next());
        }
        byte[] corrupt = tar.clone();
        corrupt[10] ^= 1;
        IOException e = assertThrows(IOException.class, () -> new TarReader(new ByteArrayInputStream(corrupt), "c.tar").next());
        assertTrue(e.getMessage().contains("c.tar") && e.getMessage().contains("checksum"), e.getMessage());
        EOFException eof = assertThrows(EOFException.class, () -> new TarReader(new ByteArrayInputStream(Arrays.copyOf(tar, 700)), "short.tar").next());
        assertTrue(eof.getMessage().contains("short.tar"), eof.getMessage());
        assertEquals(493, TarReader.parseOctal("0000755 \0".getBytes(StandardCharsets.US_ASCII), 0, 9));
    }

    @Test
    void braceExpansion() {
        assertEquals(List.of("data/shard-008.tar", "data/shard-009.tar", "data/shard-010.tar"), WebDatasetShards.expandBraces("data/shard-{008..010}.tar"));
        assertEquals(List.of("a1x", "a1y", "a2x", "a2y"), WebDatasetShards.expandBraces("a{1..2}{x,y}"));
        assertEquals(List.of("p/a.tar", "p/b-1.tar", "p/b-2.tar"), WebDatasetShards.expandBraces("p/{a,b-{1..2}}.tar"));
        assertEquals(List.of("plain.tar"), WebDatasetShards.expandBraces("plain.tar"));
        assertEquals(10, WebDatasetShards.pattern("x/{0..9}.tar").shards().size());
        assertThrows(IllegalArgumentException.class, () -> WebDatasetShards.expandBraces("a{1..2"));
    }
}
