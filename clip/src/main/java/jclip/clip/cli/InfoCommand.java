package jclip.clip.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import jclip.clip.model.ClipModel;
import jclip.clip.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Configuration and parameter counts of a checkpoint. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the configuration and parameter counts of a checkpoint (a .safetensors file, a checkpoint folder or a run folder).")
final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CHECKPOINT")
    Path checkpoint;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path file = Checkpoints.modelFile(checkpoint);
        try (ClipModel model = ClipModel.load(file)) {
            var out = spec.commandLine().getOut();
            var c = model.config();
            out.println("checkpoint   " + file);
            out.println("image tower  " + (c.isVit()
                    ? String.format("ViT, %d px, patch %d, width %d, %d layers, %d heads", c.imageResolution(), c.visionPatchSize(),
                            c.visionWidth(), c.visionLayers()[0], c.visionHeads())
                    : String.format("ModifiedResNet, %d px, width %d, stages %s, %d heads", c.imageResolution(), c.visionWidth(),
                            java.util.Arrays.toString(c.visionLayers()), c.visionHeads())));
            out.println(String.format("text tower   context %d, vocabulary %,d, width %d, %d layers, %d heads", c.contextLength(),
                    c.vocabSize(), c.transformerWidth(), c.transformerLayers(), c.transformerHeads()));
            out.println("embedding    " + c.embedDim());
            Map<String, Long> counts = new LinkedHashMap<>();
            for (var e : model.namedParameters().entrySet()) {
                String group = e.getKey().startsWith("visual.") ? "image tower" : e.getKey().equals("logit_scale") ? "logit scale" : "text tower";
                counts.merge(group, (long) e.getValue().numel(), Long::sum);
            }
            counts.forEach((k, v) -> out.println(String.format("parameters   %-12s %,d", k, v)));
            out.println(String.format("parameters   %-12s %,d", "total", model.parameterCount()));
            out.println(String.format("logit scale  %.4f (temperature %.4f)", model.logitScale().item(), Math.exp(-model.logitScale().item())));
            Path folder = file.getParent();
            if (folder != null && Files.exists(folder.resolve(Checkpoint.TRAINER_FILE))) {
                Checkpoint.State s = Checkpoint.readState(folder);
                out.println("training     step " + s.step() + ", epoch " + s.epoch() + ", position " + s.position());
            }
        }
        return 0;
    }
}
