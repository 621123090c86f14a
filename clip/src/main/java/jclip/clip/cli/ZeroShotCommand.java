package jclip.clip.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jclip.clip.ClipModel;
import jclip.clip.ClipTokenizer;
import jclip.clip.data.Batch;
import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.Preprocess;
import jclip.clip.eval.ZeroShot;
import jclip.clip.report.Charts;
import jclip.tensor.MemoryScope;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Zero-shot classification with prompt ensembles, as in the paper. */
@Command(name = "zeroshot", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify labelled images by their similarity to prompts built from the class names.")
final class ZeroShotCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "A model file, checkpoint folder or run folder.")
    Path checkpoint;

    @Option(names = "--data", required = true, description = "Labelled data: shapes-heldout, fashion-mnist-test[:DIR], fashion-mnist[:DIR].")
    String data;

    @Option(names = "--tokenizer", description = "BPE merges file (default: the run folder's tokenizer.txt.gz).")
    Path tokenizer;

    @Option(names = "--data-size", defaultValue = "2000", description = "Examples of a generated set (default: ${DEFAULT-VALUE}).")
    int dataSize;

    @Option(names = "--batch-size", defaultValue = "256", description = "Images per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--threads", description = "Image decoding threads (default: all cores).")
    Integer threads;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of a generated set (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--confusion-png", description = "Write the confusion matrix as a PNG chart here.")
    Path confusionPng;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        device.resolve();
        Path file = Checkpoints.modelFile(checkpoint);
        ClipTokenizer tok = Checkpoints.tokenizer(tokenizer, file);
        try (ClipModel model = ClipModel.load(file)) {
            int r = model.config().imageResolution();
            ImageTextSource source = DataSpec.open(data, seed, dataSize, r, "filepath", "title");
            ZeroShot.Result result = evaluate(model.eval(), tok, source, Preprocess.eval(r), batchSize, threads, spec.commandLine().getOut());
            if (confusionPng != null) Charts.confusion(result, confusionPng);
        }
        return 0;
    }

    /** Runs zero-shot over a labelled source and prints top-1, top-5 and per-class accuracy. */
    static ZeroShot.Result evaluate(ClipModel model, ClipTokenizer tok, ImageTextSource source, Preprocess preprocess,
            int batchSize, Integer threads, PrintWriter out) {
        if (source.classNames().isEmpty())
            throw new IllegalArgumentException(source.describe() + " has no class labels: zero-shot needs labelled data");
        try (ZeroShot zs = new ZeroShot(model, tok, source.classNames(), source.templates())) {
            DataLoader.Builder b = DataLoader.builder(source).preprocess(preprocess).batchSize(batchSize).dropLast(false);
            if (threads != null) b.threads(threads);
            long total = source.size();
            try (DataLoader loader = b.build();
                    ProgressBar bar = new ProgressBarBuilder().setTaskName("zero-shot").setInitialMax(Math.max(total, 0))
                            .setStyle(ProgressBarStyle.ASCII).setUnit(" img", 1).showSpeed().build()) {
                while (loader.hasNext()) {
                    try (MemoryScope scope = MemoryScope.open(); Batch batch = loader.next()) {
                        zs.add(batch.images(), batch.labels());
                        bar.stepBy(batch.size());
                    }
                }
            }
            ZeroShot.Result r = zs.result();
            out.printf("zero-shot on %s (%,d images, %d classes, %d prompt templates):%n", source.describe(), r.images(),
                    r.classNames().size(), source.templates().size());
            out.printf("  top-1 %.1f%%   top-5 %.1f%%%n", 100 * r.top1(), 100 * r.top5());
            for (int i = 0; i < r.classNames().size(); i++)
                if (!Double.isNaN(r.perClass()[i])) out.printf("  %-24s %5.1f%%%n", r.classNames().get(i), 100 * r.perClass()[i]);
            return r;
        }
    }
}
