package jclip.clip.train;

import java.nio.file.Path;

/**
 * How to train: AdamW (β1 0.9, β2 0.98, ε 1e-6 as in the paper) with weight decay on weights
 * only, cosine learning rate after a linear warm-up, optional clipping by global gradient norm,
 * gradient accumulation over micro-batches, and checkpoints every so many steps.
 */
public record TrainOptions(int steps, int batchSize, double learningRate, int warmupSteps, double weightDecay,
        double gradClipNorm, int accumulation, int checkpointEvery, int keepCheckpoints, long seed, Path outputDir) {

    public TrainOptions {
        if (steps <= 0) throw new IllegalArgumentException("--steps must be positive, got " + steps);
        if (batchSize < 2) throw new IllegalArgumentException("--batch-size must be at least 2 for a contrastive loss, got " + batchSize);
        if (learningRate <= 0) throw new IllegalArgumentException("--lr must be positive, got " + learningRate);
        if (warmupSteps < 0) throw new IllegalArgumentException("--warmup must not be negative, got " + warmupSteps);
        if (accumulation < 1) throw new IllegalArgumentException("--accumulation must be at least 1, got " + accumulation);
        if (checkpointEvery < 0) throw new IllegalArgumentException("--checkpoint-every must not be negative");
        if (keepCheckpoints < 1) throw new IllegalArgumentException("--keep-checkpoints must be at least 1");
    }

    public Path checkpointDir() {
        return outputDir.resolve("checkpoints");
    }

    public static final float BETA1 = 0.9f, BETA2 = 0.98f, EPS = 1e-6f;
    /** open_clip clamps the temperature so that exp(logit_scale) ≤ 100. */
    public static final float MAX_LOGIT_SCALE = (float) Math.log(100);
}
