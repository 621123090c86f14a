package jclip.clip.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A train command's --out folder, which holds one run: its tokenizer, metrics.jsonl, charts/
 * and checkpoints/. A fresh run in a folder that holds another would append to its metrics and
 * re-point its checkpoints/latest, so it is refused unless --overwrite deletes the old run first.
 */
final class RunFolder {
    static final String METRICS = "metrics.jsonl";
    private static final List<String> WRITTEN = List.of(METRICS, "checkpoints", "charts", Checkpoints.TOKENIZER_FILE);

    private final Path dir;

    RunFolder(Path dir) {
        this.dir = dir;
    }

    Path metrics() {
        return dir.resolve(METRICS);
    }

    Path tokenizer() {
        return dir.resolve(Checkpoints.TOKENIZER_FILE);
    }

    /** Refuses an --out that is a file. */
    void checkIsFolder() {
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new IllegalArgumentException("--out " + dir + " is a file, not a run folder");
    }

    /**
     * Refuses to start a new run here while the folder holds steps or checkpoints of another,
     * unless overwrite. A tokenizer or charts alone (a run that stopped before its first step) are
     * no run: a new one replaces them.
     */
    void checkFresh(boolean overwrite) throws IOException {
        checkIsFolder();
        List<String> found = new ArrayList<>();
        if (Files.isRegularFile(metrics()) && Files.size(metrics()) > 0) found.add(METRICS);
        Path checkpoints = dir.resolve("checkpoints");
        if (Files.isDirectory(checkpoints)) {
            try (Stream<Path> s = Files.list(checkpoints)) {
                if (s.findAny().isPresent()) found.add("checkpoints/");
            }
        }
        if (!found.isEmpty() && !overwrite)
            throw new IllegalArgumentException("--out " + dir + " already holds a run (" + String.join(", ", found)
                    + "): give --resume to continue it, --overwrite to replace it, or another --out");
    }

    /** Deletes what a run writes (metrics, checkpoints, charts, tokenizer); other files in the folder stay. */
    void clear() throws IOException {
        for (String name : WRITTEN) {
            Path p = dir.resolve(name);
            if (!Files.exists(p)) continue;
            try (Stream<Path> s = Files.walk(p)) {
                s.sorted(Comparator.reverseOrder()).forEach(q -> {
                    try {
                        Files.delete(q);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot delete " + q, e);
                    }
                });
            }
        }
    }
}
