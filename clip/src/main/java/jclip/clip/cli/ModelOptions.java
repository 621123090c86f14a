package jclip.clip.cli;

import java.io.IOException;
import java.nio.file.Path;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import picocli.CommandLine.Option;

/** --checkpoint and --tokenizer, shared by the commands that use a trained model. */
final class ModelOptions {
    @Option(names = "--checkpoint", required = true, description = "A model file, checkpoint folder or run folder.")
    Path checkpoint;

    @Option(names = "--tokenizer", description = "BPE merges file (default: the run folder's tokenizer.txt.gz).")
    Path tokenizer;

    Path modelFile() throws IOException {
        return Checkpoints.modelFile(checkpoint);
    }

    /** The model in evaluation mode. */
    ClipModel load() throws IOException {
        return ClipModel.load(modelFile()).eval();
    }

    /** The tokenizer for the loaded model, refused when its vocabulary is not the model's. */
    ClipTokenizer tokenizer(ClipModel model) throws IOException {
        return Checkpoints.tokenizer(tokenizer, modelFile(), model.config());
    }
}
