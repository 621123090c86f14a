package jclip.clip;

import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.model.Towers;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import jclip.clip.data.BadItemException;
import jclip.clip.data.Images;
import jclip.clip.data.Preprocess;
import jclip.clip.eval.ZeroShot;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * Embeddings for JVM services: one loaded model shared by any number of calling threads.
 *
 * <p>Callers preprocess their own inputs (decoding and {@link Preprocess#eval} run on the calling
 * thread, in parallel) and queue a request; a single worker thread per embedder owns the model. It
 * takes the request at the head of the queue and every other waiting request of the same kind, up to
 * {@code maxBatch} items, runs them through the model as one batch (under {@link Autograd#noGrad} and
 * a {@link MemoryScope}, so nothing outlives the batch), and hands each caller its rows. The model
 * computes every row of a batch independently in eval mode, so a batched result equals the
 * single-threaded one (ClipEmbedderTest checks this bit for bit). If a batch fails, its requests are
 * rerun one by one, so an error reaches only the request that caused it.
 *
 * <p>Results are plain arrays: {@code float[n][embed]}, each row L2-normalised
 * ({@link ClipModel#imageEmbeddings}, {@link ClipModel#textEmbeddings}).
 *
 * <p>{@link #close} lets the batch in progress finish, fails the requests still queued with an
 * {@link IllegalStateException}, stops the worker, and closes the model if this embedder loaded it.
 */
public final class ClipEmbedder implements AutoCloseable {
    /** Items (images or texts) per model call unless told otherwise. */
    public static final int DEFAULT_MAX_BATCH = 32;

    private final ClipModel model;
    private final ClipTokenizer tokenizer;
    private final boolean ownsModel;
    private final int maxBatch;
    private final Preprocess preprocess;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiting = lock.newCondition();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final Map<List<List<String>>, ZeroShotClassifier> classifiers = new ConcurrentHashMap<>();
    private final Thread worker;
    private boolean closed;
    private final AtomicLong modelCalls = new AtomicLong(), requests = new AtomicLong();

    private enum Kind { IMAGES, TEXTS, TASK }

    /** One caller's items; pixels [n * 3 * R * R] for images, texts for texts, task for a one-off job on the worker. */
    private record Request(Kind kind, int size, float[] pixels, List<String> texts, Supplier<Object> task,
                           CompletableFuture<Object> result) {}

    /**
     * An embedder over {@code model} (put in eval mode) and {@code tokenizer} (null: images only), at
     * most {@code maxBatch} items per model call. The caller keeps ownership of the model and must not
     * use it elsewhere while the embedder is open.
     */
    public ClipEmbedder(ClipModel model, ClipTokenizer tokenizer, int maxBatch) {
        this(model, tokenizer, maxBatch, false);
    }

    /** {@link #ClipEmbedder(ClipModel, ClipTokenizer, int)} with {@link #DEFAULT_MAX_BATCH}. */
    public ClipEmbedder(ClipModel model, ClipTokenizer tokenizer) {
        this(model, tokenizer, DEFAULT_MAX_BATCH, false);
    }

    private ClipEmbedder(ClipModel model, ClipTokenizer tokenizer, int maxBatch, boolean ownsModel) {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be positive: " + maxBatch);
        if (tokenizer != null && tokenizer.vocabSize() != model.config().vocabSize())
            throw new IllegalArgumentException("the tokenizer has a vocabulary of " + tokenizer.vocabSize()
                    + " tokens, the model one of " + model.config().vocabSize());
        this.model = model.eval();
        this.tokenizer = tokenizer;
        this.ownsModel = ownsModel;
        this.maxBatch = maxBatch;
        this.preprocess = Preprocess.eval(model.config().imageResolution());
        worker = new Thread(this::work, "clip-embedder");
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Loads a safetensors checkpoint (OpenAI/open_clip or Hugging Face naming) onto {@code device},
     * with a BPE merges file (null: images only, and then only the image tower's weights are read).
     * The embedder owns the model and closes it.
     */
    public static ClipEmbedder load(Path checkpoint, Path tokenizer, Device device) throws IOException {
        return load(checkpoint, tokenizer, device, DEFAULT_MAX_BATCH);
    }

    /** {@link #load(Path, Path, Device)} with at most {@code maxBatch} items per model call. */
    public static ClipEmbedder load(Path checkpoint, Path tokenizer, Device device, int maxBatch) throws IOException {
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be positive: " + maxBatch);
        ClipModel model = ClipModel.load(checkpoint, tokenizer == null ? Towers.IMAGE : Towers.IMAGE_AND_TEXT).to(device);
        try {
            return new ClipEmbedder(model, tokenizer == null ? null : ClipTokenizer.load(tokenizer), maxBatch, true);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public ClipModel model() {
        return model;
    }

    /**
     * L2-normalised embeddings [images.size()][embed] of the images, preprocessed as the original
     * CLIP's eval transform. The images are taken as decoded: {@code ImageIO.read} converts a JPEG
     * with an embedded colour profile to sRGB, which the original (Pillow) does not;
     * {@link #embedImageFiles} decodes as Pillow does.
     */
    public float[][] embedImages(List<BufferedImage> images) {
        int size = preprocess.outputSize();
        float[] pixels = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) preprocess.apply(images.get(i), 0, pixels, i * size);
        return (float[][]) submit(new Request(Kind.IMAGES, images.size(), pixels, null, null, new CompletableFuture<>()));
    }

    /**
     * The embeddings of image files (JPEG, PNG, GIF, BMP), decoded without colour management as
     * the original's Pillow decodes them.
     *
     * @throws IllegalArgumentException naming the file that is missing, unreadable or not an image
     */
    public float[][] embedImageFiles(List<Path> files) {
        List<BufferedImage> images = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                images.add(Images.read(f));
            } catch (BadItemException e) {
                throw new IllegalArgumentException(e.getMessage().contains(f.toString()) ? e.getMessage() : f + ": " + e.getMessage(), e);
            }
        }
        return embedImages(images);
    }

    /** L2-normalised embeddings [texts.size()][embed]; texts longer than the context are truncated. */
    public float[][] embedTexts(List<String> texts) {
        requireTokenizer();
        return (float[][]) submit(new Request(Kind.TEXTS, texts.size(), null, List.copyOf(texts), null, new CompletableFuture<>()));
    }

    /**
     * A zero-shot classifier over the classes, each the normalised mean of its prompts' normalised
     * text embeddings ({@link ZeroShot#classEmbeddings}); built once per (classNames, templates) and cached.
     */
    public ZeroShotClassifier classifier(List<String> classNames, List<String> templates) {
        requireTokenizer();
        List<List<String>> key = List.of(List.copyOf(classNames), List.copyOf(templates));
        return classifiers.computeIfAbsent(key, k -> (ZeroShotClassifier) submit(new Request(Kind.TASK, 0, null, null, () -> {
            try (Tensor w = ZeroShot.classEmbeddings(model, tokenizer, k.get(0), k.get(1))) {
                float scale = (float) Math.exp(model.logitScale().toFloatArray()[0]);
                return new ZeroShotClassifier(this, k.get(0), rows(w.toFloatArray(), k.get(0).size()), scale);
            }
        }, new CompletableFuture<>())));
    }

    /** Model calls made so far (for tests: fewer than requests when requests were batched). */
    long modelCalls() {
        return modelCalls.get();
    }

    /** Image and text requests received so far. */
    long requests() {
        return requests.get();
    }

    private void requireTokenizer() {
        if (tokenizer == null) throw new IllegalStateException("this embedder has no tokenizer: give one to embed texts");
    }

    private Object submit(Request r) {
        if (r.kind != Kind.TASK && r.size == 0) return new float[0][];
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("the embedder is closed");
            if (r.kind != Kind.TASK) requests.incrementAndGet();
            queue.add(r);
            waiting.signal();
        } finally {
            lock.unlock();
        }
        try {
            return r.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedder", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        }
    }

    private void work() {
        while (true) {
            List<Request> batch = new ArrayList<>();
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) waiting.awaitUninterruptibly();
                if (queue.isEmpty()) return;
                Request first = queue.poll();
                batch.add(first);
                int items = first.size;
                if (first.kind != Kind.TASK) {
                    for (Iterator<Request> it = queue.iterator(); it.hasNext() && items < maxBatch; ) {
                        Request r = it.next();
                        if (r.kind == first.kind && items + r.size <= maxBatch) {
                            batch.add(r);
                            items += r.size;
                            it.remove();
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
            run(batch);
        }
    }

    private void run(List<Request> batch) {
        Request first = batch.get(0);
        if (first.kind == Kind.TASK) {
            try {
                first.result.complete(first.task.get());
            } catch (Throwable t) {
                first.result.completeExceptionally(t);
            }
            return;
        }
        try {
            float[][] all = embed(batch);
            int at = 0;
            for (Request r : batch) {
                float[][] mine = new float[r.size][];
                System.arraycopy(all, at, mine, 0, r.size);
                at += r.size;
                r.result.complete(mine);
            }
        } catch (Throwable t) {
            if (batch.size() == 1) {
                first.result.completeExceptionally(t);
                return;
            }
            // Find the culprit: each request alone, so only the one that fails is failed.
            for (Request r : batch) run(List.of(r));
        }
    }

    /** All rows of the batch's requests, in order; requests larger than maxBatch go through in chunks. */
    private float[][] embed(List<Request> batch) {
        int n = 0;
        for (Request r : batch) n += r.size;
        float[][] out = new float[n][];
        int done = 0;
        if (batch.get(0).kind == Kind.IMAGES) {
            int size = preprocess.outputSize(), res = preprocess.resolution();
            float[] pixels = new float[n * size];
            for (Request r : batch) {
                System.arraycopy(r.pixels, 0, pixels, done * size, r.size * size);
                done += r.size;
            }
            for (int from = 0; from < n; from += maxBatch) {
                int m = Math.min(maxBatch, n - from);
                float[] chunk = java.util.Arrays.copyOfRange(pixels, from * size, (from + m) * size);
                float[][] rows;
                try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
                    modelCalls.incrementAndGet();
                    rows = rows(model.imageEmbeddings(Tensor.fromHost(chunk, DType.F32, m, 3, res, res)).toFloatArray(), m);
                }
                System.arraycopy(rows, 0, out, from, m);
            }
        } else {
            List<String> texts = new ArrayList<>(n);
            for (Request r : batch) texts.addAll(r.texts);
            for (int from = 0; from < n; from += maxBatch) {
                int m = Math.min(maxBatch, n - from);
                float[][] rows;
                try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
                    modelCalls.incrementAndGet();
                    Tensor tokens = tokenizer.tokenize(texts.subList(from, from + m), model.config().contextLength(), true);
                    rows = rows(model.textEmbeddings(tokens).toFloatArray(), m);
                }
                System.arraycopy(rows, 0, out, from, m);
            }
        }
        return out;
    }

    static float[][] rows(float[] flat, int n) {
        int d = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    /** Finishes the batch in progress, fails the queued requests, stops the worker; closing twice is harmless. */
    @Override
    public void close() {
        List<Request> left;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            left = new ArrayList<>(queue);
            queue.clear();
            waiting.signalAll();
        } finally {
            lock.unlock();
        }
        for (Request r : left) r.result.completeExceptionally(new IllegalStateException("the embedder was closed before this request ran"));
        boolean interrupted = false;
        while (worker.isAlive() && Thread.currentThread() != worker) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (ownsModel) model.close();
    }
}
