package jclip.clip;

import java.util.Map;

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
public enum WeightNaming {
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
    public static WeightNaming detect(Map<String, ?> state) {
        boolean openai = false;
        for (String key : WeightNames.stripModulePrefix(state).keySet()) {
            if (isHuggingFaceKey(key)) return HUGGING_FACE;
            if (isOpenAiKey(key)) openai = true;
        }
        if (openai) return OPENAI;
        throw new IllegalArgumentException("not a CLIP checkpoint in OpenAI/open_clip or Hugging Face naming: none of its "
                + state.size() + " keys is a CLIP weight name (first keys: " + WeightNames.sample(state.keySet()) + ")");
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
