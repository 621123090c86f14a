package jclip.clip.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jclip.clip.model.ClipModel;
import jclip.tensor.Device;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.Batch;
import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
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
    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--data", required = true, description = "Labelled data: shapes-heldout, fashion-mnist-test[:DIR], fashion-mnist[:DIR].")
    String data;

    @Option(names = "--data-size", converter = Flags.Positive.class, defaultValue = "2000", description = "Examples of a generated set (default: ${DEFAULT-VALUE}).")
    int dataSize;

    @Mixin
    LoaderOptions loader = new LoaderOptions();

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
        Device onDevice = device.resolve();
        try (ClipModel clip = model.load().to(onDevice)) {
            ClipTokenizer tok = model.tokenizer(clip);
            int r = clip.config().imageResolution();
            ImageTextSource source = DataSpec.open(data, seed, dataSize, r, new CsvColumns());
            ZeroShot.Result result = evaluate(clip, tok, source, loader, r, spec.commandLine().getOut());
            if (confusionPng != null) Charts.confusion(result, confusionPng);
        }
        return 0;
    }

    /** Runs zero-shot over a labelled source and prints top-1, top-5 and per-class accuracy. */
    static ZeroShot.Result evaluate(ClipModel model, ClipTokenizer tok, ImageTextSource source, LoaderOptions loaderOptions,
            int resolution, PrintWriter out) {
        if (source.classNames().isEmpty())
            throw new IllegalArgumentException(source.describe() + " has no class labels: zero-shot needs labelled data");
        try (ZeroShot zs = new ZeroShot(model, tok, source.classNames(), source.templates())) {
            long total = source.size();
            try (DataLoader loader = loaderOptions.open(source, resolution);
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
            if (r.images() == 0) throw new IllegalArgumentException(source.describe() + ": no images to classify (every one was bad?)");
            out.printf("zero-shot on %s (%,d images, %d classes, %d prompt templates):%n", source.describe(), r.images(),
                    r.classNames().size(), source.templates().size());
            out.printf("  top-1 %.1f%%   top-5 %.1f%%%n", 100 * r.top1(), 100 * r.top5());
            for (int i = 0; i < r.classNames().size(); i++)
                if (!Double.isNaN(r.perClass()[i])) out.printf("  %-24s %5.1f%%%n", r.classNames().get(i), 100 * r.perClass()[i]);
            return r;
        }
    }
}
