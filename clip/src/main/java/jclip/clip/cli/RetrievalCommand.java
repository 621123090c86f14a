package jclip.clip.cli;

import java.util.concurrent.Callable;
import jclip.clip.model.ClipModel;
import jclip.tensor.Device;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
import jclip.clip.eval.Features;
import jclip.clip.eval.Retrieval;
import jclip.kernels.DType;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Image-to-text and text-to-image retrieval on image-caption pairs. */
@Command(name = "retrieval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Rank every caption for every image and every image for every caption; report recall@1/5/10.")
final class RetrievalCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--data", required = true, description = "Image-caption pairs: " + DataSpec.HELP + ".")
    String data;

    @Option(names = "--data-size", converter = Flags.Positive.class, description = "Examples of a generated set (default: ${DEFAULT-VALUE}).")
    int dataSize = 1000;

    @Mixin
    CsvColumns csv = new CsvColumns();

    @Mixin
    LoaderOptions loader = new LoaderOptions();

    @Option(names = "--seed", description = "Seed of a generated set (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Device onDevice = device.resolve();
        try (ClipModel clip = model.load().to(onDevice); MemoryScope scope = MemoryScope.open()) {
            ClipTokenizer tok = model.tokenizer(clip);
            int r = clip.config().imageResolution();
            ImageTextSource source = DataSpec.open(data, seed, dataSize, r, csv);
            Features.Encoded images;
            try (DataLoader l = loader.open(source, r)) {
                images = Features.images(clip, l);
            }
            int n = images.images().length, d = clip.config().embedDim();
            float[] flat = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(images.images()[i], 0, flat, i * d, d);
            Tensor text = Features.texts(clip, tok, images.captions(), loader.batchSize);
            Retrieval.Result result = Retrieval.evaluate(Tensor.fromHost(flat, DType.F32, n, d), text);
            var out = spec.commandLine().getOut();
            out.printf("retrieval on %s (%,d image-caption pairs):%n", source.describe(), n);
            out.printf("  image to text  R@1 %.1f%%  R@5 %.1f%%  R@10 %.1f%%%n", 100 * result.imageToText()[0],
                    100 * result.imageToText()[1], 100 * result.imageToText()[2]);
            out.printf("  text to image  R@1 %.1f%%  R@5 %.1f%%  R@10 %.1f%%%n", 100 * result.textToImage()[0],
                    100 * result.textToImage()[1], 100 * result.textToImage()[2]);
        }
        return 0;
    }
}
