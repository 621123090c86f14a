package jclip.clip.model;

/**
 * Which towers a {@link ClipModel} holds. A service that only embeds images has no use for the text
 * tower's weights (about 40 % of ViT-B/32's), and one that only embeds texts none for the image
 * tower's; loading just one is what ONNX exports of CLIP do too (a visual and a text graph).
 */
public enum Towers {
    IMAGE_AND_TEXT,
    IMAGE,
    TEXT;

    boolean image() {
        return this != TEXT;
    }

    boolean text() {
        return this != IMAGE;
    }

    /** Whether a weight in OpenAI naming belongs to a tower held (logit_scale belongs to both). */
    boolean holds(String openAiKey) {
        if (openAiKey.equals("logit_scale")) return true;
        return openAiKey.startsWith("visual.") ? image() : text();
    }
}
