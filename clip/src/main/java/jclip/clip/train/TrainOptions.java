package jclip.clip.train;

import java.nio.file.Path;
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

    public static final float BETA1 = 0.9f, BETA2 = 0.98f, EPS = 1e-6f;
    /** open_clip clamps the temperature so that exp(logit_scale) ≤ 100. */
    public static final float MAX_LOGIT_SCALE = (float) Math.log(100);
}
