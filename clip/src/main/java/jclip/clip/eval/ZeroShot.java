package jclip.clip.eval;

import java.util.ArrayList;
import java.util.List;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * Zero-shot classification as in the paper: each class is the normalised mean of the normalised
 * text embeddings of its prompts ("a photo of a {}."), and an image takes the class whose
 * embedding is most similar to its own. Feed batches with {@link #add}, then read {@link #result}.
 */
public final class ZeroShot implements AutoCloseable {
    private final ClipModel model;
    private final Tensor classifier; // [classes, embed], rows unit length
    private final List<String> classNames;
    private final int[][] confusion;
    private int correctTop1, correctTop5, count;

    public ZeroShot(ClipModel model, ClipTokenizer tokenizer, List<String> classNames, List<String> templates) {
        if (classNames.isEmpty() || templates.isEmpty()) throw new IllegalArgumentException("zero-shot needs class names and prompt templates");
        this.model = model;
        this.classNames = List.copyOf(classNames);
        this.confusion = new int[classNames.size()][classNames.size()];
        classifier = classEmbeddings(model, tokenizer, classNames, templates);
    }

    /**
     * The class embeddings [classes, embed], rows unit length: per class the normalised mean of the
     * normalised text embeddings of its prompts. The tensor belongs to no scope; the caller closes it.
     */
    public static Tensor classEmbeddings(ClipModel model, ClipTokenizer tokenizer, List<String> classNames, List<String> templates) {
        if (classNames.isEmpty() || templates.isEmpty()) throw new IllegalArgumentException("zero-shot needs class names and prompt templates");
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            List<Tensor> rows = new ArrayList<>();
            for (String name : classNames) {
                List<String> prompts = new ArrayList<>();
                for (String t : templates) prompts.add(jclip.clip.data.Prompts.fill(t, name));
                Tensor tokens = tokenizer.tokenize(prompts, model.config().contextLength(), true);
                rows.add(model.encodeText(tokens).l2Normalize(-1).mean(0, false).l2Normalize(0));
            }
            return MemoryScope.untracked(Tensor.stack(rows, 0));
        }
    }

    /** Classifies images [N, 3, R, R] with known labels [N]. */
    public void add(Tensor images, int[] labels) {
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            Tensor scores = model.encodeImage(images).l2Normalize(-1).matmul(classifier.transpose(0, 1));
            float[] s = scores.toFloatArray();
            int c = classNames.size();
            for (int i = 0; i < labels.length; i++) {
                int label = labels[i];
                if (label < 0 || label >= c) throw new IllegalArgumentException("label " + label + " outside the " + c + " classes");
                float own = s[i * c + label];
                int best = 0, higher = 0;
                for (int j = 0; j < c; j++) {
                    float v = s[i * c + j];
                    if (v > s[i * c + best]) best = j;
                    if (v > own || v == own && j < label) higher++;
                }
                confusion[label][best]++;
                if (best == label) correctTop1++;
                if (higher < 5) correctTop5++;
                count++;
            }
        }
    }

    /** Accuracy so far: top-1, top-5, per class (NaN for a class never seen) and the confusion matrix [true][predicted]. */
    public record Result(int images, double top1, double top5, double[] perClass, int[][] confusion, List<String> classNames) {}

    public Result result() {
        double[] perClass = new double[classNames.size()];
        for (int i = 0; i < perClass.length; i++) {
            int total = 0;
            for (int v : confusion[i]) total += v;
            perClass[i] = total == 0 ? Double.NaN : (double) confusion[i][i] / total;
        }
        int[][] copy = new int[confusion.length][];
        for (int i = 0; i < copy.length; i++) copy[i] = confusion[i].clone();
        return new Result(count, count == 0 ? Double.NaN : (double) correctTop1 / count,
                count == 0 ? Double.NaN : (double) correctTop5 / count, perClass, copy, classNames);
    }

    @Override
    public void close() {
        classifier.close();
    }
}
