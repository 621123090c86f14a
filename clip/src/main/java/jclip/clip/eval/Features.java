package jclip.clip.eval;

import java.util.ArrayList;
import java.util.List;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.Batch;
import jclip.clip.data.DataLoader;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/** Frozen CLIP features of a whole data set, for the linear probe and retrieval. */
public final class Features {
    /** Image features [n, embed] as rows, the labels (-1 where none) and the captions, in loader order. */
    public record Encoded(float[][] images, int[] labels, List<String> captions) {}

    private Features() {}

    /** Encodes every batch of the loader (the model should be in eval mode). */
    public static Encoded images(ClipModel model, DataLoader loader) {
        List<float[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int d = model.config().embedDim();
        try (Autograd.NoGrad g = Autograd.noGrad()) {
            while (loader.hasNext()) {
                try (MemoryScope scope = MemoryScope.open(); Batch batch = loader.next()) {
                    float[] f = model.encodeImage(batch.images()).toFloatArray();
                    for (int i = 0; i < batch.size(); i++) {
                        rows.add(java.util.Arrays.copyOfRange(f, i * d, (i + 1) * d));
                        labels.add(batch.labels()[i]);
                        captions.add(batch.captions().get(i));
                    }
                }
            }
        }
        return new Encoded(rows.toArray(new float[0][]), labels.stream().mapToInt(Integer::intValue).toArray(), captions);
    }

    /** Text features [n, embed] of the texts, in batches. */
    public static Tensor texts(ClipModel model, ClipTokenizer tokenizer, List<String> texts, int batchSize) {
        List<Tensor> parts = new ArrayList<>();
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            for (int i = 0; i < texts.size(); i += batchSize) {
                List<String> chunk = texts.subList(i, Math.min(i + batchSize, texts.size()));
                parts.add(model.encodeText(tokenizer.tokenize(chunk, model.config().contextLength(), true)));
            }
            return scope.keep(Tensor.cat(parts, 0));
        }
    }
}
