package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShapesDatasetTest {
    private static final String[] RELATIONS = {" above ", " below ", " on top of ", " under ", " to the left of ", " to the right of ", " next to ", " and "};
    private static final int[][] RGB = {{215, 40, 40}, {40, 160, 60}, {45, 85, 220}, {240, 210, 30}, {140, 60, 190}, {245, 135, 25}};

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    /** The classes (colour * 6 + shape) a caption names, one per object phrase, in order. */
    static List<Integer> parse(String caption) {
        String s = caption.substring(0, caption.length() - 1); // drop the full stop
        for (String r : RELATIONS) s = s.replace(r, "|");
        List<Integer> out = new ArrayList<>();
        for (String phrase : s.split("\\|")) {
            int colour = -1, shape = -1;
            for (String w : phrase.split(" ")) {
                int c = ShapesDataset.COLOURS.indexOf(w), sh = ShapesDataset.SHAPES.indexOf(w);
                if (c >= 0) {
                    assertEquals(-1, colour, "two colours in a phrase of: " + caption);
                    colour = c;
                }
                if (sh >= 0) {
                    assertEquals(-1, shape, "two shapes in a phrase of: " + caption);
                    shape = sh;
                }
            }
            assertTrue(colour >= 0 && shape >= 0, "no colour or shape in '" + phrase + "' of: " + caption);
            out.add(ShapesDataset.classIndex(colour, shape));
        }
        return out;
    }

    @Test
    void sameSeedSameExamplesDifferentSeedsDiffer() throws Exception {
        ShapesDataset a = ShapesDataset.train(11, 40, 32), b = ShapesDataset.train(11, 40, 32), c = ShapesDataset.train(12, 40, 32);
        int captionDiffs = 0, pixelDiffs = 0;
        for (int i = 0; i < 40; i++) {
            Example x = a.example(i), y = b.example(i), z = c.example(i);
            assertEquals(x.caption(), y.caption());
            assertEquals(x.label(), y.label());
            assertArrayEquals(pixels(x.image().read()), pixels(y.image().read()), "example " + i);
            assertArrayEquals(pixels(x.image().read()), pixels(x.image().read()), "rendering twice");
            if (!x.caption().equals(z.caption())) captionDiffs++;
            if (!java.util.Arrays.equals(pixels(x.image().read()), pixels(z.image().read()))) pixelDiffs++;
        }
        assertTrue(captionDiffs > 30, "seeds 11 and 12 give nearly the same captions");
        assertTrue(pixelDiffs > 30, "seeds 11 and 12 give nearly the same images");
        // the epoch order does not change the examples, only their order
        Iterator<Example> it = a.examples(5, 3);
        Set<String> seen = new HashSet<>();
        while (it.hasNext()) seen.add(it.next().origin());
        assertEquals(40, seen.size());
    }

    @Test
    void heldOutPairsNeverInTrainingAndLabelsMatchCaptions() {
        ShapesDataset train = ShapesDataset.train(3, 3000, 32);
        int singles = 0, pairs = 0;
        Set<Integer> trainClasses = new HashSet<>();
        Set<String> phrasings = new HashSet<>();
        for (int i = 0; i < train.count(); i++) {
            Example e = train.example(i);
            List<Integer> classes = parse(e.caption());
            for (int cls : classes) {
                assertFalse(ShapesDataset.isHeldOut(cls), "held-out pair " + ShapesDataset.allClassNames().get(cls) + " in training: " + e.caption());
                trainClasses.add(cls);
            }
            if (classes.size() == 1) {
                singles++;
                assertEquals(classes.get(0), e.label(), e.caption());
            } else {
                pairs++;
                assertEquals(2, classes.size(), e.caption());
                assertEquals(-1, e.label(), e.caption());
            }
            phrasings.add(e.caption().replaceAll("red|green|blue|yellow|purple|orange|circle|square|triangle|star|cross|diamond|small|large|an? ", "_"));
        }
        assertTrue(singles > 1000 && pairs > 1000, singles + " single, " + pairs + " pairs");
        assertEquals(27, trainClasses.size(), "every seen pair appears in training");
        assertTrue(phrasings.size() >= 10, "varied phrasing: " + phrasings);

        ShapesDataset held = ShapesDataset.heldOut(3, 500, 32);
        Set<Integer> heldClasses = new HashSet<>();
        for (int i = 0; i < held.count(); i++) {
            Example e = held.example(i);
            assertTrue(ShapesDataset.isHeldOut(e.label()), e.caption());
            assertEquals(List.of(e.label()), parse(e.caption()));
            heldClasses.add(e.label());
        }
        assertEquals(9, heldClasses.size());
        ShapesDataset seen = ShapesDataset.seen(3, 300, 32);
        for (int i = 0; i < seen.count(); i++) assertFalse(ShapesDataset.isHeldOut(seen.example(i).label()));
        ShapesDataset retrieval = ShapesDataset.heldOutCaptions(3, 300, 32);
        for (int i = 0; i < retrieval.count(); i++) {
            String caption = retrieval.example(i).caption();
            assertTrue(parse(caption).stream().anyMatch(ShapesDataset::isHeldOut), caption);
        }
    }

    @Test
    void classesAndTemplates() {
        List<String> names = ShapesDataset.allClassNames();
        assertEquals(36, names.size());
        assertEquals("red circle", names.get(0));
        assertEquals("orange diamond", names.get(35));
        assertEquals(names, ShapesDataset.heldOut(0, 1, 32).classNames());
        assertEquals(9, ShapesDataset.heldOutClasses().length);
        assertEquals(27, ShapesDataset.seenClasses().length);
        // each colour and each shape is held out at most twice, so it is seen with >= 4 partners
        int[] perColour = new int[6], perShape = new int[6];
        for (int cls : ShapesDataset.heldOutClasses()) {
            perColour[cls / 6]++;
            perShape[cls % 6]++;
        }
        for (int i = 0; i < 6; i++) assertTrue(perColour[i] >= 1 && perColour[i] <= 2 && perShape[i] >= 1 && perShape[i] <= 2);
        assertTrue(ShapesDataset.TEMPLATES.contains("a photo of a {}."));
        assertEquals("a photo of an orange star.", Prompts.fill("a photo of a {}.", "orange star"));
        assertEquals("a drawing of a red circle.", Prompts.fill("a drawing of a {}.", "red circle"));
    }

    @Test
    void singleShapeImagesShowTheLabelledColour() throws Exception {
        ShapesDataset held = ShapesDataset.heldOut(9, 60, 64);
        for (int i = 0; i < held.count(); i++) {
            Example e = held.example(i);
            BufferedImage img = e.image().read();
            assertEquals(64, img.getWidth());
            assertEquals(64, img.getHeight());
            int[] p = pixels(img);
            int background = p[0];
            Map<Integer, Integer> counts = new HashMap<>();
            for (int v : p) if (v != background) counts.merge(v, 1, Integer::sum);
            int dominant = counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            int[] want = RGB[e.label() / 6];
            int r = (dominant >> 16) & 255, g = (dominant >> 8) & 255, b = dominant & 255;
            assertTrue(Math.abs(r - want[0]) <= 10 && Math.abs(g - want[1]) <= 10 && Math.abs(b - want[2]) <= 10,
                    e.caption() + ": dominant colour " + r + "," + g + "," + b);
            assertTrue(counts.get(dominant) > 64 * 64 / 60, "the shape covers a visible area: " + e.caption());
        }
    }
}
