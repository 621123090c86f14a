package jclip.clip.data;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import jclip.kernels.DType;
import jclip.tensor.Tensor;

/**
 * One epoch of batches from an {@link ImageTextSource}, decoded and preprocessed in parallel,
 * delivered in a deterministic order.
 *
 * <p>A feeder thread walks the source's examples for (seed, epoch), after skipping the first
 * {@link Builder#skip skip} of them without decoding, and hands each to a pool of worker
 * threads that decode the image and apply the {@link Preprocess}; the feeder collects the results
 * in the source's order, so batches (pixels, captions, order) are the same whatever the number
 * of threads or their timing. Random augmentation is seeded per example from (seed, epoch,
 * position in the epoch). Up to {@link Builder#prefetch prefetch} finished batches wait ahead of
 * the consumer.
 *
 * <p>Bad items (an image that cannot be read or decoded, a missing caption, a bad row or sample)
 * are never dropped silently: under {@link BadItemPolicy#SKIP} each is reported with its origin
 * to the warning sink (on the consumer's thread, just before the batch that follows it) and
 * counted in {@link #badItems()}; under {@link BadItemPolicy#FAIL} {@link #next()} throws a
 * {@link DataException} naming it. A failure of the source itself always throws.
 *
 * <p>Resuming: {@link Batch#position()} counts the examples of the epoch's order consumed so
 * far; a loader built with the same source, seed, epoch and {@code skip(position)} continues with
 * exactly the batches that would have followed. The last partial batch is dropped unless
 * {@link Builder#dropLast dropLast(false)}. {@link #close()} stops the threads; use
 * try-with-resources. A loader is consumed by one thread.
 */
public final class DataLoader implements Iterator<Batch>, AutoCloseable {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final ImageTextSource source;
    private final Preprocess preprocess;
    private final int batchSize;
    private final long seed;
    private final int epoch;
    private final long skip;
    private final int threads;
    private final boolean dropLast;
    private final BadItemPolicy policy;
    private final Consumer<String> warnings;

    private final String threadPrefix;
    private final ExecutorService pool;
    private final Thread feeder;
    private final BlockingQueue<Object> queue;
    private final List<Thread> workers = new ArrayList<>();

    private Chunk pending;
    private boolean finished;
    private volatile boolean closed;
    private boolean closedByCaller;
    private long position;
    private long badItems;

