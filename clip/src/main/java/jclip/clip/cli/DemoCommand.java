package jclip.clip.cli;

import picocli.CommandLine.Command;

/**
 * The first command a newcomer runs: a small CLIP trained for a few minutes on the generated
 * shapes, then asked to classify colour-shape combinations it never saw in training.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small CLIP on generated images of coloured shapes for a few minutes on the CPU, then",
                "classify held-out colour-shape combinations zero-shot; writes metrics and charts to --out."})
final class DemoCommand extends TrainCommand {
    DemoCommand() {
        // Sized to take a few minutes on 2 cores; every option of train can still be given.
        data = "shapes";
        model = "tiny";
        context = 16;
        steps = 400;
        batchSize = 128;
        warmup = 40;
        lr = 2e-3;
        checkpointEvery = 0;
        evalData = "shapes-heldout";
        out = java.nio.file.Path.of("runs/demo");
        // The demo is meant to be run again as it is: each run replaces the last one's folder.
        overwrite = true;
    }
}
