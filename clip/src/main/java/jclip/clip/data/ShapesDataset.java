package jclip.clip.data;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A generated data set of coloured shapes with compositional captions, needing no download: the
 * embedded default for the demo.
 *
 * <p>Each image (R×R, drawn antialiased with Java2D, headless) shows one or two shapes on a plain
 * neutral background (near-white, light grey or dark grey). A shape has one of six
 * {@link #COLOURS} (red, green, blue, yellow, purple, orange; slightly jittered), one of six
 * {@link #SHAPES} (circle, square, triangle, star, cross, diamond), a size (small ≈ 0.30 R or
 * large ≈ 0.46 R across) and a position. Two shapes are stacked (one in the top half, one in the
 * bottom half) or side by side. Captions come from a few phrasings: "a small red circle.", "a
 * blue square that is large.", "a small red circle above a large blue square.", "a green star to
 * the right of a purple cross.", ...
 *
 * <p>Example i is a pure function of (seed, split, i); the epoch order is a seeded permutation
 * ({@link IndexedSource}).
 *
 * <p>Compositional hold-out: nine colour-shape pairs never appear in the {@link #train} split
 * (red circle, green square, blue triangle, yellow star, purple cross, orange diamond, red star,
 * blue diamond, purple square; {@link #heldOutClasses()}), so a model trained on it can be tested
 * on combinations it has only seen as separate words: each colour and each shape is held out in one or two pairs and is seen
 * with at least four partners in training. The classes are all 36 pairs, index
 * {@code colour * 6 + shape}, named "red circle", "green square", ...; {@link #heldOut} gives
 * labelled single-shape images of held-out pairs only, {@link #seen} of training pairs only, and
 * {@link #heldOutCaptions} captioned images each containing at least one held-out pair (for
 * retrieval). Zero-shot prompt templates: {@link #TEMPLATES}.
 */
public final class ShapesDataset extends IndexedSource {
    /** Colour names in index order. */
    public static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "purple", "orange");
    /** Shape names in index order. */
    public static final List<String> SHAPES = List.of("circle", "square", "triangle", "star", "cross", "diamond");
    /** Zero-shot prompt templates. */
    public static final List<String> TEMPLATES = List.of("a photo of a {}.", "a {} shape.", "a drawing of a {}.", "a {}.", "a picture of a {}.");

    private static final int[][] RGB = {
        {215, 40, 40}, {40, 160, 60}, {45, 85, 220}, {240, 210, 30}, {140, 60, 190}, {245, 135, 25},
    };
    private static final int[][] BACKGROUNDS = {{245, 245, 245}, {200, 200, 200}, {60, 60, 60}};

    /**
     * The held-out {colour, shape} pairs: red circle, green square, blue triangle, yellow star,
     * purple cross, orange diamond (the diagonal), red star, blue diamond, purple square.
     */
    private static final List<int[]> HELD_OUT = List.of(
            new int[] {0, 0}, new int[] {1, 1}, new int[] {2, 2}, new int[] {3, 3}, new int[] {4, 4}, new int[] {5, 5},
            new int[] {0, 3}, new int[] {2, 5}, new int[] {4, 1});

    private static final List<String> CLASS_NAMES;
    private static final boolean[] HELD;
    private static final int[] HELD_CLASSES, SEEN_CLASSES;

    static {
        Images.headless();
        List<String> names = new ArrayList<>();
        for (String c : COLOURS) for (String s : SHAPES) names.add(c + " " + s);
        CLASS_NAMES = List.copyOf(names);
        HELD = new boolean[COLOURS.size() * SHAPES.size()];
        for (int[] p : HELD_OUT) HELD[classIndex(p[0], p[1])] = true;
        HELD_CLASSES = new int[HELD_OUT.size()];
        SEEN_CLASSES = new int[HELD.length - HELD_OUT.size()];
        for (int c = 0, h = 0, s = 0; c < HELD.length; c++) {
            if (HELD[c]) HELD_CLASSES[h++] = c;
            else SEEN_CLASSES[s++] = c;
        }
    }

    /** Which examples a split draws. */
    private enum Split {
        TRAIN("train", 0x7A41L), HELD_OUT_CAPTIONS("held-out captions", 0x4E1DL), HELD_OUT("held-out", 0x4E1D0L), SEEN("seen", 0x5EE4L);

        final String label;
        final long salt;

        Split(String label, long salt) {
            this.label = label;
            this.salt = salt;
        }
    }

    private final Split split;
    private final long seed;
    private final int size;
    private final int resolution;

    private ShapesDataset(Split split, long seed, int size, int resolution) {
        if (size < 0) throw new IllegalArgumentException("size < 0: " + size);
        if (resolution < 8) throw new IllegalArgumentException("resolution must be at least 8: " + resolution);
        this.split = split;
        this.seed = seed;
        this.size = size;
        this.resolution = resolution;
    }

    /** Training split: one or two shapes (half each), captioned; no held-out pair appears. Labels: class for one shape, -1 for two. */
    public static ShapesDataset train(long seed, int size, int resolution) {
        return new ShapesDataset(Split.TRAIN, seed, size, resolution);
    }

    /** Labelled single-shape images of held-out pairs only (zero-shot on unseen combinations); labels index all 36 classes. */
    public static ShapesDataset heldOut(long seed, int size, int resolution) {
        return new ShapesDataset(Split.HELD_OUT, seed, size, resolution);
    }

    /** Labelled single-shape images of training pairs only (the control for {@link #heldOut}). */
    public static ShapesDataset seen(long seed, int size, int resolution) {
        return new ShapesDataset(Split.SEEN, seed, size, resolution);
    }

    /** Captioned images of one or two shapes, each containing at least one held-out pair (retrieval). */
    public static ShapesDataset heldOutCaptions(long seed, int size, int resolution) {
        return new ShapesDataset(Split.HELD_OUT_CAPTIONS, seed, size, resolution);
    }

    /** All 36 class names, index colour * 6 + shape: "red circle", "red square", ... */
    public static List<String> allClassNames() {
        return CLASS_NAMES;
    }

    /** The class index of a colour and shape. */
    public static int classIndex(int colour, int shape) {
        return colour * SHAPES.size() + shape;
    }

    /** Whether the class (colour * 6 + shape) is held out of training. */
    public static boolean isHeldOut(int classIndex) {
        return HELD[classIndex];
    }

    /** The held-out class indices, ascending. */
    public static int[] heldOutClasses() {
        return HELD_CLASSES.clone();
    }

    /** The class indices seen in training, ascending. */
    public static int[] seenClasses() {
        return SEEN_CLASSES.clone();
    }

    /** The image side in pixels. */
    public int resolution() {
        return resolution;
    }

    @Override
    public int count() {
        return size;
    }

    @Override
    public String describe() {
        return "shapes " + split.label + " (seed " + seed + ", " + size + " examples, " + resolution + " px)";
    }

    @Override
    public List<String> classNames() {
        return CLASS_NAMES;
    }

    @Override
    public List<String> templates() {
        return TEMPLATES;
    }

    @Override
    public Example example(int index, long orderSeed, int epoch) {
        return example(index);
    }

    /** Example {@code index}: a pure function of (seed, split, index). */
    public Example example(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index + " of " + size);
        Scene scene = scene(index);
        String origin = "shapes " + split.label + " #" + index;
        return new Example(origin, () -> scene.render(resolution), scene.caption, scene.label);
    }

    // ---------------------------------------------------------------------------------------

    private record Item(int colour, int shape, boolean large, double size, double cx, double cy, int[] rgb) {
        String phrase(boolean withSize) {
            return (withSize ? (large ? "large " : "small ") : "") + COLOURS.get(colour) + " " + SHAPES.get(shape);
        }
    }

    private record Scene(int[] background, List<Item> items, String caption, int label) {
        BufferedImage render(int r) {
            BufferedImage img = new BufferedImage(r, r, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
                g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
                g.setColor(new Color(background[0], background[1], background[2]));
                g.fillRect(0, 0, r, r);
                for (Item it : items) {
                    g.setColor(new Color(it.rgb[0], it.rgb[1], it.rgb[2]));
                    g.fill(outline(it.shape, it.cx * r, it.cy * r, it.size * r));
                }
            } finally {
                g.dispose();
            }
            return img;
        }
    }

    /** The shape's outline centred at (cx, cy), about d across. */
    private static java.awt.Shape outline(int shape, double cx, double cy, double d) {
        double h = d / 2;
        switch (shape) {
            case 0:
                return new Ellipse2D.Double(cx - h, cy - h, d, d);
            case 1: {
                double s = d * 0.86; // a square looks bigger than a circle of the same width
                return new Rectangle2D.Double(cx - s / 2, cy - s / 2, s, s);
            }
            case 2: {
                Path2D.Double p = new Path2D.Double();
                double top = cy - h, bottom = cy + h * 0.80;
                p.moveTo(cx, top);
                p.lineTo(cx + h, bottom);
                p.lineTo(cx - h, bottom);
                p.closePath();
                return p;
            }
            case 3: {
                Path2D.Double p = new Path2D.Double();
                double inner = h * 0.5;
                for (int i = 0; i < 10; i++) {
                    double rad = (i % 2 == 0) ? h : inner, a = -Math.PI / 2 + i * Math.PI / 5;
                    double x = cx + rad * Math.cos(a), y = cy + h * 0.1 + rad * Math.sin(a);
                    if (i == 0) p.moveTo(x, y);
                    else p.lineTo(x, y);
                }
                p.closePath();
                return p;
            }
            case 4: {
                double t = d * 0.17; // half the bar thickness
                Path2D.Double p = new Path2D.Double();
                p.append(new Rectangle2D.Double(cx - h, cy - t, d, 2 * t), false);
                p.append(new Rectangle2D.Double(cx - t, cy - h, 2 * t, d), false);
                return p; // non-zero winding: the overlap is filled once
            }
            case 5: {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(cx, cy - h);
                p.lineTo(cx + h * 0.8, cy);
                p.lineTo(cx, cy + h);
                p.lineTo(cx - h * 0.8, cy);
                p.closePath();
                return p;
            }
            default:
                throw new IllegalArgumentException("shape " + shape);
        }
    }

    private static final double SMALL = 0.30, LARGE = 0.46, MARGIN = 0.02;

    private Scene scene(int index) {
        SplittableRandom rng = Seeds.random(seed, split.salt, index);
        int[] background = BACKGROUNDS[rng.nextInt(BACKGROUNDS.length)];
        boolean labelled = split == Split.HELD_OUT || split == Split.SEEN;
        boolean two = !labelled && rng.nextBoolean();
        int first = switch (split) {
            case TRAIN, SEEN -> SEEN_CLASSES[rng.nextInt(SEEN_CLASSES.length)];
            case HELD_OUT, HELD_OUT_CAPTIONS -> HELD_CLASSES[rng.nextInt(HELD_CLASSES.length)];
        };
        if (!two) {
            Item it = item(rng, first, 0, 1, 0, 1);
            return new Scene(background, List.of(it), singleCaption(rng, it), first);
        }
        int second = split == Split.TRAIN
                ? SEEN_CLASSES[rng.nextInt(SEEN_CLASSES.length)]
                : rng.nextInt(CLASS_NAMES.size());
        if (split == Split.HELD_OUT_CAPTIONS && rng.nextBoolean()) {
            int t = first;
            first = second;
            second = t;
        }
        boolean vertical = rng.nextBoolean();
        // first goes above (vertical) or to the left (horizontal)
        Item a = vertical ? item(rng, first, 0, 1, 0, 0.5) : item(rng, first, 0, 0.5, 0, 1);
        Item b = vertical ? item(rng, second, 0, 1, 0.5, 1) : item(rng, second, 0.5, 1, 0, 1);
        return new Scene(background, List.of(a, b), pairCaption(rng, a, b, vertical), -1);
    }

    /** A shape of the class placed inside the region [x0, x1] × [y0, y1] (fractions of the side). */
    private static Item item(SplittableRandom rng, int cls, double x0, double x1, double y0, double y1) {
        int colour = cls / SHAPES.size(), shape = cls % SHAPES.size();
        boolean large = rng.nextBoolean();
        double size = (large ? LARGE : SMALL) * (0.95 + 0.1 * rng.nextDouble());
        double cx = place(rng, x0, x1, size), cy = place(rng, y0, y1, size);
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) rgb[c] = Math.max(0, Math.min(255, RGB[colour][c] + rng.nextInt(21) - 10));
        return new Item(colour, shape, large, size, cx, cy, rgb);
    }

    private static double place(SplittableRandom rng, double lo, double hi, double size) {
        double min = lo + size / 2 + MARGIN, max = hi - size / 2 - MARGIN;
        if (max <= min) return (lo + hi) / 2;
        return min + (max - min) * rng.nextDouble();
    }

    private static String singleCaption(SplittableRandom rng, Item it) {
        String colour = COLOURS.get(it.colour), shape = SHAPES.get(it.shape), size = it.large ? "large" : "small";
        return switch (rng.nextInt(6)) {
            case 0 -> "a " + size + " " + colour + " " + shape + ".";
            case 1 -> Prompts.article(colour) + " " + colour + " " + shape + ".";
            case 2 -> "a picture of a " + size + " " + colour + " " + shape + ".";
            case 3 -> "a " + size + " " + shape + " in " + colour + ".";
            case 4 -> Prompts.article(colour) + " " + colour + " " + shape + " on a plain background.";
            default -> Prompts.article(colour) + " " + colour + " " + shape + " that is " + size + ".";
        };
    }

    private static String pairCaption(SplittableRandom rng, Item a, Item b, boolean vertical) {
        boolean sizes = rng.nextBoolean();
        String pa = a.phrase(sizes), pb = b.phrase(sizes);
        String aa = Prompts.article(pa) + " " + pa, ab = Prompts.article(pb) + " " + pb;
        int v = rng.nextInt(4);
        if (vertical) {
            return switch (v) {
                case 0 -> aa + " above " + ab + ".";
                case 1 -> ab + " below " + aa + ".";
                case 2 -> aa + " on top of " + ab + ".";
                default -> ab + " under " + aa + ".";
            };
        }
        return switch (v) {
            case 0 -> aa + " to the left of " + ab + ".";
            case 1 -> ab + " to the right of " + aa + ".";
            case 2 -> aa + " next to " + ab + ".";
            default -> aa + " and " + ab + ".";
        };
    }
}
