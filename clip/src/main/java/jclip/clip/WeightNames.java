package jclip.clip;

import java.util.Map;
import jclip.tensor.Tensor;

/** Recognises the naming scheme of a CLIP checkpoint and maps it to the OpenAI names. */
final class WeightNames {
    private WeightNames() {}

    static Map<String, Tensor> toOpenAi(Map<String, Tensor> state) {
        if (state.containsKey("text_projection") || state.containsKey("logit_scale") && !state.containsKey("text_projection.weight"))
            return state;
        throw new IllegalArgumentException("unrecognised checkpoint naming: no OpenAI 'text_projection' key (first keys: "
                + state.keySet().stream().limit(5).toList() + ")");
    }
}
