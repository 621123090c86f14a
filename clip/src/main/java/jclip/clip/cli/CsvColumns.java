package jclip.clip.cli;

import picocli.CommandLine.Option;

/** Which columns of a csv: table hold the image path and the caption (open_clip's flags). */
final class CsvColumns {
    @Option(names = "--csv-img-key", description = "Image column of a csv: table (default: ${DEFAULT-VALUE}).")
    String imageKey = "filepath";

    @Option(names = "--csv-caption-key", description = "Caption column of a csv: table (default: ${DEFAULT-VALUE}).")
    String captionKey = "title";
}
