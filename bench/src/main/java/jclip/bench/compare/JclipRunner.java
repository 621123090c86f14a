package jclip.bench.compare;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import jclip.clip.cli.ModelPresets;
import jclip.clip.model.ClipModel;
import jclip.clip.model.Towers;
import jclip.kernels.DType;
import jclip.kernels.cpu.Gemm;
import jclip.nn.AdamW;
import jclip.tensor.Autograd;
import jclip.tensor.MemoryScope;
import jclip.tensor.Rng;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;

/**
 * jclip's side of bench/compare (see its README): one task per process, on the weights and inputs
 * that make_model.py wrote, used as a JVM service or trainer would use the public API.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx2g -cp bench/target/benchmarks.jar jclip.bench.compare.JclipRunner TASK DIR
 * </pre>
 *
 * TASK: image-1, image-16, text-16 (eval, no gradients, features copied to the host; only the tower
 * used is loaded, {@link Towers}), train-16
 * (loss of both towers, backward, AdamW lr 1e-5, β 0.9/0.98, ε 1e-6, decay 0.2 on weights),
 * train-fmnist (the same step for the README's Fashion-MNIST model at batch 256, random weights and
 * data made here exactly as torch_runner.py makes them: its FMNIST and fmnist_batch),
 * gemm-1024 ({@link Gemm#sgemm}), or check (prints the largest differences from PyTorch's outputs).
 * Prints {@code RESULT tool=jclip task=TASK median_ms=M iterations=N}; the iteration counts come
 * from the environment as for the other runners (COMPARE_WARMUP_ITERS, COMPARE_WARMUP_S,
 * COMPARE_MIN_ITERS, COMPARE_MIN_S).
 */
public final class JclipRunner {
    private JclipRunner() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: JclipRunner image-1|image-16|text-16|train-16|train-fmnist|gemm-1024|check DIR");
            System.exit(2);
        }
        String task = args[0];
        Path dir = Path.of(args[1]);
        if (!List.of("image-1", "image-16", "text-16", "train-16", "train-fmnist", "gemm-1024", "check").contains(task))
            throw new IllegalArgumentException("unknown task " + task);
        Runnable body;
        if (task.equals("gemm-1024")) {
            body = gemm(1024);
        } else if (task.equals("train-fmnist")) {
            body = fmnistStep();
        } else {
            // As ONNX Runtime's runner loads only the graph of the tower it times, an encoder loads only its tower.
            Towers towers = task.startsWith("image") ? Towers.IMAGE : task.startsWith("text") ? Towers.TEXT : Towers.IMAGE_AND_TEXT;
            ClipModel clip = ClipModel.load(dir.resolve("model.safetensors"), towers);
            Map<String, Tensor> inputs = SafeTensors.load(dir.resolve("inputs.safetensors"));
            Tensor images = inputs.get("images"), texts = inputs.get("texts");
            if (task.equals("check")) {
                check(clip, inputs);
                return;
            }
            body = switch (task) {
                case "image-1" -> encode(clip, firstImage(images), true);
                case "image-16" -> encode(clip, images, true);
                case "text-16" -> encode(clip, texts, false);
                default -> trainStep(clip, images, texts);
            };
        }
        double[] result = Measure.median(body);
        System.out.printf("RESULT tool=jclip task=%s median_ms=%.3f iterations=%d%n", task, result[0], (int) result[1]);
    }

    /** As a service: eval mode, no autograd, every intermediate released when the call returns. */
    private static Runnable encode(ClipModel clip, Tensor input, boolean image) {
        clip.eval();
        return () -> {
            try (MemoryScope scope = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
                float[] features = (image ? clip.encodeImage(input) : clip.encodeText(input)).toFloatArray();
                if (features.length == 0) throw new AssertionError();
            }
        };
    }

    /** One step as ClipTrainingStepBenchmark runs it, with the comparison's learning rate. */
    private static Runnable trainStep(ClipModel clip, Tensor images, Tensor texts) {
        clip.train();
        Map<String, Tensor> params = clip.namedParameters();
        AdamW optimizer = new AdamW(params, name -> AdamW.clipDecays(name, params.get(name)), 0.9f, 0.98f, 1e-6f, 0.2f);
        return () -> {
            try (MemoryScope scope = MemoryScope.open()) {
                Tensor loss = clip.loss(images, texts);
                loss.backward();
                optimizer.step(1e-5f);
                clip.zeroGrad();
                if (!Float.isFinite(loss.item())) throw new IllegalStateException("loss is not finite");
            }
        };
    }

    /** torch_runner.py's FMNIST model and fmnist_batch: the shapes and the captions' lengths match. */
    private static Runnable fmnistStep() throws IOException {
        int vocab = 1000, context = 20, n = 256;
        Rng rng = new Rng(0);
        ClipModel clip = new ClipModel(ModelPresets.resolve("fmnist", vocab, context), rng);
        Tensor images = MemoryScope.untracked(rng.randn(n, 3, 28, 28));
        long[] ids = new long[n * context];
        SplittableRandom words = new SplittableRandom(0);
        for (int i = 0; i < n; i++) {
            int length = 4 + (i * 3) % 5;
            ids[i * context] = vocab - 2;
            for (int j = 1; j <= length; j++) ids[i * context + j] = 1 + words.nextInt(vocab - 3);
            ids[i * context + 1 + length] = vocab - 1;
        }
        Tensor texts = MemoryScope.untracked(Tensor.fromHost(ids, DType.I64, n, context));
        return trainStep(clip, images, texts);
    }

    private static Runnable gemm(int n) {
        SplittableRandom rnd = new SplittableRandom(0);
        float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
            b[i] = (float) rnd.nextGaussian();
        }
        return () -> Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, 0, b, 0, n, 0, 0f, c, 0, n, 0, 1);
    }

    private static Tensor firstImage(Tensor images) {
        int per = images.size(1) * images.size(2) * images.size(3);
        float[] one = Arrays.copyOf(images.toFloatArray(), per);
        return MemoryScope.untracked(Tensor.fromHost(one, images.dtype(), 1, images.size(1), images.size(2), images.size(3)));
    }

    /** Prints the largest absolute difference from PyTorch's features, and the features' scale. */
    private static void check(ClipModel clip, Map<String, Tensor> inputs) {
        clip.eval();
        try (MemoryScope scope = MemoryScope.open(); Autograd.NoGrad g = Autograd.noGrad()) {
            float[] image16 = clip.encodeImage(inputs.get("images")).toFloatArray();
            float[] image1 = clip.encodeImage(firstImage(inputs.get("images"))).toFloatArray();
            float[] text16 = clip.encodeText(inputs.get("texts")).toFloatArray();
            float[] imageRef = inputs.get("image_features").toFloatArray(), textRef = inputs.get("text_features").toFloatArray();
            Measure.report("jclip", "image-16", image16, imageRef);
            Measure.report("jclip", "image-1", image1, Arrays.copyOf(imageRef, image1.length));
            Measure.report("jclip", "text-16", text16, textRef);
        }
    }
}
