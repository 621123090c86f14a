package jclip.clip.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jclip.clip.model.ClipModel;
import jclip.tensor.Device;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.data.Images;
import jclip.clip.data.Preprocess;
import jclip.kernels.DType;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Embeds images or texts and writes the features to safetensors or JSON lines. */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compute image or text embeddings and write them to a .safetensors or .jsonl file.")
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @ArgGroup(exclusive = true, multiplicity = "1")
    Inputs inputs;

    static final class Inputs {
        @Option(names = "--images", arity = "1..*", description = "Image files (JPEG, PNG).")
        List<Path> images;

        @Option(names = "--texts", arity = "1..*", description = "Texts.")
        List<String> texts;
    }

    @Option(names = "--normalize", description = "Scale each embedding to unit length.")
    boolean normalize;

    @Option(names = "--batch-size", converter = Flags.Positive.class, description = "Items per batch (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--out", required = true, description = "Output file: .safetensors ([N, embed] under \"embeddings\") or .jsonl (one object per item).")
    Path out;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Device onDevice = device.resolve();
        String name = out.getFileName().toString();
        if (!name.endsWith(".safetensors") && !name.endsWith(".jsonl"))
            throw new IllegalArgumentException("--out must end in .safetensors or .jsonl, got " + out);
        try (ClipModel clip = model.load().to(onDevice); Autograd.NoGrad g = Autograd.noGrad(); MemoryScope scope = MemoryScope.open()) {
            List<String> keys = new ArrayList<>();
            List<Tensor> parts = new ArrayList<>();
            if (inputs.images != null) {
                int r = clip.config().imageResolution();
                Preprocess pre = Preprocess.eval(r);
                for (int i = 0; i < inputs.images.size(); i += batchSize) {
                    List<Path> chunk = inputs.images.subList(i, Math.min(i + batchSize, inputs.images.size()));
                    float[] pixels = new float[chunk.size() * 3 * r * r];
                    for (int k = 0; k < chunk.size(); k++) {
                        BufferedImage img = Images.read(chunk.get(k)); // its messages name the file
                        System.arraycopy(pre.apply(img), 0, pixels, k * 3 * r * r, 3 * r * r);
                        keys.add(chunk.get(k).toString());
                    }
                    parts.add(clip.encodeImage(Tensor.fromHost(pixels, DType.F32, chunk.size(), 3, r, r)));
                }
            } else {
                ClipTokenizer tok = model.tokenizer(clip);
                for (int i = 0; i < inputs.texts.size(); i += batchSize) {
                    List<String> chunk = inputs.texts.subList(i, Math.min(i + batchSize, inputs.texts.size()));
                    parts.add(clip.encodeText(tok.tokenize(chunk, clip.config().contextLength(), true)));
                    keys.addAll(chunk);
                }
            }
            Tensor all = Tensor.cat(parts, 0);
            if (normalize) all = all.l2Normalize(-1);
            write(all, keys);
            spec.commandLine().getOut().printf("wrote %d embeddings of dimension %d to %s%n", all.size(0), all.size(1), out);
        }
        return 0;
    }

    private void write(Tensor embeddings, List<String> keys) throws Exception {
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        if (out.getFileName().toString().endsWith(".safetensors")) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("items", new com.google.gson.Gson().toJson(keys));
            SafeTensors.save(out, Map.of("embeddings", embeddings), meta);
            return;
        }
        float[] v = embeddings.toFloatArray();
        int d = embeddings.size(1);
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            for (int i = 0; i < keys.size(); i++) {
                JsonObject o = new JsonObject();
                o.addProperty(inputs.images != null ? "image" : "text", keys.get(i));
                JsonArray a = new JsonArray();
                for (int k = 0; k < d; k++) a.add(v[i * d + k]);
                o.add("embedding", a);
                w.write(o.toString());
                w.newLine();
            }
        }
    }
}
