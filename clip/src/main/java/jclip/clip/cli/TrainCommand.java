package jclip.clip.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import jclip.clip.BpeTrainer;
import jclip.clip.ClipConfig;
import jclip.clip.ClipModel;
import jclip.clip.ClipTokenizer;
import jclip.clip.data.BadItemPolicy;
import jclip.clip.data.DataLoader;
import jclip.clip.data.Example;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.Preprocess;
import jclip.clip.eval.ZeroShot;
import jclip.clip.report.Charts;
import jclip.clip.report.MetricsLog;
import jclip.clip.train.Checkpoint;
import jclip.clip.train.TrainOptions;
import jclip.clip.train.Trainer;
import jclip.tensor.Device;
import jclip.tensor.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains CLIP on image-caption data, with checkpoints, metrics, charts and an optional zero-shot evaluation. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a CLIP model contrastively on image-caption pairs.")
class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", description = "Training data: " + DataSpec.HELP + " (default: ${DEFAULT-VALUE}).")
    String data = "shapes";

    @Option(names = "--data-size", description = "Examples of the generated data set (default: ${DEFAULT-VALUE}).")
    int dataSize = 100000;

    @Mixin
    CsvColumns csv = new CsvColumns();

    @Option(names = "--model", description = "Model size: " + ModelPresets.HELP + " (default: ${DEFAULT-VALUE}).")
    String model = "tiny";

    @Option(names = "--context", description = "Text context length (default: ${DEFAULT-VALUE}).")
    int context = 32;

    @Option(names = "--tokenizer", description = "BPE merges file (e.g. the original bpe_simple_vocab_16e6.txt.gz); default: learn one from the captions.")
    Path tokenizer;

    @Option(names = "--bpe-merges", description = "Merges to learn when no --tokenizer is given (default: ${DEFAULT-VALUE}).")
    int bpeMerges = 500;

    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 1000;

    @Option(names = "--batch-size", description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize = 128;

    @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-3;

    @Option(names = "--warmup", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup = 50;

    @Option(names = "--wd", description = "Weight decay on weights (default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.1;

    @Option(names = "--grad-clip", description = "Clip the global gradient norm at this value; 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip = 1.0;

    @Option(names = {"--accum-freq", "--accumulation"}, description = "Micro-batches per step, as one contrastive batch of "
            + "accum-freq × batch-size pairs at the memory of one micro-batch (default: ${DEFAULT-VALUE}).")
    int accumulation = 1;

    @Option(names = "--grad-checkpointing", description = "Recompute each transformer block in the backward instead of "
            + "keeping its activations: less memory, about one more forward of compute.")
    boolean gradCheckpointing;

    @Option(names = "--checkpoint-every", description = "Steps between checkpoints; 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = 200;

    @Option(names = "--keep-checkpoints", description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints = 2;

    @Option(names = "--precision", description = "float32, or bf16: mixed precision, matrix products in bf16 with float32 "
            + "accumulation and float32 master weights (default: ${DEFAULT-VALUE}).")
    String precision = "float32";

    @Option(names = "--seed", description = "Seed of initialisation, data order and augmentation (default: ${DEFAULT-VALUE}).")
    long seed = 0L;

    @Option(names = "--augment", description = "Random resized crops for training images.")
    boolean augment;

    @Option(names = "--threads", description = "Image decoding threads (default: all cores).")
    Integer threads;

    @Option(names = "--skip-bad", description = "Report and skip corrupt images and bad rows instead of stopping.")
    boolean skipBad;

    @Option(names = "--out", description = "Run folder for checkpoints, metrics and charts (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/train");

    @Option(names = "--resume", description = "Continue exactly from the run folder's latest checkpoint.")
    boolean resume;

    @Option(names = "--eval-data", description = "Labelled data for a zero-shot evaluation at the end, e.g. shapes-heldout or fashion-mnist-test.")
    String evalData;

    @Option(names = "--eval-size", description = "Examples of a generated evaluation set (default: ${DEFAULT-VALUE}).")
    int evalSize = 2000;

    @Option(names = "--no-progress", description = "No progress bar (for logs).")
    boolean noProgress;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Device onDevice = device.resolve();
        TrainOptions.Precision precisionMode = TrainOptions.Precision.parse(precision);
        PrintWriter console = spec.commandLine().getOut();
        Files.createDirectories(out);
        int resolution = ModelPresets.resolve(model, 1, context).imageResolution();
        ImageTextSource source = DataSpec.open(data, seed, dataSize, resolution, csv);
        ClipTokenizer tok = tokenizer(source, console);
        ClipConfig config = ModelPresets.resolve(model, tok.vocabSize(), context);
        TrainOptions options = new TrainOptions(steps, batchSize, lr, warmup, weightDecay, gradClip, accumulation,
                checkpointEvery, keepCheckpoints, seed, out, precisionMode, gradCheckpointing);
        Preprocess preprocess = augment ? Preprocess.train(resolution) : Preprocess.eval(resolution);

        Path latest = resume ? Checkpoint.latest(options.checkpointDir()) : null;
        if (resume && latest == null) throw new IllegalArgumentException("--resume: no checkpoint in " + options.checkpointDir());
        if (latest != null) MetricsLog.truncateAfter(out.resolve("metrics.jsonl"), Checkpoint.readState(latest).step());
        try (ClipModel clip = new ClipModel(config, new Rng(seed)).to(onDevice).gradCheckpointing(gradCheckpointing);
                MetricsLog metrics = new MetricsLog(out.resolve("metrics.jsonl"));
                Listeners listeners = new Listeners(metrics, console);
                Trainer trainer = new Trainer(clip, tok, (epoch, skip) -> loader(source, preprocess, epoch, skip, console),
                        options, listeners)) {
            if (latest != null) {
                trainer.resume(latest);
                console.println("resumed from " + latest + " at step " + trainer.step());
            }
            console.printf("training %s on %s: %,d parameters, %d steps of %d, %s%n", config.isVit() ? "ViT CLIP" : "ResNet CLIP",
                    source.describe(), clip.parameterCount(), steps, batchSize * accumulation,
                    precisionMode == TrainOptions.Precision.BF16 ? "bf16 mixed precision" : "float32");
            trainer.run();
            listeners.close();
            List<Path> charts = new ArrayList<>(Charts.training(metrics.history(), out.resolve("charts")));
            if (evalData != null) {
                ZeroShot.Result r = zeroShot(clip, tok, evalData, resolution, console);
                charts.add(Charts.confusion(r, out.resolve("charts/zero-shot-confusion.png")));
            }
            console.println("charts: " + String.join(", ", charts.stream().map(Path::toString).toList()));
        }
        return 0;
    }

    /** Metrics, the progress bar (made at the first step, which may follow a resume) and step lines for logs. */
    final class Listeners implements Trainer.Listener, AutoCloseable {
        private final MetricsLog metrics;
        private final PrintWriter console;
        private ProgressListener progress;

        Listeners(MetricsLog metrics, PrintWriter console) {
            this.metrics = metrics;
            this.console = console;
        }

        @Override
        public void onStep(Trainer.StepMetrics m) {
            metrics.onStep(m);
            if (noProgress) {
                if (m.step() % 50 == 0 || m.step() == steps)
                    console.printf("step %d/%d  loss %.4f  lr %.2e  %.0f img/s%n", m.step(), steps, m.loss(), m.learningRate(), m.imagesPerSecond());
                return;
            }
            if (progress == null) progress = new ProgressListener("train", steps, m.step() - 1);
            progress.onStep(m);
        }

        @Override
        public void close() {
            if (progress != null) progress.close();
            progress = null;
        }
    }

    private Iterator<jclip.clip.data.Batch> loader(ImageTextSource source, Preprocess preprocess, int epoch, long skip, PrintWriter console) {
        DataLoader.Builder b = DataLoader.builder(source).preprocess(preprocess).batchSize(batchSize).seed(seed).epoch(epoch)
                .skip(skip).dropLast(true).badItems(skipBad ? BadItemPolicy.SKIP : BadItemPolicy.FAIL)
                .warnings(w -> console.println("warning: " + w));
        if (threads != null) b.threads(threads);
        return b.build();
    }

    /** The given tokenizer, the run folder's, or one learned from the training captions (and saved there). */
    private ClipTokenizer tokenizer(ImageTextSource source, PrintWriter console) throws Exception {
        Path saved = out.resolve(Checkpoints.TOKENIZER_FILE);
        if (tokenizer != null) {
            Files.copy(tokenizer, saved, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return ClipTokenizer.load(tokenizer);
        }
        if (Files.exists(saved)) return ClipTokenizer.load(saved);
        List<String> captions = new ArrayList<>();
        Iterator<Example> it = source.examples(seed, 0);
        while (it.hasNext() && captions.size() < 20_000) captions.add(it.next().caption());
        BpeTrainer.writeMergesFile(saved, BpeTrainer.learnMerges(captions, bpeMerges));
        ClipTokenizer t = ClipTokenizer.load(saved);
        console.printf("learned a %,d-token BPE vocabulary from %,d captions: %s%n", t.vocabSize(), captions.size(), saved);
        return t;
    }

    private ZeroShot.Result zeroShot(ClipModel clip, ClipTokenizer tok, String spec, int resolution, PrintWriter console) throws Exception {
        ImageTextSource eval = DataSpec.open(spec, seed, evalSize, resolution, csv);
        LoaderOptions loader = new LoaderOptions();
        loader.batchSize = batchSize;
        loader.threads = threads;
        return ZeroShotCommand.evaluate(clip.eval(), tok, eval, loader, resolution, console);
    }
}
