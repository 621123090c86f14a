package jclip.clip.cli;

import java.io.IOException;
import java.nio.file.Path;
import jclip.clip.data.CsvImageFolder;
import jclip.clip.data.FashionMnist;
import jclip.clip.data.ImageTextSource;
import jclip.clip.data.ShapesDataset;
import jclip.clip.data.WebDatasetShards;

/**
 * The --data forms:
 * <ul>
 *   <li>{@code shapes}, {@code shapes-heldout}: the generated data set (training split, and the
 *       labelled held-out colour-shape combinations for zero-shot)</li>
 *   <li>{@code fashion-mnist}, {@code fashion-mnist-test}, optionally {@code :FOLDER}</li>
 *   <li>{@code csv:TABLE} (a CSV/TSV of image path and caption)</li>
 *   <li>{@code wds:PATTERN} (WebDataset tar shards, e.g. {@code wds:data/shard-{000..009}.tar})</li>
 * </ul>
 */
final class DataSpec {
    private DataSpec() {}

    static final String HELP = "shapes | shapes-heldout | fashion-mnist[:DIR] | fashion-mnist-test[:DIR] | csv:TABLE | wds:PATTERN";

    /** A source for spec; generated sets get size examples at the resolution, csv: tables read the given columns. */
    static ImageTextSource open(String spec, long seed, int size, int resolution, CsvColumns csv) throws IOException {
        String kind = spec, arg = null;
        int colon = spec.indexOf(':');
        if (colon > 0) {
            kind = spec.substring(0, colon);
            arg = spec.substring(colon + 1);
        }
        return switch (kind) {
            case "shapes" -> ShapesDataset.train(seed, size, resolution);
            case "shapes-heldout" -> ShapesDataset.heldOut(seed + 1_000_003, size, resolution);
            case "fashion-mnist" -> FashionMnist.load(arg == null ? FashionMnist.DEFAULT_DIR : Path.of(arg), FashionMnist.Split.TRAIN);
            case "fashion-mnist-test" -> FashionMnist.load(arg == null ? FashionMnist.DEFAULT_DIR : Path.of(arg), FashionMnist.Split.TEST);
            case "csv" -> CsvImageFolder.open(Path.of(require(arg, spec)), csv.imageKey, csv.captionKey);
            case "wds" -> WebDatasetShards.pattern(require(arg, spec));
            default -> throw new IllegalArgumentException("--data '" + spec + "' is not one of " + HELP);
        };
    }

    private static String require(String arg, String spec) {
        if (arg == null || arg.isEmpty()) throw new IllegalArgumentException("--data " + spec + " needs a path after the colon");
        return arg;
    }
}
