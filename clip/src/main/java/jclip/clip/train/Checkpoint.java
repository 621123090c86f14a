package jclip.clip.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;

/**
 * A training checkpoint: a folder {@code step-NNNNNNNN} holding {@code model.safetensors} (the
 * weights in OpenAI naming, readable by open_clip-style code) and {@code trainer.safetensors}
 * (optimizer moments; step, epoch and data position as metadata). The folder is written under a
 * temporary name and renamed, then the file {@code latest} is replaced the same way, so a crash
 * at any moment leaves the previous checkpoint complete and {@code latest} pointing at it (and a
 * temporary folder that {@link #removeLeftovers} deletes). The trainer's metadata also records the
 * settings a resumed run must keep ({@link TrainOptions#resumeRecord()}).
 */
public final class Checkpoint {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String TRAINER_FILE = "trainer.safetensors";
    private static final String LATEST = "latest";

    private Checkpoint() {}

    /** What a resumed run needs besides the tensors. */
    public record State(int step, int epoch, long position, Map<String, String> extra) {}

    /** Writes a checkpoint for state into dir and points latest at it; returns its folder. */
    public static Path save(Path dir, ClipModel model, Map<String, Tensor> optimizer, State state) throws IOException {
        return save(dir, model, optimizer, state, () -> {});
    }

    /** As save; afterModel runs between the two files (tests use it to simulate a crash). */
    static Path save(Path dir, ClipModel model, Map<String, Tensor> optimizer, State state, Runnable afterModel) throws IOException {
        Files.createDirectories(dir);
        String name = String.format("step-%08d", state.step());
        Path target = dir.resolve(name);
        Path partial = Files.createTempDirectory(dir, "." + name + ".partial-");
        try {
            model.save(partial.resolve(MODEL_FILE));
            afterModel.run();
            Map<String, String> meta = new LinkedHashMap<>(state.extra());
            meta.put("step", Integer.toString(state.step()));
            meta.put("epoch", Integer.toString(state.epoch()));
            meta.put("position", Long.toString(state.position()));
            meta.put("config", model.config().toJson());
            SafeTensors.save(partial.resolve(TRAINER_FILE), optimizer, meta);
            if (Files.exists(target)) deleteTree(target);
            move(partial, target);
        } catch (IOException | RuntimeException e) {
            deleteTree(partial);
            throw e;
        }
        Path tmp = Files.createTempFile(dir, ".latest", ".tmp");
        Files.writeString(tmp, name + "\n", StandardCharsets.UTF_8);
        move(tmp, dir.resolve(LATEST));
        return target;
    }

    /** The folder latest points at, or null when dir holds no checkpoint; an IOException names a damaged one. */
    public static Path latest(Path dir) throws IOException {
        Path pointer = dir.resolve(LATEST);
        if (!Files.exists(pointer)) return null;
        Path folder = dir.resolve(Files.readString(pointer, StandardCharsets.UTF_8).trim());
        String damage = damage(folder);
        if (damage != null) throw new IOException(pointer + " names " + folder + ", which is damaged: " + damage);
        return folder;
    }

    /**
     * The checkpoint to resume from: the one latest names, or when that one is damaged (a disk
     * error, a file truncated or deleted by hand) the newest intact one, which warnings hears
     * about with the reason. Null when dir holds no checkpoint at all.
     *
     * @throws IOException if latest names a damaged checkpoint and no other is intact
     */
    public static Path resumable(Path dir, Consumer<String> warnings) throws IOException {
        try {
            Path latest = latest(dir);
            if (latest != null || !Files.isDirectory(dir)) return latest;
        } catch (IOException damaged) {
            Path intact = newestIntact(dir);
            if (intact == null) throw new IOException(damaged.getMessage() + ", and no other checkpoint in " + dir + " is intact", damaged);
            warnings.accept(damaged.getMessage() + "; resuming from " + intact + ", the newest intact checkpoint");
            return intact;
        }
        Path intact = newestIntact(dir); // a run killed between its first checkpoint and the pointer to it
        if (intact != null) warnings.accept(dir.resolve(LATEST) + " is missing; resuming from " + intact + ", the newest intact checkpoint");
        return intact;
    }

    /** The newest step folder of dir whose two files are intact, or null. */
    public static Path newestIntact(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Checkpoint::isStepFolder).sorted(Comparator.comparing(Path::toString).reversed()).toList())
                if (damage(p) == null) return p;
        }
        return null;
    }

    /** Why folder is not a complete checkpoint, or null: both files there, with headers that match their lengths. */
    static String damage(Path folder) {
        for (String file : new String[] {MODEL_FILE, TRAINER_FILE}) {
            Path f = folder.resolve(file);
            if (!Files.isRegularFile(f)) return file + " is missing";
            try {
                SafeTensors.metadata(f); // validates the whole header against the file's length
            } catch (IOException | RuntimeException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    /**
     * Deletes what killed checkpoint writes leave in dir: {@code .step-N.partial-*} folders and
     * {@code .latest*.tmp} files. They are never what latest names, and each partial folder can
     * be as large as a checkpoint. Call it when no other process writes checkpoints there.
     */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.matches("\\.step-\\d{8}\\.partial-.*") || name.matches("\\.latest.*\\.tmp")) deleteTree(p);
            }
        }
    }

    private static boolean isStepFolder(Path p) {
        return p.getFileName().toString().matches("step-\\d{8}") && Files.isDirectory(p);
    }

    /** Reads the state metadata of a checkpoint folder. */
    public static State readState(Path folder) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(SafeTensors.metadata(folder.resolve(TRAINER_FILE)));
        try {
            int step = Integer.parseInt(meta.remove("step"));
            int epoch = Integer.parseInt(meta.remove("epoch"));
            long position = Long.parseLong(meta.remove("position"));
            return new State(step, epoch, position, meta);
        } catch (RuntimeException e) {
            throw new IOException(folder.resolve(TRAINER_FILE) + ": missing or bad step/epoch/position metadata", e);
        }
    }

    public static ClipConfig readConfig(Path folder) throws IOException {
        String json = SafeTensors.metadata(folder.resolve(MODEL_FILE)).get("config");
        if (json == null) throw new IOException(folder.resolve(MODEL_FILE) + ": no \"config\" metadata");
        return ClipConfig.fromJson(json);
    }

    /** Deletes checkpoint folders of dir beyond the newest keep (never the one latest names). */
    public static void prune(Path dir, int keep) throws IOException {
        Path current = latest(dir);
        try (Stream<Path> s = Files.list(dir)) {
            var old = s.filter(Checkpoint::isStepFolder)
                    .sorted(Comparator.comparing(Path::toString).reversed()).skip(keep).toList();
            for (Path p : old) if (!p.equals(current)) deleteTree(p);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
