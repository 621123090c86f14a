package jclip.bench.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * What every Java runner of bench/compare shares (JclipRunner, and OrtRunner.java, which runs with
 * this jar on its class path): the timing loop that torch_runner.py mirrors, and the agreement
 * line. Iteration settings come from the environment (COMPARE_WARMUP_ITERS, COMPARE_WARMUP_S,
 * COMPARE_MIN_ITERS, COMPARE_MIN_S).
 */
public final class Measure {
    private Measure() {}

    /** {median ms, timed iterations} after warm-up: at least 3 calls and 5 s, then at least 5 calls and 10 s. */
    public static double[] median(Runnable body) {
        long start = System.nanoTime();
        for (int n = 0; n < env("COMPARE_WARMUP_ITERS", 3) || seconds(start) < env("COMPARE_WARMUP_S", 5); n++) body.run();
        List<Double> times = new ArrayList<>();
        start = System.nanoTime();
        while (times.size() < env("COMPARE_MIN_ITERS", 5) || seconds(start) < env("COMPARE_MIN_S", 10)) {
            long t0 = System.nanoTime();
            body.run();
            times.add((System.nanoTime() - t0) / 1e6);
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = sorted.length;
        return new double[] {m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2, m};
    }

    /** Prints the largest absolute difference from PyTorch's features, and the features' scale. */
    public static void report(String tool, String what, float[] out, float[] ref) {
        if (out.length != ref.length) throw new IllegalStateException(what + ": " + out.length + " values, expected " + ref.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < out.length; i++) {
            diff = Math.max(diff, Math.abs(out[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        System.out.printf("CHECK tool=%s what=%s max_abs_diff=%.3e max_abs_ref=%.3e%n", tool, what, diff, scale);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double env(String name, double fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Double.parseDouble(v);
    }
}
