package jclip.clip.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import jclip.tensor.Tensor;

/**
 * The constructor arguments of the original CLIP model. A ViT image tower has one layer count
 * and a patch size; a ModifiedResNet has four stage depths and patch size 0. Heads are width/64
 * in both towers (the ResNet's attention pool works on width·32 channels).
 */
public record ClipConfig(int embedDim, int imageResolution, int[] visionLayers, int visionWidth, int visionPatchSize,
        int contextLength, int vocabSize, int transformerWidth, int transformerHeads, int transformerLayers) {

    public ClipConfig {
        if (visionLayers.length != 1 && visionLayers.length != 4)
            throw new IllegalArgumentException("visionLayers must have 1 (ViT) or 4 (ResNet) entries, got " + Arrays.toString(visionLayers));
        boolean vit = visionLayers.length == 1;
        if (vit && (visionPatchSize <= 0 || imageResolution % visionPatchSize != 0))
            throw new IllegalArgumentException("image resolution " + imageResolution + " is not a multiple of patch size " + visionPatchSize);
        if (!vit && imageResolution % 32 != 0)
            throw new IllegalArgumentException("a ResNet image tower needs a resolution divisible by 32, got " + imageResolution);
        visionLayers = visionLayers.clone();
    }

    /** A ViT CLIP with heads = width / 64 in both towers. */
    public static ClipConfig vit(int embedDim, int imageResolution, int patchSize, int visionWidth, int visionLayers,
            int contextLength, int vocabSize, int textWidth, int textLayers) {
        return new ClipConfig(embedDim, imageResolution, new int[] {visionLayers}, visionWidth, patchSize,
                contextLength, vocabSize, textWidth, Math.max(1, textWidth / 64), textLayers);
    }

    public boolean isVit() {
        return visionLayers.length == 1;
    }

    public int visionHeads() {
        return Math.max(1, isVit() ? visionWidth / 64 : visionWidth * 32 / 64);
    }

    /** Infers the configuration from OpenAI-named weights, exactly as the original build_model does. */
    public static ClipConfig fromStateDict(Map<String, Tensor> state) {
        Map<String, int[]> shapes = new java.util.LinkedHashMap<>();
        state.forEach((key, t) -> shapes.put(key, t.shape()));
        return fromShapes(shapes);
    }

    /** {@link #fromStateDict} from the weights' shapes alone (a checkpoint's header). */
    public static ClipConfig fromShapes(Map<String, int[]> sd) {
        boolean vit = sd.containsKey("visual.proj");
        int embedDim = dim(sd, "text_projection", 1);
        int contextLength = dim(sd, "positional_embedding", 0);
        int vocabSize = dim(sd, "token_embedding.weight", 0);
        int textWidth = dim(sd, "ln_final.weight", 0);
        int textLayers = countDistinct(sd, "transformer.resblocks.");
        if (vit) {
            int width = dim(sd, "visual.conv1.weight", 0), patch = dim(sd, "visual.conv1.weight", 3);
            int layers = (int) sd.keySet().stream()
                    .filter(k -> k.startsWith("visual.") && k.endsWith(".attn.in_proj_weight")).count();
            int grid = (int) Math.round(Math.sqrt(dim(sd, "visual.positional_embedding", 0) - 1));
            return new ClipConfig(embedDim, patch * grid, new int[] {layers}, width, patch, contextLength, vocabSize,
                    textWidth, textWidth / 64, textLayers);
        }
        int[] layers = new int[4];
        for (int b = 0; b < 4; b++) layers[b] = countDistinct(sd, "visual.layer" + (b + 1) + ".");
        int width = dim(sd, "visual.layer1.0.conv1.weight", 0);
        int positions = dim(sd, "visual.attnpool.positional_embedding", 0);
        int outputWidth = (int) Math.round(Math.sqrt(positions - 1));
        if (outputWidth * outputWidth + 1 != positions)
            throw new IllegalArgumentException("visual.attnpool.positional_embedding has " + positions + " rows, not a square grid plus one");
        return new ClipConfig(embedDim, outputWidth * 32, layers, width, 0, contextLength, vocabSize,
                textWidth, textWidth / 64, textLayers);
    }

    /** The original build arguments as JSON, the format of the fixtures' "config" metadata. */
    public String toJson() {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("embed_dim", embedDim);
        o.addProperty("image_resolution", imageResolution);
        if (isVit()) {
            o.addProperty("vision_layers", visionLayers[0]);
        } else {
            com.google.gson.JsonArray a = new com.google.gson.JsonArray();
            for (int l : visionLayers) a.add(l);
            o.add("vision_layers", a);
        }
        o.addProperty("vision_width", visionWidth);
        if (isVit()) o.addProperty("vision_patch_size", visionPatchSize);
        else o.add("vision_patch_size", com.google.gson.JsonNull.INSTANCE);
        o.addProperty("context_length", contextLength);
        o.addProperty("vocab_size", vocabSize);
        o.addProperty("transformer_width", transformerWidth);
        o.addProperty("transformer_heads", transformerHeads);
        o.addProperty("transformer_layers", transformerLayers);
        return o.toString();
    }

    /**
     * A configuration from the JSON of {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming the problem: not JSON, not an object, a missing or non-numeric field
     */
    public static ClipConfig fromJson(String json) {
        com.google.gson.JsonObject o;
        try {
            com.google.gson.JsonElement root = com.google.gson.JsonParser.parseString(json);
            if (!root.isJsonObject()) throw new IllegalArgumentException("not a CLIP configuration: a JSON object is needed, got " + root);
            o = root.getAsJsonObject();
        } catch (com.google.gson.JsonParseException e) {
            Throwable why = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException("not valid JSON: " + why.getMessage(), e);
        }
        com.google.gson.JsonElement layers = field(o, "vision_layers");
        int[] vl;
        if (layers.isJsonArray()) {
            var a = layers.getAsJsonArray();
            vl = new int[a.size()];
            for (int i = 0; i < vl.length; i++) vl[i] = number(a.get(i), "vision_layers");
        } else {
            vl = new int[] {number(layers, "vision_layers")};
        }
        var patch = o.get("vision_patch_size");
        return new ClipConfig(intField(o, "embed_dim"), intField(o, "image_resolution"), vl, intField(o, "vision_width"),
                patch == null || patch.isJsonNull() ? 0 : number(patch, "vision_patch_size"), intField(o, "context_length"),
                intField(o, "vocab_size"), intField(o, "transformer_width"), intField(o, "transformer_heads"),
                intField(o, "transformer_layers"));
    }

    private static com.google.gson.JsonElement field(com.google.gson.JsonObject o, String key) {
        com.google.gson.JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) throw new IllegalArgumentException("not a CLIP configuration: no \"" + key + "\"");
        return e;
    }

    private static int intField(com.google.gson.JsonObject o, String key) {
        return number(field(o, key), key);
    }

    private static int number(com.google.gson.JsonElement e, String key) {
        try {
            return e.getAsInt();
        } catch (RuntimeException bad) {
            throw new IllegalArgumentException("not a CLIP configuration: \"" + key + "\" is " + e + ", not a whole number", bad);
        }
    }

    /** Size {@code d} of a weight's shape, naming the weight when it is missing or has too few dimensions. */
    private static int dim(Map<String, int[]> sd, String key, int d) {
        int[] shape = sd.get(key);
        if (shape == null) throw new IllegalArgumentException("state dict has no '" + key + "': not a CLIP checkpoint in OpenAI naming");
        if (shape.length <= d)
            throw new IllegalArgumentException(key + " has shape " + java.util.Arrays.toString(shape) + ", fewer than " + (d + 1) + " dimensions");
        return shape[d];
    }

    /** Number of distinct block indices after prefix (keys like prefix + "3.attn..."). */
    private static int countDistinct(Map<String, ?> sd, String prefix) {
        Set<String> ids = new TreeSet<>();
        for (String k : sd.keySet())
            if (k.startsWith(prefix)) ids.add(k.substring(prefix.length()).split("\\.")[0]);
        return ids.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipConfig c && embedDim == c.embedDim && imageResolution == c.imageResolution
                && Arrays.equals(visionLayers, c.visionLayers) && visionWidth == c.visionWidth && visionPatchSize == c.visionPatchSize
                && contextLength == c.contextLength && vocabSize == c.vocabSize && transformerWidth == c.transformerWidth
                && transformerHeads == c.transformerHeads && transformerLayers == c.transformerLayers;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {embedDim, imageResolution, Arrays.hashCode(visionLayers), visionWidth, visionPatchSize,
                contextLength, vocabSize, transformerWidth, transformerHeads, transformerLayers});
    }

    @Override
    public String toString() {
        return "ClipConfig[embedDim=" + embedDim + ", imageResolution=" + imageResolution + ", visionLayers="
                + Arrays.toString(visionLayers) + ", visionWidth=" + visionWidth + ", visionPatchSize=" + visionPatchSize
                + ", contextLength=" + contextLength + ", vocabSize=" + vocabSize + ", transformerWidth=" + transformerWidth
                + ", transformerHeads=" + transformerHeads + ", transformerLayers=" + transformerLayers + "]";
    }
}
