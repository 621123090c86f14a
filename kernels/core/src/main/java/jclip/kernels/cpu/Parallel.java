package jclip.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits a range of independent work items over all cores. Small ranges run on the calling
 * thread: below about 32k multiply-adds of work, handing off to the pool costs more than it saves.
 */
public final class Parallel {
    /** Work on items [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final int THREADS = Integer.getInteger("jclip.threads",
            Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;
    private static final long MIN_WORK_PER_TASK = 32_768;

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs {@code body} over [0, n) in chunks, where each item costs about {@code costPerItem}
     * scalar operations (used only to decide how finely to split).
     */
    public static void forRange(int n, long costPerItem, RangeBody body) {
        if (n <= 0) return;
        long total = (long) n * Math.max(1, costPerItem);
        int tasks = (int) Math.min(Math.min(n, (long) THREADS * 4), Math.max(1, total / MIN_WORK_PER_TASK));
        if (POOL == null || tasks <= 1) {
            body.run(0, n);
            return;
        }
        // ForkJoinTask rethrows a pool thread's exception as a new instance of its class, which for
        // classes without a (Throwable) constructor (IndexOutOfBoundsException) loses the message;
        // the first failure is kept here and rethrown as it was.
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        RecursiveAction[] actions = new RecursiveAction[tasks];
        for (int t = 0; t < tasks; t++) {
            int from = (int) ((long) n * t / tasks);
            int to = (int) ((long) n * (t + 1) / tasks);
            actions[t] = new RecursiveAction() {
                @Override
                protected void compute() {
                    try {
                        body.run(from, to);
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            };
        }
        if (Thread.currentThread() instanceof ForkJoinWorkerThread) {
            // Nested call from inside a task: fork within the pool already running us.
            RecursiveAction.invokeAll(actions);
        } else {
            POOL.invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    invokeAll(actions);
                }
            });
        }
        if (failure.get() != null) throw failure.get();
    }
}
