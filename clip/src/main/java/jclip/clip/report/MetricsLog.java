package jclip.clip.report;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import jclip.clip.train.Trainer;

/** metrics.jsonl: one JSON object per training step, appended and flushed as it happens. */
public final class MetricsLog implements Trainer.Listener, AutoCloseable {
    private static final Gson GSON = new Gson();
    private final BufferedWriter out;
    private final List<Trainer.StepMetrics> history = new ArrayList<>();

    /**
     * Drops the lines of steps after {@code step} from an existing log: a run resumed from a
     * checkpoint logs those steps again.
     */
    public static void truncateAfter(Path file, int step) throws IOException {
        if (!Files.exists(file)) return;
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            if (GSON.fromJson(line, JsonObject.class).get("step").getAsInt() <= step) kept.add(line);
        }
        Files.write(file, kept, StandardCharsets.UTF_8);
    }

    public MetricsLog(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Override
    public void onStep(Trainer.StepMetrics m) {
        history.add(m);
        JsonObject o = new JsonObject();
        o.addProperty("step", m.step());
        o.addProperty("epoch", m.epoch());
        o.addProperty("loss", m.loss());
        o.addProperty("lr", m.learningRate());
        o.addProperty("logit_scale", m.logitScale());
        if (!Double.isNaN(m.gradNorm())) o.addProperty("grad_norm", m.gradNorm());
        o.addProperty("images_per_second", m.imagesPerSecond());
        try {
            out.write(GSON.toJson(o));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing metrics", e);
        }
    }

    /** The steps seen by this log (not those of an earlier run in the same file). */
    public List<Trainer.StepMetrics> history() {
        return history;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
