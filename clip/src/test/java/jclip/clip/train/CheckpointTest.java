package jclip.clip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a resume finds in a checkpoint folder: leftovers of killed writes, damaged checkpoints, the recorded settings. */
class CheckpointTest {
    @TempDir
    Path dir;

    static TrainOptions options(int steps, int batchSize, double lr) {
        return new TrainOptions(steps, batchSize, lr, 2, 0.1, 1.0, 1, 1, 5, 9, Path.of("out"), TrainOptions.Precision.FLOAT32, false);
    }

    private void saveSteps(int... steps) throws IOException {
        try (ClipModel m = new ClipModel(ClipConfig.vit(16, 16, 8, 64, 1, 4, 520, 64, 1), new Rng(1))) {
            for (int s : steps) Checkpoint.save(dir, m, Map.of(), new Checkpoint.State(s, 0, 8L * s, options(10, 4, 1e-3).resumeRecord()));
        }
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void leftoversOfKilledWritesAreRemoved() throws IOException {
        saveSteps(1);
        Files.createDirectories(dir.resolve(".step-00000002.partial-8812"));
        Files.writeString(dir.resolve(".step-00000002.partial-8812/model.safetensors"), "as large as a checkpoint");
        Files.writeString(dir.resolve(".latest4711.tmp"), "step-00000002\n");
        Checkpoint.removeLeftovers(dir);
        assertEquals(List.of("latest", "step-00000001"), names());
    }

    @Test
    void aDamagedLatestGivesTheNewestIntactCheckpointAndSaysWhich() throws IOException {
        saveSteps(1, 2, 3);
        Path three = dir.resolve("step-00000003/model.safetensors");
        Files.write(three, Arrays.copyOf(Files.readAllBytes(three), 200));
        Files.delete(dir.resolve("step-00000002/trainer.safetensors"));
        IOException e = assertThrows(IOException.class, () -> Checkpoint.latest(dir));
        assertTrue(e.getMessage().contains("names " + dir.resolve("step-00000003") + ", which is damaged"), e.getMessage());

        List<String> warnings = new ArrayList<>();
        assertEquals(dir.resolve("step-00000001"), Checkpoint.resumable(dir, warnings::add));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("step-00000003, which is damaged")
                && warnings.get(0).endsWith("resuming from " + dir.resolve("step-00000001") + ", the newest intact checkpoint"), warnings.get(0));

        Files.delete(dir.resolve("step-00000001/model.safetensors"));
        IOException none = assertThrows(IOException.class, () -> Checkpoint.resumable(dir, warnings::add));
        assertTrue(none.getMessage().endsWith("and no other checkpoint in " + dir + " is intact"), none.getMessage());
        assertNull(Checkpoint.resumable(dir.resolve("absent"), warnings::add));
    }

    @Test
    void aResumeKeepsTheRecordedSettingsAndAnOldCheckpointWithoutThemStillResumes() {
        Path folder = Path.of("checkpoints/step-00000004");
        Checkpoint.State recorded = new Checkpoint.State(4, 0, 32, options(10, 4, 1e-3).resumeRecord());
        assertEquals(List.of(), options(10, 4, 1e-3).checkResume(recorded, folder));
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class, () -> options(10, 8, 1e-3).checkResume(recorded, folder));
        assertTrue(batch.getMessage().startsWith("--resume: --batch-size 8 differs from the 4 of the run checkpointed in " + folder),
                batch.getMessage());
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class, () -> options(10, 4, 2e-3).checkResume(recorded, folder));
        assertTrue(lr.getMessage().contains("--lr 0.002 differs from the 0.001"), lr.getMessage());
        List<String> longer = options(20, 4, 1e-3).checkResume(recorded, folder);
        assertEquals(1, longer.size());
        assertTrue(longer.get(0).startsWith("--steps 20 instead of the checkpointed run's 10"), longer.get(0));
        IllegalArgumentException done = assertThrows(IllegalArgumentException.class, () -> options(4, 4, 1e-3).checkResume(recorded, folder));
        assertTrue(done.getMessage().contains("--steps 4 is not beyond the checkpoint's step 4"), done.getMessage());

        Map<String, String> old = new HashMap<>(Map.of("seed", "9", "config", "{}")); // what checkpoints recorded before
        assertEquals(List.of(), options(10, 8, 5e-3).checkResume(new Checkpoint.State(4, 0, 32, old), folder));
        old.put("seed", "10");
        assertThrows(IllegalArgumentException.class, () -> options(10, 4, 1e-3).checkResume(new Checkpoint.State(4, 0, 32, old), folder));
    }
}
