package jclip.clip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.text.ShapesTokenizer;
import jclip.clip.data.DataLoader;
import jclip.clip.data.Preprocess;
import jclip.clip.data.ShapesDataset;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.Device;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static final int RES = 16;
    static ClipTokenizer tokenizer;
    static ShapesDataset data = ShapesDataset.train(5, 96, RES);

    @BeforeAll
    static void learnTokenizer(@TempDir Path dir) {
        tokenizer = ShapesTokenizer.learn(data, dir);
    }

    static ClipModel model() {
        return new ClipModel(ClipConfig.vit(16, RES, 8, 64, 1, 12, tokenizer.vocabSize(), 64, 1), new Rng(3));
    }

    static Batches batches(int batchSize) {
        return (epoch, skip) -> DataLoader.builder(data).preprocess(Preprocess.eval(RES)).batchSize(batchSize).seed(9)
                .epoch(epoch).skip(skip).dropLast(true).threads(2).build();
    }

    static TrainOptions options(Path out, int steps, int checkpointEvery, double lr) {
        return options(out, steps, checkpointEvery, lr, TrainOptions.Precision.FLOAT32);
    }

    static TrainOptions options(Path out, int steps, int checkpointEvery, double lr, TrainOptions.Precision precision) {
        return new TrainOptions(steps, 16, lr, 2, 0.1, 1.0, 1, checkpointEvery, 5, 9, out, precision, false);
    }

    /** The losses of 4 steps at lr 1e-3 on the given device and precision; the weights stay float32 throughout. */
    static List<Double> run4Steps(Path out, Device device, TrainOptions.Precision precision) throws Exception {
        try (ClipModel m = model().to(device);
                Trainer t = new Trainer(m, tokenizer, batches(16), options(out, 4, 0, 1e-3, precision), new Trainer.Listener() {})) {
            List<Double> losses = t.run();
            for (var e : m.namedParameters().entrySet()) assertEquals(DType.F32, e.getValue().dtype(), e.getKey());
            return losses;
        }
    }

    /**
     * bf16 mixed precision follows the float32 run within a few percent over steps of forward,
     * backward and AdamW on the float32 master weights, without matching it exactly: the products
     * really ran on rounded operands.
     */
    static void assertTracksFloat32(List<Double> float32, List<Double> bf16) {
        double largest = 0;
        for (int i = 0; i < float32.size(); i++) {
            double difference = Math.abs(bf16.get(i) - float32.get(i));
            assertTrue(difference <= 0.03 * float32.get(i), "step " + (i + 1) + ": bf16 loss " + bf16.get(i) + ", float32 " + float32.get(i));
            largest = Math.max(largest, difference / float32.get(i));
        }
        assertTrue(largest > 1e-5, "bf16 losses " + bf16 + " equal the float32 ones " + float32 + ": bf16 was not used");
    }

    @Test
    void trainingLowersTheLossOnATinySet(@TempDir Path out) throws Exception {
        // The same 16 examples every step: the contrastive loss on them must fall well below ln 16.
        ShapesDataset tiny = ShapesDataset.train(5, 16, RES);
        Batches same = (epoch, skip) -> DataLoader.builder(tiny).preprocess(Preprocess.eval(RES)).batchSize(16).seed(9)
                .epoch(0).skip(0).dropLast(true).threads(1).build();
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, same, options(out, 30, 0, 3e-3), new Trainer.Listener() {})) {
            List<Double> losses = t.run();
            assertEquals(30, losses.size());
            assertTrue(losses.get(29) < 0.6 * losses.get(0), "loss " + losses.get(0) + " -> " + losses.get(29));
            float scale = m.logitScale().item();
            assertTrue(scale >= 0 && scale <= Math.log(100) + 1e-6, "logit scale clamped: " + scale);
        }
    }

    /**
     * Training on the CUDA device (the simulated GPU in mvn verify) follows the CPU run: the same
     * losses within float tolerance over steps of forward, backward, clipping, fused AdamW and the
     * logit-scale clamp, and a checkpoint written from the device reads back as the device's weights.
     */
    @Tag("gpu")
    @Test
    void trainsOnCudaAsOnTheCpu(@TempDir Path dir) throws Exception {
        List<Double> cpu, cuda;
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir.resolve("cpu"), 4, 0, 1e-3), new Trainer.Listener() {})) {
            cpu = t.run();
        }
        try (ClipModel m = model().to(Device.cuda(0));
                Trainer t = new Trainer(m, tokenizer, batches(16), options(dir.resolve("cuda"), 4, 0, 1e-3), new Trainer.Listener() {})) {
            cuda = t.run();
            assertEquals(Device.cuda(0), m.logitScale().device());
            Map<String, Tensor> saved = SafeTensors.load(Checkpoint.latest(options(dir.resolve("cuda"), 4, 0, 1e-3).checkpointDir()).resolve("model.safetensors"));
            try {
                for (var e : m.stateDict().entrySet())
                    assertArrayEquals(e.getValue().toFloatArray(), saved.get(e.getKey()).toFloatArray(), e.getKey());
            } finally {
                saved.values().forEach(Tensor::close);
            }
        }
        for (int i = 0; i < cpu.size(); i++)
            assertEquals(cpu.get(i), cuda.get(i), 1e-4 * Math.abs(cpu.get(i)), "loss at step " + (i + 1));
    }

    @Test
    void bf16MixedPrecisionTracksFloat32(@TempDir Path dir) throws Exception {
        assertTracksFloat32(run4Steps(dir.resolve("float32"), Device.cpu(), TrainOptions.Precision.FLOAT32),
                run4Steps(dir.resolve("bf16"), Device.cpu(), TrainOptions.Precision.BF16));
    }

    /** The same on the CUDA device (cublasGemmEx with bf16 inputs), which also follows the CPU's bf16 run. */
    @Tag("gpu")
    @Test
    void bf16MixedPrecisionOnCudaTracksFloat32AndTheCpu(@TempDir Path dir) throws Exception {
        List<Double> bf16 = run4Steps(dir.resolve("bf16"), Device.cuda(0), TrainOptions.Precision.BF16);
        assertTracksFloat32(run4Steps(dir.resolve("float32"), Device.cuda(0), TrainOptions.Precision.FLOAT32), bf16);
        List<Double> cpu = run4Steps(dir.resolve("cpu"), Device.cpu(), TrainOptions.Precision.BF16);
        // Wider than float32's 1e-4 (where the two devices' gradients agree to 1e-6): their float sums
        // differ in order (and their fused attention's exp: exp2f against a polynomial), every bf16
        // cast of an activation can turn such a last-bit difference into one of 2^-8 (the first
        // step's gradients differ by 2e-4 to 3e-3 relative), and AdamW's early, nearly sign-like
        // updates carry that into the later losses. Still ten times tighter than bf16 against float32.
        for (int i = 0; i < cpu.size(); i++)
            assertEquals(cpu.get(i), bf16.get(i), 3e-3 * cpu.get(i), "bf16 loss at step " + (i + 1) + " on CUDA and on the CPU");
    }

    /** One step's loss and parameter update at the given micro-batch size and accumulation. */
    private record StepResult(double loss, Map<String, float[]> update) {}

    private static StepResult oneStep(Path out, ShapesDataset set, int batchSize, int accumulation, boolean checkpointing) throws Exception {
        Batches loader = (epoch, skip) -> DataLoader.builder(set).preprocess(Preprocess.eval(RES)).batchSize(batchSize).seed(9)
                .epoch(epoch).skip(skip).dropLast(true).threads(1).build();
        TrainOptions o = new TrainOptions(1, batchSize, 1e-3, 0, 0.1, 0, accumulation, 0, 5, 9, out,
                TrainOptions.Precision.FLOAT32, checkpointing);
        try (ClipModel m = model().gradCheckpointing(checkpointing); Trainer t = new Trainer(m, tokenizer, loader, o, new Trainer.Listener() {})) {
            Map<String, float[]> before = new java.util.TreeMap<>();
            for (var e : m.namedParameters().entrySet()) before.put(e.getKey(), e.getValue().toFloatArray());
            double loss = t.run().get(0);
            Map<String, float[]> update = new java.util.TreeMap<>();
            for (var e : m.namedParameters().entrySet()) {
                float[] after = e.getValue().toFloatArray(), was = before.get(e.getKey());
                for (int i = 0; i < after.length; i++) after[i] -= was[i];
                update.put(e.getKey(), after);
            }
            return new StepResult(loss, update);
        }
    }

    /** ‖a − b‖ over every parameter's update, relative to ‖b‖. */
    private static double relativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double diff = 0, norm = 0;
        for (var e : b.entrySet()) {
            float[] x = a.get(e.getKey()), y = e.getValue();
            for (int i = 0; i < y.length; i++) {
                diff += (double) (x[i] - y[i]) * (x[i] - y[i]);
                norm += (double) y[i] * y[i];
            }
        }
        return Math.sqrt(diff / norm);
    }

    /**
     * --accum-freq 8 at micro-batch 32 is one contrastive batch of 256: the same loss and the same
     * AdamW update (up to float32 reordering) as a step on the 256 pairs at once, while the old
     * per-micro-batch accumulation would have averaged eight losses over 32 pairs each.
     */
    @Test
    void eightMicroBatchesOf32EqualOneBatchOf256(@TempDir Path dir) throws Exception {
        ShapesDataset set = ShapesDataset.train(7, 256, RES);
        StepResult whole = oneStep(dir.resolve("whole"), set, 256, 1, false);
        StepResult accumulated = oneStep(dir.resolve("accumulated"), set, 32, 8, false);
        assertEquals(whole.loss(), accumulated.loss(), 1e-5 * whole.loss(), "loss of the effective batch");
        assertTrue(whole.loss() > Math.log(32) + 0.5, "the loss is over 256 pairs (ln 256 = 5.5), not 32: " + whole.loss());
        double difference = relativeDifference(accumulated.update(), whole.update());
        assertTrue(difference < 1e-3, "updates differ by " + difference + " relative");
    }

    /** Recomputing every transformer block in the backward changes neither the loss nor the update. */
    @Test
    void gradientCheckpointingGivesTheSameStep(@TempDir Path dir) throws Exception {
        StepResult plain = oneStep(dir.resolve("plain"), data, 16, 2, false);
        StepResult checkpointed = oneStep(dir.resolve("checkpointed"), data, 16, 2, true);
        assertEquals(plain.loss(), checkpointed.loss(), 0.0, "the forward is the same computation");
        double difference = relativeDifference(checkpointed.update(), plain.update());
        assertTrue(difference < 1e-5, "updates differ by " + difference + " relative");
    }

    @Test
    void resumedRunReproducesTheUninterruptedRunBitForBit(@TempDir Path dir) throws Exception {
        List<Double> full;
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir.resolve("full"), 8, 0, 1e-3), new Trainer.Listener() {})) {
            full = t.run();
        }
        // A run that checkpoints every 3 steps and dies after step 5 (an epoch of 96 examples is
        // 6 batches, so the data position inside the epoch matters).
        List<Double> resumed = new ArrayList<>();
        Trainer.Listener crashAfter5 = new Trainer.Listener() {
            @Override
            public void onStep(Trainer.StepMetrics s) {
                resumed.add(s.loss());
                if (s.step() == 5) throw new StopAt5();
            }
        };
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir.resolve("split"), 8, 3, 1e-3), crashAfter5)) {
            assertThrows(StopAt5.class, t::run);
        }
        Path latest = Checkpoint.latest(dir.resolve("split").resolve("checkpoints"));
        assertEquals("step-00000003", latest.getFileName().toString());
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir.resolve("split"), 8, 3, 1e-3), new Trainer.Listener() {})) {
            t.resume(latest);
            assertEquals(3, t.step());
            List<Double> tail = t.run();
            assertEquals(5, tail.size());
            for (int i = 0; i < 5; i++)
                assertEquals(full.get(3 + i), tail.get(i), 0.0, "step " + (4 + i) + " after resuming at step 3");
        }
        for (int i = 0; i < 5; i++) assertEquals(full.get(i), resumed.get(i), 0.0, "step " + (i + 1) + " before the interruption");
    }

    /** Thrown by a listener to simulate a crash after a given step. */
    static final class StopAt5 extends RuntimeException {}

    @Test
    void anInterruptedCheckpointWriteLeavesThePreviousOneIntact(@TempDir Path dir) throws Exception {
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir, 2, 1, 1e-3), new Trainer.Listener() {})) {
            t.run();
            Path good = Checkpoint.latest(dir.resolve("checkpoints"));
            assertEquals("step-00000002", good.getFileName().toString());
            byte[] before = Files.readAllBytes(good.resolve(Checkpoint.MODEL_FILE));
            assertThrows(IllegalStateException.class, () -> Checkpoint.save(dir.resolve("checkpoints"), m, Map.of(),
                    new Checkpoint.State(3, 0, 48, Map.of()), () -> {
                        throw new IllegalStateException("simulated crash between the two files");
                    }));
            assertEquals(good, Checkpoint.latest(dir.resolve("checkpoints")), "latest still names the complete checkpoint");
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(good.resolve(Checkpoint.MODEL_FILE))));
            try (var s = Files.list(dir.resolve("checkpoints"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("partial")), "no partial folder left");
            }
            try (ClipModel loaded = ClipModel.load(good.resolve(Checkpoint.MODEL_FILE))) {
                assertEquals(m.config(), loaded.config());
            }
            Map<String, Tensor> weights = SafeTensors.load(good.resolve(Checkpoint.MODEL_FILE));
            assertTrue(weights.containsKey("visual.conv1.weight"), "the model file has OpenAI names only");
            assertTrue(weights.keySet().stream().noneMatch(k -> k.startsWith("exp_avg")));
        }
    }

    @Test
    void aNonFiniteLossStopsTrainingNamingTheStep(@TempDir Path dir) throws Exception {
        try (ClipModel m = model(); Trainer t = new Trainer(m, tokenizer, batches(16), options(dir, 4, 1, 1e-3), new Trainer.Listener() {
            @Override
            public void onCheckpoint(Path folder) {
                if (folder.getFileName().toString().equals("step-00000002")) {
                    try (Autograd.NoGrad g = Autograd.noGrad()) {
                        m.logitScale().fill(Float.NaN); // poison the model once step 2 is saved
                    }
                }
            }
        })) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, t::run);
            assertTrue(e.getMessage().contains("at step 3"), e.getMessage());
            assertTrue(e.getMessage().contains("step-00000002"), e.getMessage());
            assertEquals("step-00000002", Checkpoint.latest(dir.resolve("checkpoints")).getFileName().toString());
        }
    }
}
