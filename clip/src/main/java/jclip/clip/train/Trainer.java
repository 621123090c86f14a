package jclip.clip.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.Batch;
import jclip.nn.AdamW;
import jclip.nn.CosineSchedule;
import jclip.nn.GradClip;
import jclip.tensor.Autocast;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;

/**
 * Contrastive training of a ClipModel. Every step: micro-batches of the contrastive loss,
 * backward, optional clipping, one AdamW update at the scheduled learning rate, and the
 * temperature clamped at ln(100). With bf16 precision the forward's matrix products run under
 * {@link Autocast} while the weights and their updates stay float32. All randomness comes from
 * the seed, the epoch and the data position, so a run resumed from a checkpoint continues exactly
 * as the uninterrupted run (on CPU, bit for bit).
 */
public final class Trainer implements AutoCloseable {
    /** What one optimizer step did. */
    public record StepMetrics(int step, double loss, double learningRate, double logitScale, double gradNorm,
            double imagesPerSecond, int epoch) {}

    /** Hears about every step and every checkpoint. */
    public interface Listener {
        default void onStep(StepMetrics m) {}

        default void onCheckpoint(Path folder) {}
    }

    private final ClipModel model;
    private final ClipTokenizer tokenizer;
    private final Batches data;
    private final TrainOptions options;
    private final AdamW optimizer;
    private final CosineSchedule schedule;
    private final Listener listener;
    private int step;
    private int epoch;
    private long position;
    private Iterator<Batch> batches;

