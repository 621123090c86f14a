package jclip.clip;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Zero-shot classification over a fixed set of classes, made by {@link ClipEmbedder#classifier}:
 * the class embeddings are computed once; each image's probabilities are the softmax of
 * exp(logit_scale) · cos(image, class), as the original's {@code logits_per_image.softmax(-1)}.
 * Thread-safe; image embeddings go through the embedder's batching queue.
 */
public final class ZeroShotClassifier {
    /** The best class, its probability, and the k most probable classes, best first. */
    public record Prediction(String label, double probability, List<String> topLabels, double[] topProbabilities) {}

    private final ClipEmbedder embedder;
    private final List<String> classNames;
    private final float[][] classes; // [classes][embed], rows unit length
    private final float scale;

    ZeroShotClassifier(ClipEmbedder embedder, List<String> classNames, float[][] classes, float scale) {
        this.embedder = embedder;
        this.classNames = List.copyOf(classNames);
        this.classes = classes;
        this.scale = scale;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** The best class of each image (top-1 only). */
    public List<Prediction> classify(List<BufferedImage> images) {
        return classify(images, 1);
    }

    /** Per image the best class and the {@code k} most probable ones (k at most the number of classes). */
    public List<Prediction> classify(List<BufferedImage> images, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be positive: " + k);
        return classifyEmbeddings(embedder.embedImages(images), k);
    }

    /**
     * {@link #classify(List, int)} of images already embedded by this classifier's embedder
     * (L2-normalised rows), for callers that keep the embeddings too and should not compute them twice.
     */
    public List<Prediction> classifyEmbeddings(float[][] embeddings, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be positive: " + k);
        k = Math.min(k, classes.length);
        List<Prediction> out = new ArrayList<>(embeddings.length);
        for (float[] e : embeddings) {
            if (e.length != classes[0].length)
                throw new IllegalArgumentException("an embedding of dimension " + e.length + ", the classes' is " + classes[0].length);
            double[] p = probabilities(e);
            Integer[] order = new Integer[p.length];
            for (int j = 0; j < p.length; j++) order[j] = j;
            // Ties go to the lower class index, as argmax does.
            java.util.Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            List<String> labels = new ArrayList<>(k);
            double[] probs = new double[k];
            for (int j = 0; j < k; j++) {
                labels.add(classNames.get(order[j]));
                probs[j] = p[order[j]];
            }
            out.add(new Prediction(labels.get(0), probs[0], List.copyOf(labels), probs));
        }
        return out;
    }

    /** softmax over classes of exp(logit_scale) · (embedding · class), in double. */
    double[] probabilities(float[] embedding) {
        double[] logits = new double[classes.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < classes.length; j++) {
            double dot = 0;
            for (int i = 0; i < embedding.length; i++) dot += (double) embedding[i] * classes[j][i];
            logits[j] = scale * dot;
            max = Math.max(max, logits[j]);
        }
        double sum = 0;
        for (int j = 0; j < logits.length; j++) sum += logits[j] = Math.exp(logits[j] - max);
        for (int j = 0; j < logits.length; j++) logits[j] /= sum;
        return logits;
    }
}
