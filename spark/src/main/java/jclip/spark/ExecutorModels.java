package jclip.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import jclip.clip.ClipEmbedder;
import jclip.tensor.Device;
import org.apache.spark.SparkFiles;

/**
 * The embedders of this JVM: one per (checkpoint, tokenizer, device, batch size), loaded by the
 * first task that needs it and shared by every later task of every job in the JVM. An executor
 * runs several tasks at once, one per core; they all hand their batches to the same
 * {@link ClipEmbedder}, whose single worker runs the model, so an executor holds one copy of the
 * weights (one per GPU with {@code --device cuda}).
 */
final class ExecutorModels {
    private record Key(String checkpoint, String tokenizer, Device device, int batchSize) {}

    /** Loads once; a failed load is not remembered, so a later task tries again. */
    private static final class Slot {
        private ClipEmbedder embedder;

        synchronized ClipEmbedder get(Key key) {
            if (embedder == null) {
                try {
                    Path tokenizer = key.tokenizer == null ? null : locate(key.tokenizer, "--tokenizer");
                    embedder = ClipEmbedder.load(locate(key.checkpoint, "--checkpoint"), tokenizer, key.device, key.batchSize);
                } catch (IOException e) {
                    throw new UncheckedIOException("--checkpoint " + key.checkpoint + ": " + e.getMessage(), e);
                }
                loads.incrementAndGet();
            }
            return embedder;
        }

        synchronized void close() {
            if (embedder != null) embedder.close();
            embedder = null;
        }
    }

    private static final ConcurrentHashMap<Key, Slot> slots = new ConcurrentHashMap<>();
    private static final AtomicInteger loads = new AtomicInteger();

    private ExecutorModels() {}

    /** The embedder for the spec on the running task's device ({@link TaskDevice}). */
    static ClipEmbedder embedder(ModelSpec spec) {
        Key key = new Key(spec.checkpoint(), spec.tokenizer(), TaskDevice.resolve(spec.device()), spec.batchSize());
        return slots.computeIfAbsent(key, k -> new Slot()).get(key);
    }

    /** Models loaded in this JVM so far (the test checks that tasks share them). */
    static int loads() {
        return loads.get();
    }

    /** The devices of the models loaded in this JVM ("cpu", "cuda:0", ...). */
    static List<String> devices() {
        return slots.keySet().stream().map(k -> k.device().toString()).toList();
    }

    /** Closes every embedder of this JVM: for a driver that is also the executor (local mode) when its jobs are done. */
    static void closeAll() {
        List<Slot> all = new ArrayList<>(slots.values());
        slots.clear();
        all.forEach(Slot::close);
    }

    /**
     * The file as given when this machine has it (a shared file system), else the copy Spark
     * shipped here with {@code spark-submit --files} under the same file name.
     */
    static Path locate(String given, String flag) {
        Path path = Path.of(given);
        if (Files.isRegularFile(path)) return path;
        Path shipped = Path.of(SparkFiles.get(path.getFileName().toString()));
        if (Files.isRegularFile(shipped)) return shipped;
        throw new IllegalArgumentException(flag + " " + given + ": no such file on this executor, nor shipped with spark-submit --files");
    }
}
