package jclip.clip.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jclip.clip.model.ClipConfig;

/** Named model sizes for --model, or a JSON file in the original build_model argument format. */
public final class ModelPresets {
    private ModelPresets() {}

    static final String HELP = "tiny (demo: 32 px, patch 8), fmnist (28 px, patch 7; 0.8 M parameters), "
            + "fmnist-wide (28 px, patch 7, width 256 x 4), vit-b-32, or a JSON config file";

    /** A configuration whose vocabulary size is that of the tokenizer in use. */
    public static ClipConfig resolve(String name, int vocabSize, int contextLength) throws IOException {
        return switch (name) {
            case "tiny" -> ClipConfig.vit(64, 32, 8, 128, 2, contextLength, vocabSize, 128, 2);
            case "fmnist" -> ClipConfig.vit(64, 28, 7, 128, 2, contextLength, vocabSize, 128, 2);
            case "fmnist-wide" -> ClipConfig.vit(128, 28, 7, 256, 4, contextLength, vocabSize, 128, 2);
            case "vit-b-32" -> ClipConfig.vit(512, 224, 32, 768, 12, contextLength, vocabSize, 512, 12);
            default -> {
                Path p = Path.of(name);
                if (!Files.isRegularFile(p)) throw new IllegalArgumentException("--model '" + name + "' is not one of: " + HELP);
                ClipConfig c;
                try {
                    c = ClipConfig.fromJson(Files.readString(p));
                } catch (IllegalArgumentException | java.nio.charset.MalformedInputException e) {
                    throw new IllegalArgumentException("--model " + p + ": " + e.getMessage(), e);
                }
                yield new ClipConfig(c.embedDim(), c.imageResolution(), c.visionLayers(), c.visionWidth(), c.visionPatchSize(),
                        contextLength, vocabSize, c.transformerWidth(), c.transformerHeads(), c.transformerLayers());
            }
        };
    }
}
