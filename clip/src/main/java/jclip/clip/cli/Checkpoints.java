package jclip.clip.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jclip.clip.ClipTokenizer;
import jclip.clip.train.Checkpoint;

/** Finds the model file and tokenizer of what a user names: a file, a checkpoint folder or a run folder. */
final class Checkpoints {
    static final String TOKENIZER_FILE = "tokenizer.txt.gz";

    private Checkpoints() {}

    static Path modelFile(Path given) throws IOException {
        if (!Files.exists(given)) throw new NoSuchFileException(given.toString());
        if (Files.isRegularFile(given)) return given;
        if (Files.isRegularFile(given.resolve(Checkpoint.MODEL_FILE))) return given.resolve(Checkpoint.MODEL_FILE);
        Path latest = Checkpoint.latest(given.resolve("checkpoints"));
        if (latest == null) latest = Checkpoint.latest(given);
        if (latest == null) throw new IOException(given + " holds no model.safetensors and no checkpoints/latest");
        return latest.resolve(Checkpoint.MODEL_FILE);
    }

    /** The tokenizer given, else the one saved in the run folder the model file belongs to. */
    static ClipTokenizer tokenizer(Path given, Path modelFile) throws IOException {
        if (given != null) return ClipTokenizer.load(given);
        for (Path dir = modelFile.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            Path t = dir.resolve(TOKENIZER_FILE);
            if (Files.isRegularFile(t)) return ClipTokenizer.load(t);
            if (Files.exists(dir.resolve("metrics.jsonl"))) break;
        }
        throw new IllegalArgumentException("no tokenizer: give --tokenizer (e.g. the original bpe_simple_vocab_16e6.txt.gz) "
                + "or keep " + TOKENIZER_FILE + " in the run folder of " + modelFile);
    }
}
