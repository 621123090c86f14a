package jclip.clip.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import jclip.clip.model.ClipConfig;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.train.Checkpoint;

/** Finds the model file and tokenizer of what a user names: a file, a checkpoint folder or a run folder. */
final class Checkpoints {
    static final String TOKENIZER_FILE = "tokenizer.txt.gz";

    private Checkpoints() {}

    static Path modelFile(Path given) throws IOException {
        if (!Files.exists(given)) throw new NoSuchFileException(given.toString());
        if (Files.isRegularFile(given)) return given;
        if (Files.isRegularFile(given.resolve(Checkpoint.MODEL_FILE))) return given.resolve(Checkpoint.MODEL_FILE);
        Path dir = Files.isDirectory(given.resolve("checkpoints")) ? given.resolve("checkpoints") : given;
        Path latest;
        try {
            latest = Checkpoint.latest(dir);
        } catch (IOException damaged) {
            Path intact = Checkpoint.newestIntact(dir);
            if (intact == null) throw damaged;
            throw new IOException(damaged.getMessage() + "; the newest intact checkpoint is " + intact + " (name it with --checkpoint)", damaged);
        }
        if (latest == null) throw new IOException(given + " holds no model.safetensors and no checkpoints/latest");
        return latest.resolve(Checkpoint.MODEL_FILE);
    }

    /**
     * The tokenizer given, else the one saved in the run folder the model file belongs to; refused
     * unless its vocabulary is the model's (a larger one gives ids past the embedding table, a
     * smaller one other tokens than the model learned, silently).
     */
    static ClipTokenizer tokenizer(Path given, Path modelFile, ClipConfig config) throws IOException {
        Path file = given != null ? given : savedTokenizer(modelFile);
        ClipTokenizer tok = ClipTokenizer.load(file);
        if (tok.vocabSize() != config.vocabSize())
            throw new IllegalArgumentException("the tokenizer " + file + " has a vocabulary of " + tok.vocabSize() + " tokens, the model "
                    + modelFile + " one of " + config.vocabSize() + ": give the tokenizer the model was trained with (--tokenizer)");
        return tok;
    }

    private static Path savedTokenizer(Path modelFile) {
        for (Path dir = modelFile.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            Path t = dir.resolve(TOKENIZER_FILE);
            if (Files.isRegularFile(t)) return t;
            if (Files.exists(dir.resolve("metrics.jsonl"))) break;
        }
        throw new IllegalArgumentException("no tokenizer: give --tokenizer (e.g. the original bpe_simple_vocab_16e6.txt.gz) "
                + "or keep " + TOKENIZER_FILE + " in the run folder of " + modelFile);
    }

    /** A merges file's text as bytes, gunzipped if it is gzip: a plain file and its .gz copy compare equal. */
    static byte[] tokenizerText(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 2 || (bytes[0] & 0xFF) != 0x1F || (bytes[1] & 0xFF) != 0x8B) return bytes;
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        }
    }

    /** Keeps a copy of a merges file as a run's tokenizer.txt.gz, compressing a plain one (a .gz must be gzip). */
    static void saveTokenizer(Path from, Path to) throws IOException {
        byte[] bytes = Files.readAllBytes(from);
        boolean gzip = bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B;
        try (var out = Files.newOutputStream(to); var packed = gzip ? out : new java.util.zip.GZIPOutputStream(out)) {
            packed.write(bytes);
        }
    }
}
