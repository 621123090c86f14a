package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import jclip.kernels.DType;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    private static final int R = 16;

    /** What a batch held, copied out (the tensor is closed). */
    private record Got(float[] pixels, List<String> captions, int[] labels, List<String> origins, long position) {}

    private static List<Got> run(ImageTextSource source, DataLoader.Builder b) {
        List<Got> out = new ArrayList<>();
        try (DataLoader loader = b.build()) {
            while (loader.hasNext()) {
                try (Batch batch = loader.next()) {
                    assertEquals(DType.F32, batch.images().dtype());
                    assertArrayEquals(new int[] {batch.size(), 3, R, R}, batch.images().shape());
                    out.add(new Got(batch.images().toFloatArray(), batch.captions(), batch.labels(), batch.origins(), batch.position()));
                    assertEquals(batch.position(), loader.position());
                }
            }
            assertEquals(source.size(), loader.position(), "the whole epoch consumed");
        }
        return out;
    }

    private static DataLoader.Builder builder(ImageTextSource source) {
        return DataLoader.builder(source).batchSize(8).preprocess(Preprocess.train(R)).seed(42).dropLast(false);
    }

    private static void assertSame(List<Got> a, List<Got> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).pixels, b.get(i).pixels, "batch " + i);
            assertEquals(a.get(i).captions, b.get(i).captions);
            assertArrayEquals(a.get(i).labels, b.get(i).labels);
            assertEquals(a.get(i).origins, b.get(i).origins);
            assertEquals(a.get(i).position, b.get(i).position);
        }
    }

    @Test
    void sameBatchesWithOneOrFourThreadsAndPositionsCount() {
        ShapesDataset shapes = ShapesDataset.train(5, 50, 24); // resized to 16 by a random crop
        List<Got> one = run(shapes, builder(shapes).threads(1).prefetch(1));
        List<Got> four = run(shapes, builder(shapes).threads(4).prefetch(3));
        assertSame(one, four);
        assertEquals(7, one.size());
        for (int i = 0; i < 7; i++) assertEquals(Math.min(8 * (i + 1), 50), one.get(i).position);
        assertEquals(2, one.get(6).captions.size());
        List<String> origins = new ArrayList<>();
        for (Got g : one) origins.addAll(g.origins);
        assertEquals(50, origins.stream().distinct().count(), "every example once");
        // captions and labels belong to their images' examples
        for (Got g : one)
            for (int i = 0; i < g.captions.size(); i++) {
                int index = Integer.parseInt(g.origins.get(i).substring(g.origins.get(i).indexOf('#') + 1));
                assertEquals(shapes.example(index).caption(), g.captions.get(i));
                assertEquals(shapes.example(index).label(), g.labels[i]);
            }

        List<Got> dropped = run(shapes, builder(shapes).dropLast(true).threads(3));
        assertEquals(6, dropped.size());
        assertSame(one.subList(0, 6), dropped);
    }

    @Test
    void epochsAndSeedsChangeTheOrder() {
        ShapesDataset shapes = ShapesDataset.train(5, 40, R);
        List<Got> e0 = run(shapes, builder(shapes).epoch(0).threads(2));
        List<Got> e1 = run(shapes, builder(shapes).epoch(1).threads(2));
        List<Got> s1 = run(shapes, builder(shapes).seed(43).threads(2));
        assertNotEquals(e0.get(0).origins, e1.get(0).origins);
        assertNotEquals(e0.get(0).origins, s1.get(0).origins);
        assertFalse(Arrays.equals(e0.get(0).pixels, e1.get(0).pixels));
    }

    @Test
    void skipReproducesTheTailOfAFullPass() {
        ShapesDataset shapes = ShapesDataset.train(6, 45, 20);
        List<Got> full = run(shapes, builder(shapes).threads(3));
        // resuming after batch 2 gives batches 3.. exactly
        List<Got> resumed = run(shapes, builder(shapes).threads(2).skip(full.get(1).position));
        assertSame(full.subList(2, full.size()), resumed);
        // any position: the same examples, pixels included, from there on
        List<Got> from5 = run(shapes, builder(shapes).threads(2).skip(5));
        List<String> fullOrigins = new ArrayList<>(), tailOrigins = new ArrayList<>();
        List<float[]> fullPixels = new ArrayList<>(), tailPixels = new ArrayList<>();
        for (Got g : full) flatten(g, fullOrigins, fullPixels);
        for (Got g : from5) flatten(g, tailOrigins, tailPixels);
        assertEquals(fullOrigins.subList(5, 45), tailOrigins);
        for (int i = 0; i < 40; i++) assertArrayEquals(fullPixels.get(5 + i), tailPixels.get(i));
        assertEquals(13, from5.get(0).position);
        assertEquals(45, from5.get(from5.size() - 1).position);
        try (DataLoader past = builder(shapes).skip(100).build()) {
            assertFalse(past.hasNext());
            assertThrows(NoSuchElementException.class, past::next);
        }
    }

    private static void flatten(Got g, List<String> origins, List<float[]> pixels) {
        int n = 3 * R * R;
        for (int i = 0; i < g.captions.size(); i++) {
            origins.add(g.origins.get(i));
            pixels.add(Arrays.copyOfRange(g.pixels, i * n, (i + 1) * n));
        }
    }

    /** Examples 0..n-1 in order with slow, jittered decoding; the indices in bad are bad. */
    private static IndexedSource flaky(int n, int... bad) {
        return new IndexedSource() {
            @Override
            public int count() {
                return n;
            }

            @Override
            public String describe() {
                return "flaky";
            }

            @Override
            public Example example(int index, long seed, int epoch) {
                String origin = "item " + index;
                if (Arrays.stream(bad).anyMatch(b -> b == index)) return Example.bad(origin, "broken on purpose");
                return new Example(origin, () -> {
                    try {
                        Thread.sleep(new Random(index).nextInt(3));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    BufferedImage img = new BufferedImage(R, R, BufferedImage.TYPE_INT_RGB);
                    img.setRGB(0, 0, index);
                    return img;
                }, "caption " + index, index);
            }
        }.inOrder();
    }

    @Test
    void badItemsAreReportedAndSkippedOrFatal() {
        IndexedSource source = flaky(20, 3, 8, 9, 19);
        List<String> warnings = new ArrayList<>();
        List<Got> got = run(source, builder(source).threads(4).warnings(warnings::add));
        assertEquals(4, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("item 3") && warnings.get(0).contains("broken on purpose"), warnings.get(0));
        assertEquals(2, got.size());
        assertEquals(List.of("caption 0", "caption 1", "caption 2", "caption 4", "caption 5", "caption 6", "caption 7", "caption 10"), got.get(0).captions);
        assertEquals(11, got.get(0).position, "bad items count in the position");
        assertEquals(19, got.get(1).position, "the trailing bad item comes after the last batch");
        assertEquals(8, got.get(1).captions.size());
        // resuming after the first batch repeats the second exactly
        assertSame(got.subList(1, 2), run(source, builder(source).threads(2).skip(11).warnings(w -> {})));

        try (DataLoader loader = builder(source).threads(3).badItems(BadItemPolicy.FAIL).batchSize(2).build()) {
            assertEquals(List.of("caption 0", "caption 1"), loader.next().captions());
            DataException e = assertThrows(DataException.class, loader::next);
            assertEquals("item 3", e.origin());
            assertTrue(e.getMessage().contains("item 3") && e.getMessage().contains("broken on purpose"), e.getMessage());
            assertFalse(loader.hasNext());
        }
    }

    @Test
    void sourceFailureIsThrown() {
        ImageTextSource broken = new ImageTextSource() {
            @Override
            public String describe() {
                return "broken source";
            }

            @Override
            public long size() {
                return -1;
            }

            @Override
            public Iterator<Example> examples(long seed, int epoch) {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return true;
                    }

                    @Override
                    public Example next() {
                        if (i++ == 5) throw new IllegalStateException("disk on fire");
                        return new Example("x" + i, () -> new BufferedImage(R, R, BufferedImage.TYPE_INT_RGB), "c", -1);
                    }
                };
            }
        };
        try (DataLoader loader = DataLoader.builder(broken).batchSize(4).preprocess(Preprocess.eval(R)).threads(2).build()) {
            assertEquals(4, loader.next().size());
            DataException e = assertThrows(DataException.class, loader::next);
            assertTrue(e.getMessage().contains("broken source") && e.getMessage().contains("disk on fire"), e.getMessage());
        }
    }

    private static long alive(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    @Test
    void closeStopsTheThreads() {
        ShapesDataset shapes = ShapesDataset.train(1, 10_000, R);
        DataLoader loader = builder(shapes).threads(3).prefetch(2).build();
        String prefix = loader.threadPrefix();
        Batch first = loader.next();
        assertTrue(alive(prefix) >= 2, "feeder and workers running");
        loader.close();
        assertEquals(0, alive(prefix), "threads stopped");
        assertFalse(loader.hasNext());
        assertThrows(IllegalStateException.class, loader::next);
        loader.close(); // twice is harmless
        // the batch handed out stays usable: it belongs to the caller
        assertEquals(8 * 3 * R * R, first.images().toFloatArray().length);
        first.close();
        assertTrue(first.images().isClosed());

        // closing a loader nobody read from, its feeder blocked on a full queue
        DataLoader idle = builder(shapes).threads(2).prefetch(1).build();
        idle.close();
        assertEquals(0, alive(idle.threadPrefix()));
        // a finished epoch stops its threads by itself
        DataLoader small = builder(ShapesDataset.train(1, 8, R)).threads(2).build();
        assertEquals(8, small.next().size());
        assertFalse(small.hasNext());
        assertEquals(0, alive(small.threadPrefix()));
        assertEquals(1, small.expectedBatches());
    }
}
