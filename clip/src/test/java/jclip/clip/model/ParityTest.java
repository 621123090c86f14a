package jclip.clip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The original CLIP code's outputs and gradients (../shared/fixtures/openai-clip) reproduced:
 * relative error below 1e-4 for features, logits and loss, below 1e-3 for every gradient.
 */
public class ParityTest {
    public static Path fixtures() {
        return Path.of(System.getProperty("jclip.shared", "../shared")).resolve("fixtures/openai-clip");
    }

    public static double relativeError(float[] actual, float[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
    }

    public static void assertClose(String what, Tensor expected, Tensor actual, double tolerance) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] a = actual.toFloatArray(), e = expected.toFloatArray();
        double err = relativeError(a, e);
        // Some gradients are zero analytically: a bias added to every key shifts all of a query's
        // scores equally, and softmax ignores that (attnpool.k_proj.bias). The fixture then holds
        // float noise (norm ~1e-8), so an absolute floor far below real gradients (~0.1-10) applies.
        double floor = 1e-6 / Math.max(norm(e), 1e-30);
        assertTrue(err < tolerance || err < floor, what + ": relative error " + err + " exceeds " + tolerance
                + " (expected norm " + norm(e) + ", actual norm " + norm(a) + ")");
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"vit-tiny", "rn-tiny"})
    void matchesTheOriginalForwardAndBackward(String name) throws Exception {
        check(name, Device.cpu());
    }

    /** One tower loaded alone computes what it computes in the whole model, and holds only its weights. */
    @ParameterizedTest
    @ValueSource(strings = {"vit-tiny", "rn-tiny"})
    void loadsOneTowerAlone(String name) throws Exception {
        Map<String, Tensor> io = SafeTensors.load(fixtures().resolve(name + ".io.safetensors"));
        Path weights = fixtures().resolve(name + ".weights.safetensors");
        try (ClipModel image = ClipModel.load(weights, Towers.IMAGE).eval();
                ClipModel text = ClipModel.load(weights, Towers.TEXT).eval();
                MemoryScope scope = MemoryScope.open()) {
            assertClose("image tower alone", io.get("eval.image_features"), image.encodeImage(io.get("images")), 1e-4);
            assertClose("text tower alone", io.get("eval.text_features"), text.encodeText(io.get("texts")), 1e-4);
            assertTrue(image.stateDict().keySet().stream().allMatch(k -> k.startsWith("visual.") || k.equals("logit_scale")),
                    "image tower holds only visual.* and logit_scale");
            assertTrue(text.stateDict().keySet().stream().noneMatch(k -> k.startsWith("visual.")), "text tower holds no visual.*");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> image.encodeText(io.get("texts")));
            assertTrue(e.getMessage().contains("Towers.IMAGE"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> text.encodeImage(io.get("images")));
            assertThrows(IllegalStateException.class, () -> text.loss(io.get("images"), io.get("texts")));
        } finally {
            io.values().forEach(Tensor::close);
        }
    }

    /** The same on the CUDA device (the simulated GPU in mvn verify): our kernels, cuBLAS and cuDNN. */
    @Tag("gpu")
    @ParameterizedTest
    @ValueSource(strings = {"vit-tiny", "rn-tiny"})
    void matchesTheOriginalOnCuda(String name) throws Exception {
        check(name, Device.cuda(0));
    }

    private static void check(String name, Device device) throws Exception {
        Map<String, Tensor> io = SafeTensors.load(fixtures().resolve(name + ".io.safetensors"));
        try (ClipModel model = ClipModel.load(fixtures().resolve(name + ".weights.safetensors")).to(device);
                MemoryScope scope = MemoryScope.open()) {
            Tensor images = io.get("images").to(device), texts = io.get("texts").to(device);

            model.eval();
            assertClose("eval image features", io.get("eval.image_features"), model.encodeImage(images), 1e-4);
            assertClose("eval text features", io.get("eval.text_features"), model.encodeText(texts), 1e-4);
            assertClose("eval logits", io.get("eval.logits_per_image"), model.forward(images, texts).perImage(), 1e-4);

            model.train();
            assertClose("train logits", io.get("train.logits_per_image"), model.forward(images, texts).perImage(), 1e-4);
            Tensor loss = model.loss(images, texts);
            assertClose("loss", io.get("train.loss"), loss, 1e-4);
            loss.backward();
            List<String> checked = new ArrayList<>();
            for (var e : model.namedParameters().entrySet()) {
                Tensor expected = io.get("grad." + e.getKey());
                assertNotNull(expected, "fixture has no gradient for " + e.getKey());
                assertNotNull(e.getValue().grad(), "no gradient reached " + e.getKey());
                assertEquals(device, e.getValue().grad().device(), "gradient of " + e.getKey() + " on the model's device");
                assertClose("gradient of " + e.getKey(), expected, e.getValue().grad(), 1e-3);
                checked.add(e.getKey());
            }
            long fixtureGrads = io.keySet().stream().filter(k -> k.startsWith("grad.")).count();
            assertEquals(fixtureGrads, checked.size(), "every parameter gradient in the fixture was checked");
        } finally {
            io.values().forEach(Tensor::close);
        }
    }
}
