package jclip.clip.model;

import jclip.clip.weights.WeightNames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import jclip.kernels.DType;
import jclip.nn.Embedding;
import jclip.nn.Init;
import jclip.nn.Layer;
import jclip.nn.LayerNorm;
import jclip.nn.Module;
import jclip.nn.StateSource;
import jclip.nn.Transformer;
import jclip.tensor.Device;
import jclip.tensor.Functional;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import jclip.tensor.io.SafeTensorsFile;

/**
 * Contrastive language-image pre-training (Radford et al. 2021), as the original model.py: an
 * image tower (ViT or ModifiedResNet), a causal text transformer, and a learnable temperature.
 * Parameter names are the original's, so OpenAI and open_clip weights load as they are.
 */
public final class ClipModel extends Module {
    /** Similarity logits of every image with every text, and the transpose. */
    public record Logits(Tensor perImage, Tensor perText) {}

    private final ClipConfig config;
    private final Towers towers;
    // The image tower (null when only the text tower is held)
    private final Layer visual;
    // The text tower (all null when only the image tower is held)
    private final Transformer transformer;
    private final Embedding tokenEmbedding;
    private final Tensor positionalEmbedding;
    private final LayerNorm lnFinal;
    private final Tensor textProjection;
    private final Tensor logitScale;

    /** A new model initialised as the original (rng null: zeros, for loading weights into). */
    public ClipModel(ClipConfig config, Rng rng) {
        this(config, rng, Towers.IMAGE_AND_TEXT);
    }

    /** A new model with only the given towers (the others' methods throw IllegalStateException). */
    public ClipModel(ClipConfig config, Rng rng, Towers towers) {
        this.config = config;
        this.towers = towers;
        int textWidth = config.transformerWidth();
        visual = !towers.image() ? null : child("visual", config.isVit()
                ? new VisionTransformer(config.imageResolution(), config.visionPatchSize(), config.visionWidth(),
                        config.visionLayers()[0], config.visionHeads(), config.embedDim(), rng)
                : new ModifiedResNet(config.visionLayers(), config.embedDim(), config.visionHeads(),
                        config.imageResolution(), config.visionWidth(), rng));
        boolean text = towers.text();
        transformer = !text ? null : child("transformer", new Transformer(textWidth, config.transformerLayers(), config.transformerHeads(), true, rng));
        tokenEmbedding = !text ? null : child("token_embedding", new Embedding(config.vocabSize(), textWidth, 0.02, rng));
        positionalEmbedding = !text ? null : parameter("positional_embedding", Init.normal(rng, 0.01, config.contextLength(), textWidth));
        lnFinal = !text ? null : child("ln_final", new LayerNorm(textWidth));
        textProjection = !text ? null : parameter("text_projection", Init.normal(rng, Math.pow(textWidth, -0.5), textWidth, config.embedDim()));
        logitScale = parameter("logit_scale", Tensor.scalar((float) Math.log(1 / 0.07)));
    }

    /** A model holding the given weights, in OpenAI/open_clip or Hugging Face naming. */
    public static ClipModel fromStateDict(Map<String, Tensor> state) {
        return fromStateDict(state, Towers.IMAGE_AND_TEXT);
    }

    /** {@link #fromStateDict(Map)} with only the given towers (the other's weights are ignored). */
    public static ClipModel fromStateDict(Map<String, Tensor> state, Towers towers) {
        Map<String, Tensor> openai = WeightNames.toOpenAi(state);
        try {
            ClipModel model = new ClipModel(ClipConfig.fromStateDict(openai), null, towers);
            Map<String, Tensor> held = new LinkedHashMap<>();
            openai.forEach((key, t) -> {
                if (towers.holds(key)) held.put(key, t);
            });
            model.loadStateDict(held, true);
            return model;
        } finally {
            // Close what the conversion made (joined q/k/v, transposed projections), not the caller's tensors.
            java.util.Set<Tensor> given = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            given.addAll(state.values());
            for (Tensor t : openai.values()) if (!given.contains(t)) t.close();
        }
    }

    /** Loads a safetensors checkpoint of either naming. */
    public static ClipModel load(Path path) throws IOException {
        return load(path, Towers.IMAGE_AND_TEXT);
    }

