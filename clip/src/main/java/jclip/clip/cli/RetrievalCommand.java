package jclip.clip.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import jclip.clip.ClipModel;
import jclip.clip.ClipTokenizer;
import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.Preprocess;
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
    @Option(names = "--checkpoint", required = true, description = "A model file, checkpoint folder or run folder.")
    Path checkpoint;

    @Option(names = "--data", required = true, description = "Image-caption pairs: " + DataSpec.HELP + ".")
    String data;

    @Option(names = "--tokenizer", description = "BPE merges file (default: the run folder's tokenizer.txt.gz).")
    Path tokenizer;

    @Option(names = "--data-size", description = "Examples of a generated set (default: ${DEFAULT-VALUE}).")
    int dataSize = 1000;

    @Option(names = "--csv-img-key", description = "Image column of a csv: table (default: ${DEFAULT-VALUE}).")
    String csvImageKey = "filepath";

    @Option(names = "--csv-caption-key", description = "Caption column of a csv: table (default: ${DEFAULT-VALUE}).")
    String csvCaptionKey = "title";

    @Option(names = "--batch-size", description = "Items per batch (default: ${DEFAULT-VALUE}).")
    int batchSize = 256;

    @Option(names = "--threads", description = "Image decoding threads (default: all cores).")
    Integer threads;

    @Option(names = "--seed", description = "Seed of a generated set (default: ${DEFAULT-VALUE}).")
    long seed = 7;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        device.resolve();
        Path file = Checkpoints.modelFile(checkpoint);
        ClipTokenizer tok = Checkpoints.tokenizer(tokenizer, file);
        try (ClipModel model = ClipModel.load(file).eval(); MemoryScope scope = MemoryScope.open()) {
            int r = model.config().imageResolution();
            ImageTextSource source = DataSpec.open(data, seed, dataSize, r, csvImageKey, csvCaptionKey);
            DataLoader.Builder b = DataLoader.builder(source).preprocess(Preprocess.eval(r)).batchSize(batchSize).dropLast(false);
            if (threads != null) b.threads(threads);
            Features.Encoded images;
            try (DataLoader loader = b.build()) {
                images = Features.images(model, loader);
            }
            int n = images.images().length, d = model.config().embedDim();
            float[] flat = new float[n * d];
            for (int i = 0; i < n; i++) System.arraycopy(images.images()[i], 0, flat, i * d, d);
            Tensor text = Features.texts(model, tok, images.captions(), batchSize);
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
