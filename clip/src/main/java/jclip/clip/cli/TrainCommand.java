package jclip.clip.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import jclip.clip.text.BpeTrainer;
import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.BadItemPolicy;
import jclip.clip.data.DataException;
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

    @Option(names = "--data-size", converter = Flags.Positive.class, description = "Examples of the generated data set (default: ${DEFAULT-VALUE}).")
    int dataSize = 100000;

    @Mixin
    CsvColumns csv = new CsvColumns();

    @Option(names = "--model", description = "Model size: " + ModelPresets.HELP + " (default: ${DEFAULT-VALUE}).")
    String model = "tiny";

    @Option(names = "--context", converter = Flags.Positive.class, description = "Text context length (default: ${DEFAULT-VALUE}).")
    int context = 32;

    @Option(names = "--tokenizer", description = "BPE merges file (e.g. the original bpe_simple_vocab_16e6.txt.gz); default: learn one from the captions.")
    Path tokenizer;

    @Option(names = "--bpe-merges", converter = Flags.NonNegative.class, description = "Merges to learn when no --tokenizer is given (default: ${DEFAULT-VALUE}).")
    int bpeMerges = 500;

    @Option(names = "--steps", converter = Flags.Positive.class, description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps = 1000;

    @Option(names = "--batch-size", converter = Flags.Positive.class, description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize = 128;

    @Option(names = "--lr", converter = Flags.PositiveReal.class, description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr = 1e-3;

    @Option(names = "--warmup", converter = Flags.NonNegative.class, description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmup = 50;

    @Option(names = "--wd", converter = Flags.NonNegativeReal.class, description = "Weight decay on weights (default: ${DEFAULT-VALUE}).")
    double weightDecay = 0.1;

    @Option(names = "--grad-clip", converter = Flags.NonNegativeReal.class, description = "Clip the global gradient norm at this value; 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip = 1.0;

    @Option(names = {"--accum-freq", "--accumulation"}, converter = Flags.Positive.class, description = "Micro-batches per step, as one contrastive batch of "
            + "accum-freq × batch-size pairs at the memory of one micro-batch (default: ${DEFAULT-VALUE}).")
    int accumulation = 1;

    @Option(names = "--grad-checkpointing", description = "Recompute each transformer block in the backward instead of "
            + "keeping its activations: less memory, about one more forward of compute.")
    boolean gradCheckpointing;

    @Option(names = "--checkpoint-every", converter = Flags.NonNegative.class, description = "Steps between checkpoints; 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery = 200;

    @Option(names = "--keep-checkpoints", converter = Flags.Positive.class, description = "Checkpoints kept (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints = 2;

    @Option(names = "--precision", description = "float32, or bf16: mixed precision, matrix products in bf16 with float32 "
            + "accumulation and float32 master weights (default: ${DEFAULT-VALUE}).")
    String precision = "float32";

    @Option(names = "--seed", description = "Seed of initialisation, data order and augmentation (default: ${DEFAULT-VALUE}).")
    long seed = 0L;

    @Option(names = "--augment", description = "Random resized crops for training images.")
    boolean augment;

    @Option(names = "--threads", converter = Flags.Positive.class, description = "Image decoding threads (default: all cores).")
    Integer threads;

    @Option(names = "--skip-bad", description = "Report and skip bad items (rows, samples, shards, images) instead of stopping at the first.")
    boolean skipBad;

    @Option(names = "--out", description = "Run folder for checkpoints, metrics and charts (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/train");

    @Option(names = "--resume", description = "Continue exactly from the run folder's latest checkpoint (or, when that one is "
            + "damaged, the newest intact one), with the flags the run was started with.")
    boolean resume;

    @Option(names = "--overwrite", description = "Start afresh in an --out that holds another run, deleting its metrics, "
            + "checkpoints, charts and tokenizer.")
    boolean overwrite;

    @Option(names = "--eval-data", description = "Labelled data for a zero-shot evaluation at the end, e.g. shapes-heldout or fashion-mnist-test.")
    String evalData;

    @Option(names = "--eval-size", converter = Flags.Positive.class, description = "Examples of a generated evaluation set (default: ${DEFAULT-VALUE}).")
    int evalSize = 2000;

    @Option(names = "--no-progress", description = "No progress bar (for logs).")
    boolean noProgress;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        // Everything is checked before anything is written: flags, run folder, checkpoint, data.
        if (resume && overwrite && spec.commandLine().getParseResult().hasMatchedOption("--overwrite"))
            throw new IllegalArgumentException("--resume continues the run in --out, --overwrite replaces it: give one of them");
        Device onDevice = device.resolve();
        TrainOptions options = new TrainOptions(steps, batchSize, lr, warmup, weightDecay, gradClip, accumulation,
                checkpointEvery, keepCheckpoints, seed, out, TrainOptions.Precision.parse(precision), gradCheckpointing);
        int resolution = ModelPresets.resolve(model, 1, context).imageResolution();
        RunFolder run = new RunFolder(out);
        run.checkIsFolder();
        Path from = null;
        if (resume) {
            from = Checkpoint.resumable(options.checkpointDir(), w -> console.println("warning: " + w));
            if (from == null) throw new IllegalArgumentException("--resume: no checkpoint in " + options.checkpointDir());
            for (String note : options.checkResume(Checkpoint.readState(from), from)) console.println("note: " + note);
        } else {
            run.checkFresh(overwrite);
        }
        ImageTextSource source = DataSpec.open(data, seed, dataSize, resolution, csv);
        ImageTextSource eval = evalData == null ? null : DataSpec.open(evalData, seed, evalSize, resolution, csv);
        if (eval != null && eval.classNames().isEmpty())
            throw new IllegalArgumentException("--eval-data " + evalData + " has no class labels: zero-shot needs labelled data");
        ClipTokenizer tok = resume ? resumedTokenizer(run) : newTokenizer(source, run, console);
        ClipConfig config = ModelPresets.resolve(model, tok.vocabSize(), context);
        if (from != null) {
            ClipConfig saved = Checkpoint.readConfig(from);
            if (!saved.equals(config))
                throw new IllegalArgumentException("--resume: the model of --model " + model + " --context " + context
                        + " is not the one in " + from + " (" + differences(config, saved) + ")");
            if (!Files.exists(run.tokenizer())) Checkpoints.saveTokenizer(tokenizer, run.tokenizer());
            MetricsLog.truncateAfter(run.metrics(), Checkpoint.readState(from).step());
        }
        Preprocess preprocess = augment ? Preprocess.train(resolution) : Preprocess.eval(resolution);

        try (ClipModel clip = new ClipModel(config, new Rng(seed)).to(onDevice).gradCheckpointing(gradCheckpointing);
                MetricsLog metrics = new MetricsLog(run.metrics());
                Listeners listeners = new Listeners(metrics, console);
                Trainer trainer = new Trainer(clip, tok, (epoch, skip) -> loader(source, preprocess, epoch, skip, console),
                        options, listeners)) {
            if (from != null) {
                trainer.resume(from);
                console.println("resumed from " + from + " at step " + trainer.step());
            }
            console.printf("training %s on %s: %,d parameters, %d steps of %d, %s%n", config.isVit() ? "ViT CLIP" : "ResNet CLIP",
                    source.describe(), clip.parameterCount(), steps, batchSize * accumulation,
                    options.precision() == TrainOptions.Precision.BF16 ? "bf16 mixed precision" : "float32");
            trainer.run();
            listeners.close();
            List<Path> charts = new ArrayList<>(Charts.training(metrics.history(), out.resolve("charts")));
            if (eval != null) {
                ZeroShot.Result r = zeroShot(clip, tok, eval, console);
                charts.add(Charts.confusion(r, out.resolve("charts/zero-shot-confusion.png")));
            }
            console.println("charts: " + String.join(", ", charts.stream().map(Path::toString).toList()));
        }
        return 0;
    }

    /** "context_length 20, not 32": the fields in which a differs from b. */
    private static String differences(ClipConfig a, ClipConfig b) {
        var x = com.google.gson.JsonParser.parseString(a.toJson()).getAsJsonObject();
        var y = com.google.gson.JsonParser.parseString(b.toJson()).getAsJsonObject();
        List<String> out = new ArrayList<>();
        for (String key : x.keySet()) if (!x.get(key).equals(y.get(key))) out.add(key + " " + x.get(key) + ", not " + y.get(key));
        return String.join("; ", out);
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

    /** The run folder's tokenizer; a --tokenizer given too must be the same file (it was copied there when the run began). */
    private ClipTokenizer resumedTokenizer(RunFolder run) throws IOException {
        Path saved = run.tokenizer();
        if (!Files.isRegularFile(saved)) {
            if (tokenizer == null) throw new IllegalArgumentException("--resume: " + saved + " is missing; give --tokenizer, the run's merges file");
            return ClipTokenizer.load(tokenizer); // kept in the run folder once it has been checked against the checkpoint
        }
        if (tokenizer != null && !Arrays.equals(Checkpoints.tokenizerText(tokenizer), Checkpoints.tokenizerText(saved)))
            throw new IllegalArgumentException("--resume: --tokenizer " + tokenizer + " is not the run's tokenizer " + saved);
        return ClipTokenizer.load(saved);
    }

    /**
     * A new run's tokenizer, kept in the run folder: the given one, or one learned from the
     * training captions. A bad example stops the learning under FAIL, naming it as the data
     * loader would; under --skip-bad it is left out here and reported by the loader.
     */
    private ClipTokenizer newTokenizer(ImageTextSource source, RunFolder run, PrintWriter console) throws IOException {
        if (tokenizer != null) {
            ClipTokenizer.load(tokenizer); // refuse an empty or broken file before copying it
            prepare(run);
            Checkpoints.saveTokenizer(tokenizer, run.tokenizer());
            return ClipTokenizer.load(run.tokenizer());
        }
        List<String> captions = new ArrayList<>();
        Iterator<Example> it = source.examples(seed, 0);
        try {
            while (it.hasNext() && captions.size() < 20_000) {
                Example e = it.next();
                String problem = e.problem();
                if (problem == null) captions.add(e.caption());
                else if (!skipBad) throw new DataException(e.origin(), "bad item " + e.origin() + ": " + problem, null);
            }
        } finally {
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the captions are read; a failure to close the shard changes nothing
                }
            }
        }
        if (captions.isEmpty()) throw new IllegalArgumentException(source.describe() + " has no usable caption to learn a tokenizer from");
        List<String[]> merges = BpeTrainer.learnMerges(captions, bpeMerges);
        prepare(run);
        BpeTrainer.writeMergesFile(run.tokenizer(), merges);
        ClipTokenizer t = ClipTokenizer.load(run.tokenizer());
        console.printf("learned a %,d-token BPE vocabulary from %,d captions: %s%n", t.vocabSize(), captions.size(), run.tokenizer());
        return t;
    }

    /** The first write of a new run: the folder, emptied of an earlier run under --overwrite. */
    private void prepare(RunFolder run) throws IOException {
        if (overwrite) run.clear();
        Files.createDirectories(out);
    }

    private ZeroShot.Result zeroShot(ClipModel clip, ClipTokenizer tok, ImageTextSource eval, PrintWriter console) {
        int resolution = clip.config().imageResolution();
        LoaderOptions loader = new LoaderOptions();
        loader.batchSize = batchSize;
        loader.threads = threads;
        return ZeroShotCommand.evaluate(clip.eval(), tok, eval, loader, resolution, console);
    }
}