    private DataLoader(Builder b) {
        source = b.source;
        preprocess = b.preprocess;
        batchSize = b.batchSize;
        seed = b.seed;
        epoch = b.epoch;
        skip = b.skip;
        threads = b.threads;
        dropLast = b.dropLast;
        policy = b.policy;
        warnings = b.warnings;
        position = skip;
        threadPrefix = "jclip-data-" + IDS.incrementAndGet() + "-";
        queue = new ArrayBlockingQueue<>(b.prefetch);
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, threadPrefix + "worker-" + n.incrementAndGet());
            t.setDaemon(true);
            synchronized (workers) {
                workers.add(t);
            }
            return t;
        };
        pool = Executors.newFixedThreadPool(threads, factory);
        feeder = new Thread(this::feed, threadPrefix + "feeder");
        feeder.setDaemon(true);
        feeder.start();
    }

    /** A builder for a loader over the source. */
    public static Builder builder(ImageTextSource source) {
        return new Builder(source);
    }

    /** Loader settings. */
    public static final class Builder {
        private final ImageTextSource source;
        private Preprocess preprocess = Preprocess.eval(224);
        private int batchSize = 32;
        private long seed;
        private int epoch;
        private long skip;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int prefetch = 2;
        private boolean dropLast = true;
        private BadItemPolicy policy = BadItemPolicy.SKIP;
        private Consumer<String> warnings = System.err::println;

        private Builder(ImageTextSource source) {
            this.source = Objects.requireNonNull(source, "source");
        }

        /** The image transform (default {@code Preprocess.eval(224)}). */
        public Builder preprocess(Preprocess p) {
            preprocess = Objects.requireNonNull(p);
            return this;
        }

        /** Examples per batch (default 32). */
        public Builder batchSize(int n) {
            if (n < 1) throw new IllegalArgumentException("batch size must be positive: " + n);
            batchSize = n;
            return this;
        }

        /** The seed of the order and augmentation (default 0). */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** The epoch, which with the seed fixes the order (default 0). */
        public Builder epoch(int e) {
            if (e < 0) throw new IllegalArgumentException("epoch < 0: " + e);
            epoch = e;
            return this;
        }

        /** Examples of the epoch's order to pass over without decoding (a {@link Batch#position()} to resume from). */
        public Builder skip(long examples) {
            if (examples < 0) throw new IllegalArgumentException("skip < 0: " + examples);
            skip = examples;
            return this;
        }

        /** Worker threads for decoding and preprocessing (default: available processors). */
        public Builder threads(int n) {
            if (n < 1) throw new IllegalArgumentException("threads must be positive: " + n);
            threads = n;
            return this;
        }

        /** Finished batches kept ready ahead of the consumer (default 2). */
        public Builder prefetch(int batches) {
            if (batches < 1) throw new IllegalArgumentException("prefetch must be positive: " + batches);
            prefetch = batches;
            return this;
        }

        /** Whether a last batch smaller than the batch size is dropped (default true). */
        public Builder dropLast(boolean drop) {
            dropLast = drop;
            return this;
        }

        /** What to do with a bad item (default {@link BadItemPolicy#SKIP}). */
        public Builder badItems(BadItemPolicy p) {
            policy = Objects.requireNonNull(p);
            return this;
        }

        /** Where skipped bad items are reported (default standard error); called on the consumer's thread. */
        public Builder warnings(Consumer<String> sink) {
            warnings = Objects.requireNonNull(sink);
            return this;
        }

        /** Starts the loader's threads. */
        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    // ---------------------------------------------------------------------------------------
    // consumer side

    @Override
    public boolean hasNext() {
        if (pending != null) return true;
        if (finished || closed) return false;
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException(null, "interrupted while waiting for a batch", e);
        }
        Chunk c = (Chunk) o;
        for (String w : c.warnings) {
            badItems++;
            warnings.accept(w);
        }
        if (c.failure != null) {
            finished = true;
            shutdown();
            throw c.failure;
        }
        if (c.end) {
            finished = true;
            position = c.position;
            shutdown();
            return false;
        }
        pending = c;
        return true;
    }

    /** The next batch; its images tensor is made on this thread and belongs to the caller. */
    @Override
    public Batch next() {
        if (closedByCaller && pending == null) throw new IllegalStateException("data loader closed");
        if (!hasNext()) throw new NoSuchElementException("end of epoch " + epoch);
        Chunk c = pending;
        pending = null;
        int n = c.captions.size(), r = preprocess.resolution();
        Tensor images = Tensor.fromHost(c.pixels, DType.F32, n, 3, r, r);
        position = c.position;
        return new Batch(images, List.copyOf(c.captions), c.labels, List.copyOf(c.origins), c.position, epoch);
    }

    /**
     * Examples of the epoch's order consumed by the batches delivered so far (starts at skip); at
     * the end of the epoch, all of them (dropped and trailing bad items included).
     */
    public long position() {
        return position;
    }

    /** Bad items reported so far. */
    public long badItems() {
        return badItems;
    }

    /** The batches this loader will deliver when the source has a known size and no bad items; -1 when unknown. */
    public long expectedBatches() {
        long n = source.size();
        if (n < 0) return -1;
        n = Math.max(0, n - skip);
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    public ImageTextSource source() {
        return source;
    }

    public int epoch() {
        return epoch;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Stops the feeder and the workers and waits for them (a few seconds at most); harmless twice. */
    @Override
    public void close() {
        closedByCaller = true;
        pending = null;
        shutdown();
    }

    private void shutdown() {
        if (closed) return;
        closed = true;
        feeder.interrupt();
        pool.shutdownNow();
        try {
            feeder.join(10_000);
            pool.awaitTermination(10, TimeUnit.SECONDS);
            List<Thread> ws;
            synchronized (workers) {
                ws = new ArrayList<>(workers);
            }
            for (Thread w : ws) w.join(1_000); // a worker outlives the pool's termination by a moment
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        queue.clear();
    }

    /** The name prefix of this loader's threads (tests check they are gone after close). */
    String threadPrefix() {
        return threadPrefix;
    }

    // ---------------------------------------------------------------------------------------
    // feeder side

    /** Part of the output: a batch, or the end, or a failure, with the warnings that precede it. */
    private static final class Chunk {
        final List<String> warnings = new ArrayList<>();
        final List<String> captions = new ArrayList<>();
        final List<String> origins = new ArrayList<>();
        float[] pixels;
        int[] labels;
        long position;
        boolean end;
        DataException failure;
    }

    private record Decoded(float[] pixels, String problem, Exception cause) {}

    private record Pending(Example example, long index, Future<Decoded> result) {}

    private Decoded decode(Example ex, long index) {
        try {
            String known = ex.problem();
            if (known != null) return new Decoded(null, known, null);
            BufferedImage img = ex.image().read();
            if (img == null) return new Decoded(null, "the image reader returned no image", null);
            float[] px = preprocess.apply(img, Seeds.mix(seed, epoch, index, 0xA06A6EL));
            return new Decoded(px, null, null);
        } catch (Exception e) {
            String m = e.getMessage();
            return new Decoded(null, m == null || m.isBlank() ? e.toString() : m, e);
        }
    }

    private void feed() {
        Iterator<Example> it = null;
        try {
            it = source.examples(seed, epoch);
            long index = 0;
            while (index < skip && it.hasNext()) {
                it.next();
                index++;
            }
            int sample = preprocess.outputSize();
            int window = Math.max(8, 4 * threads);
            ArrayDeque<Pending> inFlight = new ArrayDeque<>();
            RuntimeException sourceFailure = null;
            Chunk c = newChunk(sample);
            while (true) {
                while (sourceFailure == null && inFlight.size() < window) {
                    Example ex;
                    try {
                        if (!it.hasNext()) break;
                        ex = it.next();
                    } catch (RuntimeException e) {
                        sourceFailure = e; // delivered after the batches completed before it
                        break;
                    }
                    long i = index++;
                    inFlight.add(new Pending(ex, i, pool.submit(() -> decode(ex, i))));
                }
                Pending p = inFlight.poll();
                if (p == null) break;
                Decoded d;
                try {
                    d = p.result.get();
                } catch (ExecutionException e) {
                    throw new DataException(p.example.origin(), "decoding " + p.example.origin() + " failed: " + e.getCause(), e.getCause());
                }
                c.position = p.index + 1;
                if (d.problem != null) {
                    String origin = p.example.origin();
                    if (policy == BadItemPolicy.FAIL) {
                        Chunk f = new Chunk();
                        f.failure = new DataException(origin, "bad item " + origin + ": " + d.problem, d.cause);
                        queue.put(f);
                        return;
                    }
                    c.warnings.add("skipped bad item " + origin + ": " + d.problem);
                    continue;
                }
                int k = c.captions.size();
                System.arraycopy(d.pixels, 0, c.pixels, k * sample, sample);
                c.captions.add(p.example.caption());
                c.origins.add(p.example.origin());
                c.labels[k] = p.example.label();
                if (c.captions.size() == batchSize) {
                    queue.put(c);
                    c = newChunk(sample);
                }
            }
            if (sourceFailure != null) {
                Chunk f = new Chunk();
                f.warnings.addAll(c.warnings);
                f.failure = new DataException(null, "data source " + source.describe() + " failed after example " + index
                        + " of epoch " + epoch + ": " + sourceFailure, sourceFailure);
                queue.put(f);
                return;
            }
            int n = c.captions.size();
            if (n > 0 && !dropLast) {
                c.pixels = Arrays.copyOf(c.pixels, n * sample);
                c.labels = Arrays.copyOf(c.labels, n);
                queue.put(c);
                c = new Chunk();
            }
            Chunk end = new Chunk();
            end.warnings.addAll(c.warnings);
            end.end = true;
            end.position = index;
            queue.put(end);
        } catch (InterruptedException e) {
            // closing
        } catch (Throwable t) {
            Chunk f = new Chunk();
            f.failure = t instanceof DataException de ? de
                    : new DataException(null, "data source " + source.describe() + " failed: " + t, t);
            try {
                queue.put(f);
            } catch (InterruptedException ignored) {
                // closing
            }
        } finally {
            if (it instanceof AutoCloseable ac) {
                try {
                    ac.close();
                } catch (Exception ignored) {
                    // the epoch is over either way
                }
            }
        }
    }

    private Chunk newChunk(int sample) {
        Chunk c = new Chunk();
        c.pixels = new float[batchSize * sample];
        c.labels = new int[batchSize];
        return c;
    }
}
