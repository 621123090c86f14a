package jclip.nn;

/**
 * Learning rate with linear warm-up then cosine decay to zero, as open_clip's cosine_lr:
 * lr(s) = peak·(s+1)/warmup during warm-up, then peak·½(1 + cos(π·(s−warmup)/(total−warmup))).
 */
public record CosineSchedule(double peak, int warmupSteps, int totalSteps) {
    public CosineSchedule {
        if (peak <= 0 || warmupSteps < 0 || totalSteps <= 0)
            throw new IllegalArgumentException("bad schedule: peak " + peak + ", warm-up " + warmupSteps + ", total " + totalSteps);
    }

    public double lr(int step) {
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        int decay = Math.max(1, totalSteps - warmupSteps);
        double e = Math.min(step - warmupSteps, decay);
        return 0.5 * (1 + Math.cos(Math.PI * e / decay)) * peak;
    }
}