    /**
     * Loads the given towers of a safetensors checkpoint of either naming (the other tower's weights
     * are not read). OpenAI/open_clip files are read one tensor at a time straight into the model, so
     * loading takes the model's memory and one tensor more; Hugging Face files are read whole first,
     * because q, k and v are joined and projections transposed on the way.
     */
    public static ClipModel load(Path path, Towers towers) throws IOException {
        try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
            Map<String, int[]> shapes = file.shapes();
            if (WeightNames.Scheme.detect(shapes) == WeightNames.Scheme.HUGGING_FACE) {
                Map<String, Tensor> state = SafeTensors.load(path);
                try {
                    return fromStateDict(state, towers);
                } finally {
                    state.values().forEach(Tensor::close);
                }
            }
            Map<String, String> fileKeys = WeightNames.openAiKeys(shapes.keySet());
            Map<String, int[]> openai = new LinkedHashMap<>();
            fileKeys.forEach((key, inFile) -> openai.put(key, shapes.get(inFile)));
            ClipModel model = new ClipModel(ClipConfig.fromShapes(openai), null, towers);
            try {
                model.loadStateDict(fileSource(file, fileKeys, towers), true);
                return model;
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }

    /** The file's tensors of the towers held, under OpenAI names, each read only when it is copied. */
    private static StateSource fileSource(SafeTensorsFile file, Map<String, String> fileKeys, Towers towers) {
        Map<String, String> held = new LinkedHashMap<>();
        fileKeys.forEach((key, inFile) -> {
            if (towers.holds(key)) held.put(key, inFile);
        });
        return new StateSource() {
            @Override
            public Set<String> keys() {
                return held.keySet();
            }

            @Override
            public int[] shape(String key) {
                return file.shapes().get(held.get(key));
            }

            @Override
            public DType dtype(String key) {
                return file.dtype(held.get(key));
            }

            @Override
            public void copyInto(String key, Tensor target) {
                try {
                    file.copyInto(held.get(key), target);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /** Writes the weights in OpenAI naming, with the configuration as "config" metadata. */
    public void save(Path path) throws IOException {
        SafeTensors.save(path, stateDict(), Map.of("config", config.toJson(), "format", "pt"));
    }

    public ClipConfig config() {
        return config;
    }

    public Towers towers() {
        return towers;
    }

    /** Where the model's weights are; inputs from elsewhere are copied here first. */
    @Override
    public Device device() {
        return logitScale.device();
    }

    /** Moves the model to {@code device} in place (parameters and buffers). */
    @Override
    public ClipModel to(Device device) {
        super.to(device);
        return this;
    }

    @Override
    public ClipModel train() {
        super.train();
        return this;
    }

    @Override
    public ClipModel eval() {
        super.eval();
        return this;
    }

    /** images [N, 3, R, R] (on any device) to unnormalised features [N, embed] on the model's device. */
    public Tensor encodeImage(Tensor images) {
        return imageTower().forward(checkedImages(images));
    }

    /**
     * images to L2-normalised features [N, embed]: the projection and normalisation fused
     * (Functional.normalizedLinear) where the tower ends in a projection (ViT).
     */
    public Tensor imageEmbeddings(Tensor images) {
        if (imageTower() instanceof VisionTransformer vit)
            return Functional.normalizedLinear(vit.pooled(checkedImages(images)), vit.projection());
        return encodeImage(images).l2Normalize(-1);
    }

    private Layer imageTower() {
        if (visual == null) throw new IllegalStateException("this model holds only the text tower (loaded with Towers.TEXT)");
        return visual;
    }

    private void requireTextTower() {
        if (transformer == null) throw new IllegalStateException("this model holds only the image tower (loaded with Towers.IMAGE)");
    }

    private Tensor checkedImages(Tensor images) {
        int r = config.imageResolution();
        if (images.ndim() != 4 || images.size(1) != 3 || images.size(2) != r || images.size(3) != r)
            throw new IllegalArgumentException("images must be [N, 3, " + r + ", " + r + "], got " + java.util.Arrays.toString(images.shape()));
        return images.to(device()).to(DType.F32);
    }

    /** token ids [N, context] (I32 or I64, on any device) to unnormalised features [N, embed], taken at each row's largest id. */
    public Tensor encodeText(Tensor tokens) {
        return pooledText(tokens).matmul(textProjection);
    }

    /** token ids to L2-normalised features [N, embed], the projection and normalisation fused. */
    public Tensor textEmbeddings(Tensor tokens) {
        return Functional.normalizedLinear(pooledText(tokens), textProjection);
    }

    /** The final layer norm's output at each row's end-of-text token [N, width]. */
    private Tensor pooledText(Tensor tokens) {
        requireTextTower();
        if (tokens.ndim() != 2 || tokens.size(1) != config.contextLength() || !tokens.dtype().isIndex())
            throw new IllegalArgumentException("tokens must be I32/I64 [N, " + config.contextLength() + "], got "
                    + tokens.dtype() + " " + java.util.Arrays.toString(tokens.shape()));
        int n = tokens.size(0), width = config.transformerWidth();
        tokens = tokens.to(device());
        // The end-of-text token has the largest id: pool there (the original's text.argmax(-1)).
        Tensor eotIndex = tokens.to(DType.F32).argmax(-1, false);
        // The transformer is causal, so no position after the last end-of-text token of the batch can
        // change an output that is pooled: run only the positions up to it. Exact, and for captions
        // of 10-20 tokens four to seven times less work than the whole context. Those positions'
        // embeddings would get zero gradient anyway.
        int length = 1;
        for (long i : eotIndex.toLongArray()) length = (int) Math.max(length, i + 1);
        Tensor x = tokenEmbedding.forward(tokens.narrow(1, 0, length).contiguous())
                .add(positionalEmbedding.narrow(0, 0, length));
        x = lnFinal.forward(transformer.forward(x));
        Tensor eot = eotIndex.reshape(n, 1, 1).expand(n, 1, width).contiguous();
        return x.gather(1, eot).squeeze(1);
    }

    /** exp(logit_scale) · cosine similarities, per image [N, M] and per text [M, N]. */
    public Logits forward(Tensor images, Tensor tokens) {
        Tensor image = imageEmbeddings(images);
        Tensor text = textEmbeddings(tokens);
        Tensor perImage = logitScale.exp().mul(image.matmul(text.transpose(0, 1)));
        return new Logits(perImage, perImage.transpose(0, 1));
    }

    /**
     * The symmetric contrastive loss with labels 0..N-1: the mean of both cross-entropies, fused and
     * memory-linear in the batch (Functional.clipLoss).
     */
    public Tensor loss(Tensor images, Tensor tokens) {
        return Functional.clipLoss(imageEmbeddings(images), textEmbeddings(tokens), logitScale);
    }

    /**
     * Gradient checkpointing for the transformer blocks of both towers (the ModifiedResNet tower
     * keeps its activations): each block is recomputed in the backward.
     */
    public ClipModel gradCheckpointing(boolean on) {
        if (transformer != null) transformer.gradCheckpointing(on);
        if (visual instanceof VisionTransformer vit) vit.gradCheckpointing(on);
        return this;
    }

    /** The learnable log temperature (initially ln(1/0.07)). */
    public Tensor logitScale() {
        return logitScale;
    }
}
