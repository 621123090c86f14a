package jclip.clip.eval;

import jclip.kernels.DType;
import jclip.kernels.cpu.Parallel;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * Image-to-text and text-to-image retrieval recall@1/5/10 from precomputed features, as in the
 * paper's Flickr30k and MSCOCO evaluations. Features are L2-normalised and compared by cosine
 * similarity; text t is a caption of image textToImage[t], so an image may have several captions
 * (COCO and Flickr have five) and every image must have at least one.
 *
 * <p>Ranks are conservative: the rank of a query is the number of wrong items whose similarity is
 * at least that of its best correct item (its own image; for an image, the best-scoring of its
 * captions), so a tie always counts against the query. Recall@K is the fraction of queries with
 * rank &lt; K. The similarity matrix is never held whole: rows of queries are scored against all
 * items a chunk at a time, and each query's scores come from a single matrix-product row.
 */
public final class Retrieval {
    /** The K of the recalls in {@link Result}. */
    public static final int[] KS = {1, 5, 10};
    /** Default budget of similarity scores held at once (32 MiB of floats). */
    private static final long CHUNK_SCORES = 1L << 23;

    private Retrieval() {}

    /**
     * Recall@{1, 5, 10} in each direction, and each query's zero-based rank (images in order,
     * then texts in order).
     */
    public record Result(double[] imageToText, double[] textToImage, int[] imageToTextRanks, int[] textToImageRanks) {
        @Override
        public String toString() {
            return String.format("image->text R@1 %.4f R@5 %.4f R@10 %.4f | text->image R@1 %.4f R@5 %.4f R@10 %.4f",
                    imageToText[0], imageToText[1], imageToText[2], textToImage[0], textToImage[1], textToImage[2]);
        }
    }

    /** Paired features: image i matches text i. */
    public static Result evaluate(Tensor imageFeatures, Tensor textFeatures) {
        return evaluate(imageFeatures, textFeatures, null);
    }

    /** Images [N, d], texts [M, d]; textToImage [M] gives each text's image (null: text i is image i's only caption). */
    public static Result evaluate(Tensor imageFeatures, Tensor textFeatures, int[] textToImage) {
        return evaluate(imageFeatures, textFeatures, textToImage, 0);
    }

    /** As {@link #evaluate(Tensor, Tensor, int[])}, scoring chunkRows queries at a time (0: chosen from the sizes). */
    public static Result evaluate(Tensor imageFeatures, Tensor textFeatures, int[] textToImage, int chunkRows) {
        if (imageFeatures.ndim() != 2 || textFeatures.ndim() != 2)
            throw new IllegalArgumentException("features must be [N, d] and [M, d], got " + imageFeatures + " and " + textFeatures);
        int n = imageFeatures.size(0), m = textFeatures.size(0);
        if (imageFeatures.size(1) != textFeatures.size(1))
            throw new IllegalArgumentException("image features have " + imageFeatures.size(1) + " dimensions, text features " + textFeatures.size(1));
        if (n == 0 || m == 0) throw new IllegalArgumentException("retrieval needs at least one image and one text, got " + n + " and " + m);
        if (chunkRows < 0) throw new IllegalArgumentException("chunkRows must be >= 0, got " + chunkRows);
        int[] owner = textToImage;
        if (owner == null) {
            if (n != m) throw new IllegalArgumentException("without a text-to-image map the counts must match, got " + n + " images and " + m + " texts");
            owner = new int[m];
            for (int t = 0; t < m; t++) owner[t] = t;
        } else if (owner.length != m) {
            throw new IllegalArgumentException("textToImage has " + owner.length + " entries for " + m + " texts");
        }
        // Captions of each image, as compressed rows.
        int[] start = new int[n + 1];
        for (int t = 0; t < m; t++) {
            if (owner[t] < 0 || owner[t] >= n) throw new IllegalArgumentException("text " + t + " belongs to image " + owner[t] + " of " + n);
            start[owner[t] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            if (start[i + 1] == 0) throw new IllegalArgumentException("image " + i + " has no caption");
            start[i + 1] += start[i];
        }
        int[] captions = new int[m], fill = start.clone();
        for (int t = 0; t < m; t++) captions[fill[owner[t]]++] = t;
        int[] imageStart = new int[m + 1], images = owner.clone();
        for (int t = 0; t <= m; t++) imageStart[t] = t;

        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            Tensor img = normalised(imageFeatures, "image");
            Tensor txt = normalised(textFeatures, "text");
            int[] i2t = ranks(img, txt, start, captions, chunkRows);
            int[] t2i = ranks(txt, img, imageStart, images, chunkRows);
            return new Result(recalls(i2t), recalls(t2i), i2t, t2i);
        }
    }

    private static Tensor normalised(Tensor x, String what) {
        Tensor f = x.to(DType.F32);
        for (float v : f.toFloatArray())
            if (!Float.isFinite(v)) throw new IllegalArgumentException(what + " features hold a non-finite value " + v);
        return f.l2Normalize(-1).contiguous();
    }

    /**
     * Zero-based conservative rank of each query against items: the number of items that are not
     * among its correct ones (correct[start[q] .. start[q+1])) and score at least as high as its
     * best correct one.
     */
    static int[] ranks(Tensor queries, Tensor items, int[] start, int[] correct, int chunkRows) {
        int q = queries.size(0), m = items.size(0);
        int chunk = chunkRows > 0 ? chunkRows : (int) Math.max(1, Math.min(q, CHUNK_SCORES / m));
        int[] rank = new int[q];
        for (int r0 = 0; r0 < q; r0 += chunk) {
            int rows = Math.min(chunk, q - r0), first = r0;
            try (MemoryScope scope = MemoryScope.open()) {
                float[] s = queries.narrow(0, r0, rows).linear(items, null).toFloatArray(); // [rows, m]
                Parallel.forRange(rows, m, (from, to) -> {
                    for (int r = from; r < to; r++) {
                        int qi = first + r, base = r * m;
                        float best = Float.NEGATIVE_INFINITY;
                        for (int k = start[qi]; k < start[qi + 1]; k++) best = Math.max(best, s[base + correct[k]]);
                        int atLeast = 0;
                        for (int j = 0; j < m; j++) if (s[base + j] >= best) atLeast++;
                        for (int k = start[qi]; k < start[qi + 1]; k++) if (s[base + correct[k]] >= best) atLeast--;
                        rank[qi] = atLeast;
                    }
                });
            }
        }
        return rank;
    }

    private static double[] recalls(int[] ranks) {
        double[] out = new double[KS.length];
        for (int k = 0; k < KS.length; k++) {
            int hits = 0;
            for (int r : ranks) if (r < KS[k]) hits++;
            out[k] = (double) hits / ranks.length;
        }
        return out;
    }
}
