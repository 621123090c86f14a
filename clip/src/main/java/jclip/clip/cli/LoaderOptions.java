package jclip.clip.cli;

import jclip.clip.data.DataLoader;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.Preprocess;
import picocli.CommandLine.Option;

/** --batch-size and --threads for the commands that read a whole data set in order. */
final class LoaderOptions {
    @Option(names = "--batch-size", converter = Flags.Positive.class, description = "Items per batch (default: ${DEFAULT-VALUE}).")
    int batchSize = 256;

    @Option(names = "--threads", converter = Flags.Positive.class, description = "Image decoding threads (default: all cores).")
    Integer threads;

    /** One pass over source, every example kept. */
    DataLoader open(ImageTextSource source, int resolution) {
        DataLoader.Builder b = DataLoader.builder(source).preprocess(Preprocess.eval(resolution)).batchSize(batchSize).dropLast(false);
        if (threads != null) b.threads(threads);
        return b.build();
    }
}
