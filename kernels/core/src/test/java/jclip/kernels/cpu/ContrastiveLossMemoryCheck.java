package jclip.kernels.cpu;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.SplittableRandom;

/**
 * The contrastive loss at CLIP's largest batch, n = m = 16,384 and d = 512, forward and backward,
 * in a JVM whose heap (ContrastiveLossTest starts it with -Xmx512m) could not hold the 1 GiB logits
 * matrix. Prints one line per pass, with its wall time, the heap's peak (garbage included) and
 * what is live after a full GC with every operand still held, and exits non-zero if a result is
 * not finite.
 */
public final class ContrastiveLossMemoryCheck {
    private ContrastiveLossMemoryCheck() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 16_384, d = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        float scale = 100f;
        SplittableRandom random = new SplittableRandom(7);
        float[] a = ContrastiveLossTest.embeddings(random, n, d, null, 0, 0);
        float[] b = ContrastiveLossTest.embeddings(random, n, d, a, 0, 4);
        float[] lseRows = new float[n], lseCols = new float[n];
        long t0 = System.nanoTime();
        ContrastiveLoss.logSumExp(a, 0, b, 0, n, n, d, scale, lseRows, lseCols);
        long t1 = System.nanoTime();
        double loss = 0;
        for (int i = 0; i < n; i++) {
            double diagonal = 0;
            for (int c = 0; c < d; c++) diagonal += (double) a[i * d + c] * b[i * d + c];
            loss += lseRows[i] + lseCols[i] - 2 * scale * diagonal;
        }
        loss /= 2.0 * n;
        System.out.printf("forward: loss %.6f, %.1f s, peak heap %d MiB, live %d MiB%n", loss, (t1 - t0) / 1e9, peakHeapMiB(),
                liveHeapMiB());
        float[] ga = new float[n * d], gb = new float[n * d], gScale = new float[1];
        t1 = System.nanoTime();
        ContrastiveLoss.backward(a, 0, b, 0, n, n, d, scale, lseRows, lseCols, 0, 0.5f / n, ga, gb, gScale);
        long t2 = System.nanoTime();
        double norm = 0;
        for (int e = 0; e < n * d; e++) norm += (double) ga[e] * ga[e] + (double) gb[e] * gb[e];
        System.out.printf("backward: |ga, gb| %.6e, gScale %.6f, %.1f s, peak heap %d MiB, live %d MiB%n", Math.sqrt(norm),
                gScale[0], (t2 - t1) / 1e9, peakHeapMiB(), liveHeapMiB());
        boolean finite = Double.isFinite(loss) && Double.isFinite(norm) && Float.isFinite(gScale[0]);
        for (int i = 0; i < n; i++) finite &= Float.isFinite(lseRows[i]) && Float.isFinite(lseCols[i]);
        System.out.println(finite ? "finite" : "NOT FINITE");
        // Held to here, so that "live" counts them.
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(ga);
        Reference.reachabilityFence(gb);
        System.exit(finite ? 0 : 1);
    }

    /** Heap in use after a full GC: what is reachable. */
    static long liveHeapMiB() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return (r.totalMemory() - r.freeMemory()) >> 20;
    }

    /** The sum of every heap pool's peak use since the JVM started. */
    static long peakHeapMiB() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
            if (pool.getType() == MemoryType.HEAP) peak += pool.getPeakUsage().getUsed();
        return peak >> 20;
    }
}
