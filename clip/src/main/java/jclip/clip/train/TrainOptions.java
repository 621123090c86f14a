package jclip.clip.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to train: AdamW (β1 0.9, β2 0.98, ε 1e-6 as in the paper) with weight decay on weights
 * only, cosine learning rate after a linear warm-up, optional clipping by global gradient norm,
 * contrastive accumulation over micro-batches, gradient checkpointing, checkpoints every so many
 * steps, and the precision of the forward pass's matrix products.
 *
 * <p>{@code accumulation} K (open_clip's --accum-freq) makes each step one contrastive batch of
 * K·batchSize pairs, exactly: the features of all K micro-batches are computed without graphs, one
 * loss over all of them gives their gradients, then each micro-batch is encoded again with its graph
 * and back-propagated from its slice of those gradients (GradCache). Memory is that of one
 * micro-batch; compute is about one more forward. BatchNorm (ModifiedResNet) updates its running
 * statistics twice per micro-batch.
 */
public record TrainOptions(int steps, int batchSize, double learningRate, int warmupSteps, double weightDecay,
        double gradClipNorm, int accumulation, int checkpointEvery, int keepCheckpoints, long seed, Path outputDir,
        Precision precision, boolean gradCheckpointing) {

    /**
     * FLOAT32 computes everything in float32. BF16 is mixed precision with float32 master weights:
     * matrix products (forward and backward) multiply bf16 operands with float accumulation
     * (jclip.tensor.Autocast); weights, gradients, optimizer state and every other op stay float32.
     */
    public enum Precision {
        FLOAT32("float32"), BF16("bf16");

        private final String flag;

        Precision(String flag) {
            this.flag = flag;
        }

        /** float32 or bf16, as --precision spells them. */
        public static Precision parse(String flag) {
            for (Precision p : values()) if (p.flag.equals(flag)) return p;
            throw new IllegalArgumentException("--precision must be float32 or bf16, got " + flag);
        }

        @Override
        public String toString() {
            return flag;
        }
    }

    public TrainOptions {
        if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, got " + steps);
        if (batchSize < 2) throw new IllegalArgumentException("--batch-size must be at least 2 for a contrastive loss, got " + batchSize);
        if (learningRate <= 0) throw new IllegalArgumentException("--lr must be positive, got " + learningRate);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup must not be negative, got " + warmupSteps);
        if (accumulation < 1) throw new IllegalArgumentException("--accum-freq must be at least 1, got " + accumulation);
        if (checkpointEvery < 0) throw new IllegalArgumentException("--checkpoint-every must not be negative");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("--keep-checkpoints must be at least 1");
        Objects.requireNonNull(precision, "precision");
    }

    public Path checkpointDir() {
        return outputDir.resolve("checkpoints");
    }

    /**
     * The settings a resumed run must share with the run it continues, by flag name without the
     * dashes: each changes the learning-rate schedule, the batches or the update, so a resume with
     * another value would continue a different run than the one checkpointed. Checkpoints record
     * them ({@link Trainer#checkpoint()}); {@code seed} has been recorded from the start.
     */
    public Map<String, String> resumeRecord() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("steps", Integer.toString(steps));
        m.put("batch-size", Integer.toString(batchSize));
        m.put("accum-freq", Integer.toString(accumulation));
        m.put("lr", Double.toString(learningRate));
        m.put("warmup", Integer.toString(warmupSteps));
        m.put("wd", Double.toString(weightDecay));
        m.put("grad-clip", Double.toString(gradClipNorm));
        m.put("seed", Long.toString(seed));
        m.put("precision", precision.toString());
        return m;
    }

    /**
     * Refuses to resume the checkpoint at folder with settings other than those it recorded,
     * naming the flag and both values; a setting it did not record (an older checkpoint) is not
     * checked. {@code --steps} may differ, to train a finished run further or stop it sooner:
     * the cosine schedule is then recomputed for the new length from the checkpoint's step on,
     * and the returned notes say so.
     *
     * @return the allowed differences, one sentence each, for the log
     * @throws IllegalArgumentException for a changed setting, or --steps not beyond the checkpoint's step
     */
    public List<String> checkResume(Checkpoint.State state, Path folder) {
        List<String> notes = new ArrayList<>();
        for (Map.Entry<String, String> e : resumeRecord().entrySet()) {
            String recorded = state.extra().get(e.getKey());
            if (recorded == null || recorded.equals(e.getValue())) continue;
            if (e.getKey().equals("steps")) {
                notes.add("--steps " + steps + " instead of the checkpointed run's " + recorded
                        + ": the learning rate follows a cosine schedule over " + steps + " steps from step " + state.step() + " on");
                continue;
            }
            throw new IllegalArgumentException("--resume: --" + e.getKey() + " " + e.getValue() + " differs from the " + recorded
                    + " of the run checkpointed in " + folder + "; resume with --" + e.getKey() + " " + recorded
                    + ", or start a new run (--overwrite, or another --out)");
        }
        if (steps <= state.step())
            throw new IllegalArgumentException("--resume: --steps " + steps + " is not beyond the checkpoint's step " + state.step()
                    + " (" + folder + ")");
        return notes;
    }

    public static final float BETA1 = 0.9f, BETA2 = 0.98f, EPS = 1e-6f;
    /** open_clip clamps the temperature so that exp(logit_scale) ≤ 100. */
    public static final float MAX_LOGIT_SCALE = (float) Math.log(100);
}
