package jclip.clip.cli;

import java.util.concurrent.Callable;
import jclip.clip.model.ClipModel;
import jclip.tensor.Device;
import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.IndexedSource;
import jclip.clip.eval.Features;
import jclip.clip.eval.LinearProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The paper's linear probe: logistic regression on frozen image features, L2 chosen on a validation split. */
@Command(name = "linear-probe", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fit logistic regression on frozen image features (L2 swept on a validation split) and report test accuracy.")
final class LinearProbeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--train-data", required = true, description = "Labelled training images, e.g. fashion-mnist or shapes-heldout.")
    String trainData;

    @Option(names = "--test-data", required = true, description = "Labelled test images, e.g. fashion-mnist-test.")
    String testData;

    @Option(names = "--train-size", converter = Flags.Positive.class, description = "Use at most this many training images (default: all).")
    Integer trainSize;

    @Option(names = "--data-size", converter = Flags.Positive.class, description = "Examples of a generated set (default: ${DEFAULT-VALUE}).")
    int dataSize = 2000;

    @Option(names = "--validation", converter = Flags.Fraction.class, description = "Fraction of the training images held out to choose L2 (default: ${DEFAULT-VALUE}).")
    double validation = 0.2;

    @Mixin
    LoaderOptions loader = new LoaderOptions();

    @Option(names = "--seed", description = "Seed of the validation split (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Device onDevice = device.resolve();
        var out = spec.commandLine().getOut();
        try (ClipModel clip = model.load().to(onDevice)) {
            int r = clip.config().imageResolution();
            ImageTextSource train = DataSpec.open(trainData, seed, dataSize, r, new CsvColumns());
            ImageTextSource test = DataSpec.open(testData, seed + 1, dataSize, r, new CsvColumns());
            if (train.classNames().isEmpty()) throw new IllegalArgumentException("--train-data " + trainData + " has no labels");
            if (trainSize != null && train instanceof IndexedSource s && s.count() > trainSize) train = s.head(trainSize);
            Features.Encoded tr, te;
            try (DataLoader l = loader.open(train, r)) {
                tr = Features.images(clip, l);
            }
            try (DataLoader l = loader.open(test, r)) {
                te = Features.images(clip, l);
            }
            LinearProbe.Result result = LinearProbe.evaluate(tr.images(), tr.labels(), te.images(), te.labels(),
                    train.classNames().size(), validation, seed);
            out.printf("linear probe on %s (%,d training, %,d test images, %d-d features):%n", test.describe(), tr.labels().length,
                    te.labels().length, clip.config().embedDim());
            out.printf("  test accuracy %.1f%%   (L2 %.3g chosen on validation: %.1f%%)%n", 100 * result.testAccuracy(),
                    result.bestLambda(), 100 * result.validationAccuracy());
        }
        return 0;
    }
}
