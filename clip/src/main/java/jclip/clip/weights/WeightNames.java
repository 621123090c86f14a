package jclip.clip.weights;

import jclip.clip.model.ClipModel;
import jclip.clip.model.ModifiedResNet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * Converts CLIP state dicts between the OpenAI/open_clip names that {@link ClipModel} uses and the
 * names of Hugging Face {@code transformers}' {@code CLIPModel} (see {@link Scheme}).
 *
 * <table>
 *   <caption>Hugging Face name → OpenAI name (N: layer index)</caption>
 *   <tr><td>{@code text_model.embeddings.token_embedding.weight}</td><td>{@code token_embedding.weight}</td></tr>
 *   <tr><td>{@code text_model.embeddings.position_embedding.weight}</td><td>{@code positional_embedding}</td></tr>
 *   <tr><td>{@code text_model.encoder.layers.N.self_attn.{q,k,v}_proj.{weight,bias}}</td>
 *       <td>{@code transformer.resblocks.N.attn.in_proj_{weight,bias}} (q, k, v stacked along dim 0)</td></tr>
 *   <tr><td>{@code ….self_attn.out_proj.*}, {@code ….layer_norm1.*}, {@code ….layer_norm2.*},
 *       {@code ….mlp.fc1.*}, {@code ….mlp.fc2.*}</td>
 *       <td>{@code ….attn.out_proj.*}, {@code ….ln_1.*}, {@code ….ln_2.*}, {@code ….mlp.c_fc.*}, {@code ….mlp.c_proj.*}</td></tr>
 *   <tr><td>{@code text_model.final_layer_norm.*}</td><td>{@code ln_final.*}</td></tr>
 *   <tr><td>{@code text_projection.weight} [embed, width]</td><td>{@code text_projection} [width, embed] (transposed)</td></tr>
 *   <tr><td>{@code vision_model.embeddings.class_embedding}</td><td>{@code visual.class_embedding}</td></tr>
 *   <tr><td>{@code vision_model.embeddings.patch_embedding.weight}</td><td>{@code visual.conv1.weight}</td></tr>
 *   <tr><td>{@code vision_model.embeddings.position_embedding.weight}</td><td>{@code visual.positional_embedding}</td></tr>
 *   <tr><td>{@code vision_model.pre_layrnorm.*} (sic)</td><td>{@code visual.ln_pre.*}</td></tr>
 *   <tr><td>{@code vision_model.encoder.layers.N.…}</td><td>{@code visual.transformer.resblocks.N.…} (as in the text tower)</td></tr>
 *   <tr><td>{@code vision_model.post_layernorm.*}</td><td>{@code visual.ln_post.*}</td></tr>
 *   <tr><td>{@code visual_projection.weight} [embed, width]</td><td>{@code visual.proj} [width, embed] (transposed)</td></tr>
 *   <tr><td>{@code logit_scale}</td><td>{@code logit_scale}</td></tr>
 *   <tr><td>{@code {text,vision}_model.embeddings.position_ids} (I64 [1, L] = 0…L−1)</td><td>none (dropped; written back by {@link #toHuggingFace})</td></tr>
 * </table>
 *
 * <p>Ownership: the maps returned are new, and so is every tensor whose data had to change
 * (transposed, concatenated or split: contiguous copies in the input's dtype, F16/BF16 included).
 * A tensor that is only renamed is the input's own {@link Tensor} object: the output shares it with
 * the input, so close such a tensor once (closing input and output values both is harmless, as
 * closing twice is). New tensors belong to the {@link MemoryScope} open at the call, or to the
 * caller when none is; intermediate tensors are released before returning. No autograd graph is
 * recorded, even when the inputs are parameters that require grad.
 */
public final class WeightNames {
    private WeightNames() {}

    /**
     * The two ways CLIP checkpoints name their tensors.
     *
     * <ul>
     *   <li>{@link #OPENAI}: the original {@code clip/model.py} names, also used by open_clip
     *       ({@code visual.conv1.weight}, {@code transformer.resblocks.0.attn.in_proj_weight},
     *       {@code text_projection}, {@code logit_scale}); open_clip's DDP checkpoints put
     *       {@code module.} in front of every key, which is accepted.
     *   <li>{@link #HUGGING_FACE}: the names of {@code transformers}' {@code CLIPModel}
     *       ({@code vision_model.embeddings.patch_embedding.weight},
     *       {@code text_model.encoder.layers.0.self_attn.q_proj.weight}, {@code text_projection.weight}).
     * </ul>
     *
     * {@link WeightNames} converts between them.
     */
    public enum Scheme {
        OPENAI,
        HUGGING_FACE;

        /**
         * The scheme of a state dict. Any key that only Hugging Face uses ({@code text_model.*},
         * {@code vision_model.*}, {@code text_projection.weight}, {@code visual_projection.weight})
         * makes it {@link #HUGGING_FACE}, so that a mixed dict is reported key by key when converted;
         * otherwise any OpenAI key ({@code visual.*}, {@code transformer.*}, {@code token_embedding.*},
         * {@code ln_final.*}, {@code positional_embedding}, {@code text_projection}) makes it
         * {@link #OPENAI}, with or without a {@code module.} prefix on every key.
         *
         * @throws IllegalArgumentException when neither fits, naming a few of the keys
         */
        public static Scheme detect(Map<String, ?> state) {
            boolean openai = false;
            for (String key : stripModulePrefix(state).keySet()) {
                if (isHuggingFaceKey(key)) return HUGGING_FACE;
                if (isOpenAiKey(key)) openai = true;
            }
            if (openai) return OPENAI;
            throw new IllegalArgumentException("not a CLIP checkpoint in OpenAI/open_clip or Hugging Face naming: none of its "
                    + state.size() + " keys is a CLIP weight name (first keys: " + sample(state.keySet()) + ")");
        }

        static boolean isHuggingFaceKey(String key) {
            return key.startsWith("text_model.") || key.startsWith("vision_model.")
                    || key.equals("text_projection.weight") || key.equals("visual_projection.weight");
        }

        static boolean isOpenAiKey(String key) {
            return key.startsWith("visual.") || key.startsWith("transformer.") || key.startsWith("token_embedding.")
                    || key.startsWith("ln_final.") || key.equals("positional_embedding") || key.equals("text_projection");
        }
    }

    private static final String MODULE_PREFIX = "module.";

    /** Scalars that OpenAI's JIT archives keep beside the weights; the original build_model deletes them. */
    private static final Set<String> OPENAI_METADATA = Set.of("input_resolution", "context_length", "vocab_size");

    /** Hugging Face → OpenAI for top-level tensors that only change name. */
    private static final Map<String, String> RENAMED = new LinkedHashMap<>();
    /** Hugging Face [embed, width] → OpenAI [width, embed]. */
    private static final Map<String, String> TRANSPOSED = new LinkedHashMap<>();
    /** Hugging Face position_ids buffer → the OpenAI positional embedding that gives its length. */
    private static final Map<String, String> POSITION_IDS = new LinkedHashMap<>();
    /** Within one encoder layer: Hugging Face → OpenAI suffixes. */
    private static final Map<String, String> LAYER_RENAMED = new LinkedHashMap<>();

    private static final Map<String, String> RENAMED_INVERSE = new LinkedHashMap<>();
    private static final Map<String, String> TRANSPOSED_INVERSE = new LinkedHashMap<>();
    private static final Map<String, String> POSITION_IDS_INVERSE = new LinkedHashMap<>();
    private static final Map<String, String> LAYER_RENAMED_INVERSE = new LinkedHashMap<>();

    static {
        RENAMED.put("text_model.embeddings.token_embedding.weight", "token_embedding.weight");
        RENAMED.put("text_model.embeddings.position_embedding.weight", "positional_embedding");
        RENAMED.put("text_model.final_layer_norm.weight", "ln_final.weight");
        RENAMED.put("text_model.final_layer_norm.bias", "ln_final.bias");
        RENAMED.put("vision_model.embeddings.class_embedding", "visual.class_embedding");
        RENAMED.put("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight");
        RENAMED.put("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding");
        RENAMED.put("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight");
        RENAMED.put("vision_model.pre_layrnorm.bias", "visual.ln_pre.bias");
        RENAMED.put("vision_model.post_layernorm.weight", "visual.ln_post.weight");
        RENAMED.put("vision_model.post_layernorm.bias", "visual.ln_post.bias");
        RENAMED.put("logit_scale", "logit_scale");

        TRANSPOSED.put("text_projection.weight", "text_projection");
        TRANSPOSED.put("visual_projection.weight", "visual.proj");

        POSITION_IDS.put("text_model.embeddings.position_ids", "positional_embedding");
        POSITION_IDS.put("vision_model.embeddings.position_ids", "visual.positional_embedding");

        for (String p : new String[] {"weight", "bias"}) {
            LAYER_RENAMED.put("self_attn.out_proj." + p, "attn.out_proj." + p);
            LAYER_RENAMED.put("layer_norm1." + p, "ln_1." + p);
            LAYER_RENAMED.put("layer_norm2." + p, "ln_2." + p);
            LAYER_RENAMED.put("mlp.fc1." + p, "mlp.c_fc." + p);
            LAYER_RENAMED.put("mlp.fc2." + p, "mlp.c_proj." + p);
        }

        RENAMED.forEach((hf, openai) -> RENAMED_INVERSE.put(openai, hf));
        TRANSPOSED.forEach((hf, openai) -> TRANSPOSED_INVERSE.put(openai, hf));
        POSITION_IDS.forEach((hf, openai) -> POSITION_IDS_INVERSE.put(openai, hf));
        LAYER_RENAMED.forEach((hf, openai) -> LAYER_RENAMED_INVERSE.put(openai, hf));
    }

    /** text_model.encoder.layers.3.mlp.fc1.weight: tower, layer, rest. */
    private static final Pattern HF_LAYER = Pattern.compile("(text_model|vision_model)\\.encoder\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern HF_QKV = Pattern.compile("self_attn\\.([qkv])_proj\\.(weight|bias)");
    /** visual.transformer.resblocks.3.mlp.c_fc.weight: visual prefix or none, layer, rest. */
    private static final Pattern OPENAI_LAYER = Pattern.compile("(visual\\.)?transformer\\.resblocks\\.(\\d+)\\.(.+)");
    /** Names that only a ModifiedResNet image tower has. */
    private static final Pattern RESNET = Pattern.compile(
            "(^|\\.)(layer[1-4]|attnpool|bn[1-3]|downsample|running_mean|running_var|num_batches_tracked)(\\.|$)");

    /**
     * The state dict in OpenAI/open_clip names, whichever scheme it has (see {@link Scheme#detect}).
     * OpenAI names pass through (a {@code module.} prefix on every key is removed, and the JIT
     * archives' {@code input_resolution}, {@code context_length}, {@code vocab_size} scalars are
     * dropped, as the original build_model does); Hugging Face names are mapped as the class
     * comment shows. See the class comment for who owns the tensors returned.
     *
     * @throws IllegalArgumentException for an unrecognised scheme, a Hugging Face key with no OpenAI
     *     counterpart (naming it), ResNet keys in a Hugging Face dict, or an incomplete q/k/v triple
     */
    public static Map<String, Tensor> toOpenAi(Map<String, Tensor> state) {
        Map<String, Tensor> s = stripModulePrefix(state);
        if (Scheme.detect(s) == Scheme.HUGGING_FACE) return fromHuggingFace(s);
        Map<String, Tensor> out = new LinkedHashMap<>();
        s.forEach((k, v) -> {
            if (!OPENAI_METADATA.contains(k)) out.put(k, v);
        });
        return out;
    }

    /**
     * For a checkpoint in OpenAI naming, each OpenAI name with the name it has in the file: what
     * {@link #toOpenAi} does to such a dict (the {@code module.} prefix removed, the JIT archives'
     * scalars dropped), on names alone.
     */
    public static Map<String, String> openAiKeys(Collection<String> fileKeys) {
        Map<String, String> identity = new LinkedHashMap<>();
        for (String k : fileKeys) identity.put(k, k);
        Map<String, String> out = new LinkedHashMap<>();
        stripModulePrefix(identity).forEach((k, inFile) -> {
            if (!OPENAI_METADATA.contains(k)) out.put(k, inFile);
        });
        return out;
    }

    /**
     * The state dict of a ViT CLIP in the names of Hugging Face's {@code CLIPModel}, from either
     * scheme, including the {@code text_model.embeddings.position_ids} and
     * {@code vision_model.embeddings.position_ids} buffers (I64 [1, L] = 0…L−1) that older
     * {@code transformers} versions save and load strictly. See the class comment for who owns the
     * tensors returned.
     *
     * @throws IllegalArgumentException for a ResNet CLIP (Hugging Face has none), or a key with no
     *     Hugging Face counterpart (naming it)
     */
    public static Map<String, Tensor> toHuggingFace(Map<String, Tensor> state) {
        Map<String, Tensor> s = stripModulePrefix(state);
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            // A Hugging Face dict goes through OpenAI names (validating it, adding missing position_ids);
            // the intermediate copies belong to this scope and are released with it.
            Map<String, Tensor> openai = toOpenAi(s);
            List<String> resnet = openai.keySet().stream().filter(k -> k.startsWith("visual.") && RESNET.matcher(k).find()).toList();
            if (!resnet.isEmpty())
                throw new IllegalArgumentException("Hugging Face transformers has no ResNet CLIP (its CLIPVisionModel is a ViT), "
                        + "but this checkpoint has a ModifiedResNet image tower (" + sample(resnet) + "); keep it in OpenAI/open_clip naming");

            Map<String, Tensor> out = new LinkedHashMap<>();
            List<Tensor> created = new ArrayList<>();
            List<String> unknown = new ArrayList<>();
            for (var e : openai.entrySet()) {
                String key = e.getKey();
                Tensor t = e.getValue();
                String renamed = RENAMED_INVERSE.get(key);
                if (renamed != null) {
                    out.put(renamed, t);
                    String ids = POSITION_IDS_INVERSE.get(key);
                    if (ids != null) out.put(ids, track(created, positionIds(key, t)));
                    continue;
                }
                String transposed = TRANSPOSED_INVERSE.get(key);
                if (transposed != null) {
                    out.put(transposed, track(created, transposedCopy(key, t)));
                    continue;
                }
                Matcher m = OPENAI_LAYER.matcher(key);
                if (m.matches()) {
                    String prefix = (m.group(1) == null ? "text_model" : "vision_model") + ".encoder.layers." + m.group(2) + ".";
                    String rest = m.group(3);
                    String sub = LAYER_RENAMED_INVERSE.get(rest);
                    if (sub != null) {
                        out.put(prefix + sub, t);
                        continue;
                    }
                    if (rest.equals("attn.in_proj_weight") || rest.equals("attn.in_proj_bias")) {
                        String param = rest.endsWith("weight") ? "weight" : "bias";
                        if (t.ndim() != (param.equals("weight") ? 2 : 1) || t.size(0) % 3 != 0)
                            throw new IllegalArgumentException(key + " has shape " + java.util.Arrays.toString(t.shape())
                                    + ", not q, k and v stacked along dim 0");
                        int width = t.size(0) / 3;
                        for (int i = 0; i < 3; i++) {
                            Tensor part = t.narrow(0, i * width, width);
                            out.put(prefix + "self_attn." + "qkv".charAt(i) + "_proj." + param, track(created, part.copy()));
                            part.close();
                        }
                        continue;
                    }
                }
                unknown.add(key);
            }
            if (!unknown.isEmpty())
                throw new IllegalArgumentException(unknown.size() + " key(s) have no counterpart in Hugging Face's CLIPModel: "
                        + sample(unknown));
            for (Tensor t : created) scope.keep(t);
            return out;
        }
    }

    /** Hugging Face → OpenAI; every key must be known. */
    private static Map<String, Tensor> fromHuggingFace(Map<String, Tensor> s) {
        try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            Map<String, Tensor[]> qkv = new LinkedHashMap<>(); // OpenAI in_proj key → {q, k, v}
            Map<String, String> qkvSource = new LinkedHashMap<>(); // OpenAI in_proj key → the Hugging Face q key
            List<Tensor> created = new ArrayList<>();
            List<String> unknown = new ArrayList<>(), resnet = new ArrayList<>();
            for (var e : s.entrySet()) {
                String key = e.getKey();
                Tensor t = e.getValue();
                String renamed = RENAMED.get(key);
                if (renamed != null) {
                    out.put(renamed, t);
                    continue;
                }
                String transposed = TRANSPOSED.get(key);
                if (transposed != null) {
                    out.put(transposed, track(created, transposedCopy(key, t)));
                    continue;
                }
                if (POSITION_IDS.containsKey(key)) continue; // a buffer the original lacks
                Matcher m = HF_LAYER.matcher(key);
                if (m.matches()) {
                    String prefix = (m.group(1).equals("text_model") ? "" : "visual.") + "transformer.resblocks." + m.group(2) + ".";
                    String rest = m.group(3);
                    String sub = LAYER_RENAMED.get(rest);
                    if (sub != null) {
                        out.put(prefix + sub, t);
                        continue;
                    }
                    Matcher p = HF_QKV.matcher(rest);
                    if (p.matches()) {
                        String target = prefix + "attn.in_proj_" + p.group(2);
                        qkv.computeIfAbsent(target, x -> new Tensor[3])["qkv".indexOf(p.group(1))] = t;
                        qkvSource.putIfAbsent(target, m.group(1) + ".encoder.layers." + m.group(2) + ".self_attn.*_proj." + p.group(2));
                        out.put(target, null); // holds the position; filled below
                        continue;
                    }
                }
                (RESNET.matcher(key).find() ? resnet : unknown).add(key);
            }
            if (!resnet.isEmpty())
                throw new IllegalArgumentException("Hugging Face transformers has no ResNet CLIP (its CLIPVisionModel is a ViT), "
                        + "but this Hugging Face-named checkpoint has ResNet image-tower keys: " + sample(resnet)
                        + "; a ResNet CLIP loads only in OpenAI/open_clip naming");
            if (!unknown.isEmpty())
                throw new IllegalArgumentException(unknown.size() + " key(s) of this Hugging Face-named checkpoint have no "
                        + "counterpart in OpenAI CLIP naming: " + sample(unknown));
            for (var e : qkv.entrySet()) {
                Tensor[] parts = e.getValue();
                String source = qkvSource.get(e.getKey());
                for (int i = 0; i < 3; i++)
                    if (parts[i] == null)
                        throw new IllegalArgumentException("checkpoint has no " + source.replace("*", String.valueOf("qkv".charAt(i)))
                                + " but has the other projections of that attention layer");
                for (int i = 1; i < 3; i++)
                    if (!java.util.Arrays.equals(parts[i].shape(), parts[0].shape()) || parts[i].dtype() != parts[0].dtype())
                        throw new IllegalArgumentException(source + ": q, k and v differ in shape or dtype ("
                                + parts[0] + ", " + parts[1] + ", " + parts[2] + ")");
                out.put(e.getKey(), track(created, Tensor.cat(List.of(parts), 0)));
            }
            for (Tensor t : created) scope.keep(t);
            return out;
        }
    }

    private static Tensor track(List<Tensor> created, Tensor t) {
        created.add(t);
        return t;
    }

    private static Tensor transposedCopy(String key, Tensor t) {
        if (t.ndim() != 2)
            throw new IllegalArgumentException(key + " must be a matrix, got shape " + java.util.Arrays.toString(t.shape()));
        Tensor view = t.transpose(0, 1);
        try {
            return view.copy();
        } finally {
            view.close();
        }
    }

    /** I64 [1, L] = 0…L−1 for a positional embedding [L, width]. */
    private static Tensor positionIds(String key, Tensor embedding) {
        if (embedding.ndim() != 2)
            throw new IllegalArgumentException(key + " must be [positions, width], got shape " + java.util.Arrays.toString(embedding.shape()));
        int length = embedding.size(0);
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) ids[i] = i;
        return Tensor.fromHost(ids, DType.I64, 1, length);
    }

    /** The dict without open_clip's DDP {@code module.} prefix when every key has it, else the dict itself. */
    static <V> Map<String, V> stripModulePrefix(Map<String, V> state) {
        if (state.isEmpty() || !state.keySet().stream().allMatch(k -> k.startsWith(MODULE_PREFIX))) return state;
        Map<String, V> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k.substring(MODULE_PREFIX.length()), v));
        return out;
    }

    /** A few of the names, for messages. */
    static String sample(Collection<String> keys) {
        List<String> first = keys.stream().limit(5).toList();
        return String.join(", ", first) + (keys.size() > first.size() ? " (and " + (keys.size() - first.size()) + " more)" : "");
    }
}
