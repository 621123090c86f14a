import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ONNX Runtime (Java API) side of bench/compare: the image tower (and the text tower when
 * make_model.py could export it) as exported from clip_torch.py, on the CPU execution provider
 * with intra-op threads = cores. A single-file program, so that ORT never enters the Maven build:
 *
 * <pre>
 * java -cp bench/compare/.cache/onnxruntime-1.29.0.jar bench/compare/OrtRunner.java TASK DIR
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
        Map<String, Object> inputs = readSafetensors(dir.resolve("inputs.safetensors"));
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        int threads = Integer.parseInt(System.getenv().getOrDefault("COMPARE_THREADS",
                String.valueOf(Runtime.getRuntime().availableProcessors())));
        options.setIntraOpNumThreads(threads);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);

        if (task.equals("check")) {
            float[] images = (float[]) inputs.get("images");
            try (OrtSession visual = env.createSession(dir.resolve("visual.onnx").toString(), options)) {
                float[] imageRef = (float[]) inputs.get("image_features");
                report("image-16", runImages(env, visual, images, 16), imageRef);
                report("image-1", runImages(env, visual, images, 1), Arrays.copyOf(imageRef, imageRef.length / 16));
            }
            if (Files.exists(dir.resolve("text.onnx"))) {
                try (OrtSession text = env.createSession(dir.resolve("text.onnx").toString(), options)) {
                    report("text-16", runTexts(env, text, (long[]) inputs.get("texts"), 16), (float[]) inputs.get("text_features"));
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
            double[] result = measure(body);
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

    static void report(String what, float[] out, float[] ref) {
        if (out.length != ref.length) throw new IllegalStateException(what + ": " + out.length + " values, expected " + ref.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < out.length; i++) {
            diff = Math.max(diff, Math.abs(out[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        System.out.printf("CHECK tool=ort what=%s max_abs_diff=%.3e max_abs_ref=%.3e%n", what, diff, scale);
    }

    /** The F32 tensors as float[] and the I64 ones as long[], by name (the files make_model.py writes). */
    static Map<String, Object> readSafetensors(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            int headerLength = (int) len.getLong(0);
            ByteBuffer header = ByteBuffer.allocate(headerLength);
            ch.read(header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            Map<String, Object> out = new java.util.HashMap<>();
            Matcher entry = Pattern.compile("\"([^\"]+)\":\\{([^{}]*)\\}").matcher(json);
            while (entry.find()) {
                String name = entry.group(1), body = entry.group(2);
                if (name.equals("__metadata__")) continue;
                String dtype = find(body, "\"dtype\":\"(\\w+)\"");
                String[] offsets = find(body, "\"data_offsets\":\\[(\\d+),(\\d+)\\]", 2).split(",");
                long begin = Long.parseLong(offsets[0]), end = Long.parseLong(offsets[1]);
                ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLength + begin, end - begin).order(ByteOrder.LITTLE_ENDIAN);
                switch (dtype) {
                    case "F32" -> { float[] a = new float[(int) ((end - begin) / 4)]; data.asFloatBuffer().get(a); out.put(name, a); }
                    case "I64" -> { long[] a = new long[(int) ((end - begin) / 8)]; data.asLongBuffer().get(a); out.put(name, a); }
                    default -> throw new IOException(path + ": " + name + " has dtype " + dtype + ", only F32 and I64 are read here");
                }
            }
            return out;
        }
    }

    private static String find(String text, String regex) {
        return find(text, regex, 1);
    }

    private static String find(String text, String regex, int groups) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) throw new IllegalArgumentException("safetensors header entry without " + regex + ": " + text);
        List<String> parts = new ArrayList<>();
        for (int g = 1; g <= groups; g++) parts.add(m.group(g));
        return String.join(",", parts);
    }

    /** {median ms, timed iterations} after warm-up, as torch_runner.py measures. */
    static double[] measure(Runnable body) {
        long start = System.nanoTime();
        for (int n = 0; n < env("COMPARE_WARMUP_ITERS", 3) || seconds(start) < env("COMPARE_WARMUP_S", 5); n++) body.run();
        List<Double> times = new ArrayList<>();
        start = System.nanoTime();
        while (times.size() < env("COMPARE_MIN_ITERS", 5) || seconds(start) < env("COMPARE_MIN_S", 10)) {
            long t0 = System.nanoTime();
            body.run();
            times.add((System.nanoTime() - t0) / 1e6);
        }
        double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = sorted.length;
        return new double[] {m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2, m};
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static double env(String name, double fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Double.parseDouble(v);
    }
}
