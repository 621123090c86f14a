import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jclip.bench.compare.Measure;
import jclip.kernels.DType;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;

/**
 * ONNX Runtime (Java API) side of bench/compare: the image tower (and the text tower when
 * make_model.py could export it) as exported from clip_torch.py, on the CPU execution provider
 * with intra-op threads = cores. A single-file program, so that ORT never enters the Maven build;
 * it reads the inputs with jclip's SafeTensors and times with {@link Measure}, from the bench jar:
 *
 * <pre>
 * java -cp bench/compare/.cache/onnxruntime-1.29.0.jar:bench/target/benchmarks.jar bench/compare/OrtRunner.java TASK DIR
 * </pre>
 *
 * TASK: image-1, image-16, text-16 or check; "version" prints ORT's version. Prints the same
 * RESULT / CHECK lines as the other runners, with the same iteration settings from the environment.
 */
public class OrtRunner {
    public static void main(String[] args) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (args.length == 1 && args[0].equals("version")) {
            System.out.println(env.getVersion());
            return;
        }
        if (args.length != 2 || !List.of("image-1", "image-16", "text-16", "check").contains(args[0])) {
            System.err.println("usage: OrtRunner image-1|image-16|text-16|check|version DIR");
            System.exit(2);
        }
        String task = args[0];
        Path dir = Path.of(args[1]);
        Map<String, Object> inputs = new HashMap<>();
        for (Map.Entry<String, Tensor> e : SafeTensors.load(dir.resolve("inputs.safetensors")).entrySet()) {
            try (Tensor t = e.getValue()) {
                inputs.put(e.getKey(), t.dtype() == DType.I64 ? t.toLongArray() : t.toFloatArray());
            }
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        int threads = Integer.parseInt(System.getenv().getOrDefault("COMPARE_THREADS",
                String.valueOf(Runtime.getRuntime().availableProcessors())));
        options.setIntraOpNumThreads(threads);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);

        if (task.equals("check")) {
            float[] images = (float[]) inputs.get("images");
            try (OrtSession visual = env.createSession(dir.resolve("visual.onnx").toString(), options)) {
                float[] imageRef = (float[]) inputs.get("image_features");
                Measure.report("ort", "image-16", runImages(env, visual, images, 16), imageRef);
                Measure.report("ort", "image-1", runImages(env, visual, images, 1), Arrays.copyOf(imageRef, imageRef.length / 16));
            }
            if (Files.exists(dir.resolve("text.onnx"))) {
                try (OrtSession text = env.createSession(dir.resolve("text.onnx").toString(), options)) {
                    Measure.report("ort", "text-16", runTexts(env, text, (long[]) inputs.get("texts"), 16), (float[]) inputs.get("text_features"));
                }
            }
            return;
        }
        boolean image = task.startsWith("image");
        int batch = Integer.parseInt(task.substring(task.indexOf('-') + 1));
        Path model = dir.resolve(image ? "visual.onnx" : "text.onnx");
        if (!Files.exists(model)) throw new IllegalStateException(model + " is missing (make_model.py did not export it)");
        try (OrtSession session = env.createSession(model.toString(), options)) {
            Runnable body = image
                    ? () -> runImages(env, session, (float[]) inputs.get("images"), batch)
                    : () -> runTexts(env, session, (long[]) inputs.get("texts"), batch);
            double[] result = Measure.median(body);
            System.out.printf("RESULT tool=ort task=%s median_ms=%.3f iterations=%d%n", task, result[0], (int) result[1]);
        }
    }

    /** The first {@code batch} images through the session, features copied to a Java array. */
    static float[] runImages(OrtEnvironment env, OrtSession session, float[] images, int batch) {
        int per = images.length / 16;
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(images, 0, batch * per).slice(), new long[] {batch, 3, 224, 224});
                OrtSession.Result r = session.run(Map.of("images", x))) {
            return flatten((float[][]) r.get(0).getValue());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static float[] runTexts(OrtEnvironment env, OrtSession session, long[] texts, int batch) {
        int per = texts.length / 16;
        try (OnnxTensor x = OnnxTensor.createTensor(env, LongBuffer.wrap(texts, 0, batch * per).slice(), new long[] {batch, per});
                OrtSession.Result r = session.run(Map.of("texts", x))) {
            return flatten((float[][]) r.get(0).getValue());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * rows[i].length, rows[i].length);
        return out;
    }
}