    public Trainer(ClipModel model, ClipTokenizer tokenizer, Batches data, TrainOptions options, Listener listener) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.data = data;
        this.options = options;
        this.listener = listener;
        Map<String, Tensor> params = model.namedParameters();
        this.optimizer = new AdamW(params, name -> AdamW.clipDecays(name, params.get(name)),
                TrainOptions.BETA1, TrainOptions.BETA2, TrainOptions.EPS, (float) options.weightDecay());
        this.schedule = new CosineSchedule(options.learningRate(), options.warmupSteps(), options.steps());
    }

    /**
     * Continues from a checkpoint folder: weights, optimizer moments, step, epoch, data position.
     *
     * @throws IllegalArgumentException if the options differ from those the checkpoint recorded
     *     (see {@link TrainOptions#checkResume})
     */
    public void resume(Path folder) throws IOException {
        Checkpoint.State state = Checkpoint.readState(folder);
        options.checkResume(state, folder);
        Map<String, Tensor> weights = jclip.tensor.io.SafeTensors.load(folder.resolve(Checkpoint.MODEL_FILE));
        Map<String, Tensor> moments = jclip.tensor.io.SafeTensors.load(folder.resolve(Checkpoint.TRAINER_FILE));
        try {
            model.loadStateDict(weights, true);
            optimizer.loadStateDict(moments, state.step());
        } finally {
            weights.values().forEach(Tensor::close);
            moments.values().forEach(Tensor::close);
        }
        step = state.step();
        epoch = state.epoch();
        position = state.position();
        closeBatches();
    }

    public int step() {
        return step;
    }

    /** Trains until options.steps(); returns the loss of each step run. */
    public List<Double> run() throws IOException {
        Checkpoint.removeLeftovers(options.checkpointDir());
        model.train();
        List<Double> losses = new ArrayList<>();
        while (step < options.steps()) {
            long start = System.nanoTime();
            double lr = schedule.lr(step);
            List<Batch> micro = new ArrayList<>(options.accumulation());
            double loss;
            int images = 0;
            try {
                for (int k = 0; k < options.accumulation(); k++) {
                    micro.add(nextBatch());
                    images += micro.get(k).size();
                }
                loss = options.accumulation() == 1 ? backwardOne(micro.get(0)) : backwardAccumulated(micro);
            } finally {
                micro.forEach(Batch::close);
            }
            double norm = options.gradClipNorm() > 0
                    ? GradClip.clipGlobalNorm(model.namedParameters().values(), options.gradClipNorm()) : Double.NaN;
            optimizer.step((float) lr);
            model.zeroGrad();
            try (Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
                Tensor scale = model.logitScale();
                scale.copyFrom(scale.clampMax(TrainOptions.MAX_LOGIT_SCALE).clampMin(0f));
            }
            step++;
            losses.add(loss);
            double seconds = (System.nanoTime() - start) / 1e9;
            listener.onStep(new StepMetrics(step, loss, lr, model.logitScale().item(), norm, images / seconds, epoch));
            boolean last = step == options.steps();
            if (last || options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0) checkpoint();
        }
        return losses;
    }

    /** One batch: its loss, back-propagated. */
    private double backwardOne(Batch batch) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor tokens = tokens(batch);
            Tensor loss;
            try (Autocast a = autocast()) {
                loss = model.loss(batch.images(), tokens);
            }
            double value = checkedLoss(loss);
            loss.backward();
            return value;
        }
    }

    /**
     * K micro-batches as one contrastive batch (GradCache): every micro-batch's embeddings without
     * graphs, the loss over all of them and its gradients for the embeddings (and the temperature),
     * then each micro-batch encoded again with its graph and back-propagated from its slice.
     */
    private double backwardAccumulated(List<Batch> micro) {
        try (MemoryScope scope = MemoryScope.open()) {
            List<Tensor> tokens = new ArrayList<>(), images = new ArrayList<>(), texts = new ArrayList<>();
            for (Batch b : micro) tokens.add(tokens(b));
            for (int k = 0; k < micro.size(); k++) {
                try (MemoryScope cache = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad(); Autocast a = autocast()) {
                    images.add(cache.keep(model.imageEmbeddings(micro.get(k).images())));
                    texts.add(cache.keep(model.textEmbeddings(tokens.get(k))));
                }
            }
            Tensor allImages = Tensor.cat(images, 0).requiresGrad(true), allTexts = Tensor.cat(texts, 0).requiresGrad(true);
            Tensor loss = jclip.tensor.Functional.clipLoss(allImages, allTexts, model.logitScale());
            double value = checkedLoss(loss);
            loss.backward();
            int start = 0;
            for (int k = 0; k < micro.size(); k++) {
                int n = micro.get(k).size();
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor surrogate;
                    try (Autocast a = autocast()) {
                        Tensor image = model.imageEmbeddings(micro.get(k).images());
                        Tensor text = model.textEmbeddings(tokens.get(k));
                        // Σ features·(their gradient in the whole batch's loss): its gradient for the
                        // parameters is this micro-batch's share of the whole batch's.
                        surrogate = image.mul(allImages.grad().narrow(0, start, n)).sum()
                                .add(text.mul(allTexts.grad().narrow(0, start, n)).sum());
                    }
                    surrogate.backward();
                }
                start += n;
            }
            return value;
        }
    }

    private Tensor tokens(Batch batch) {
        return tokenizer.tokenize(batch.captions(), model.config().contextLength(), true);
    }

    /** bf16 products under mixed precision; null (no scope) in float32. */
    private Autocast autocast() {
        return options.precision() == TrainOptions.Precision.BF16 ? Autocast.bf16() : null;
    }

    private double checkedLoss(Tensor loss) {
        double value = loss.item();
        if (!Double.isFinite(value))
            throw new TrainingDivergedException("loss is " + value + " at step " + (step + 1)
                    + "; training stopped, the last checkpoint (" + lastCheckpointName() + ") is intact");
        return value;
    }

    private String lastCheckpointName() {
        try {
            Path p = Checkpoint.latest(options.checkpointDir());
            return p == null ? "none written yet" : p.toString();
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    private Batch nextBatch() {
        for (int attempt = 0; attempt < 2; attempt++) {
            if (batches == null) batches = data.open(epoch, position);
            if (batches.hasNext()) {
                Batch b = batches.next();
                position = b.position();
                return b;
            }
            closeBatches();
            epoch++;
            position = 0;
        }
        throw new IllegalStateException("the training data yields no batch (fewer examples than one batch of " + options.batchSize() + "?)");
    }

    /** Writes a checkpoint of the current state now. */
    public Path checkpoint() throws IOException {
        Path folder = Checkpoint.save(options.checkpointDir(), model, optimizer.stateDict(),
                new Checkpoint.State(step, epoch, position, options.resumeRecord()));
        Checkpoint.prune(options.checkpointDir(), options.keepCheckpoints());
        listener.onCheckpoint(folder);
        return folder;
    }

    private void closeBatches() {
        if (batches instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the data loader failed", e);
            }
        }
        batches = null;
    }

    @Override
    public void close() {
        closeBatches();
        optimizer.close();
    }
}
