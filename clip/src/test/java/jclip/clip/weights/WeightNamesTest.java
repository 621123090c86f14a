package jclip.clip.weights;

import jclip.clip.model.ClipConfig;
import jclip.clip.model.ClipModel;
import jclip.clip.model.ParityTest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import jclip.kernels.DType;
import jclip.tensor.Device;
import jclip.tensor.MemoryScope;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** OpenAI ⇄ Hugging Face CLIP weight names, checked on the original-code fixtures. */
class WeightNamesTest {
    /** vit-tiny: 62 OpenAI tensors; 2 towers × 2 layers × (weight, bias) in_proj become 3 each; plus 2 position_ids. */
    private static final int VIT_OPENAI_KEYS = 62, VIT_HF_KEYS = 62 + 2 * 2 * 2 * 2 + 2;

    private static Map<String, Tensor> weights(String name) throws Exception {
        return SafeTensors.load(ParityTest.fixtures().resolve(name + ".weights.safetensors"));
    }

    private static void assertBitIdentical(String what, Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertTrue(Objects.deepEquals(expected.toHostArray(), actual.toHostArray()), what + ": values differ");
    }

    @Test
    void openAiToHuggingFaceAndBackIsBitIdentical() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> openai = weights("vit-tiny");
            assertEquals(VIT_OPENAI_KEYS, openai.size());
            Map<String, Tensor> hf = WeightNames.toHuggingFace(openai);
            assertEquals(VIT_HF_KEYS, hf.size());
            assertTrue(hf.containsKey("logit_scale"));
            for (String k : hf.keySet()) assertTrue(k.equals("logit_scale") || WeightNames.Scheme.isHuggingFaceKey(k), k);

            assertBitIdentical("patch embedding", openai.get("visual.conv1.weight"), hf.get("vision_model.embeddings.patch_embedding.weight"));
            Tensor q = hf.get("text_model.encoder.layers.1.self_attn.q_proj.weight");
            assertArrayEquals(new int[] {128, 128}, q.shape());
            Tensor inProj = openai.get("transformer.resblocks.1.attn.in_proj_weight");
            assertBitIdentical("q = rows 0..127 of in_proj", inProj.narrow(0, 0, 128), q);
            assertBitIdentical("v = rows 256..383 of in_proj", inProj.narrow(0, 256, 128),
                    hf.get("text_model.encoder.layers.1.self_attn.v_proj.weight"));
            assertBitIdentical("k bias", openai.get("visual.transformer.resblocks.0.attn.in_proj_bias").narrow(0, 128, 128),
                    hf.get("vision_model.encoder.layers.0.self_attn.k_proj.bias"));
            Tensor visualProjection = hf.get("visual_projection.weight");
            assertArrayEquals(new int[] {32, 128}, visualProjection.shape());
            assertBitIdentical("visual_projection = proj^T", openai.get("visual.proj").transpose(0, 1), visualProjection);
            assertBitIdentical("text_projection = text_projection^T", openai.get("text_projection").transpose(0, 1),
                    hf.get("text_projection.weight"));
            assertSame(openai.get("visual.ln_pre.weight"), hf.get("vision_model.pre_layrnorm.weight"), "renamed entries are shared");

            Tensor textIds = hf.get("text_model.embeddings.position_ids"), visionIds = hf.get("vision_model.embeddings.position_ids");
            assertEquals(DType.I64, textIds.dtype());
            assertArrayEquals(new int[] {1, 16}, textIds.shape());
            assertArrayEquals(new int[] {1, 17}, visionIds.shape());
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, textIds.toLongArray());
            assertEquals(16, visionIds.toLongArray()[16]);

            Map<String, Tensor> back = WeightNames.toOpenAi(hf);
            assertEquals(openai.keySet(), back.keySet());
            for (String k : openai.keySet()) assertBitIdentical(k, openai.get(k), back.get(k));
            assertEquals(WeightNames.Scheme.OPENAI, WeightNames.Scheme.detect(back));

            // Converting the Hugging Face dict again gives the same dict (position_ids included).
            Map<String, Tensor> again = WeightNames.toHuggingFace(hf);
            assertEquals(hf.keySet(), again.keySet());
            for (String k : hf.keySet()) assertBitIdentical(k, hf.get(k), again.get(k));
        }
    }

    @Test
    void newerTransformersFilesWithoutPositionIdsConvertToo() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> hf = new LinkedHashMap<>(WeightNames.toHuggingFace(weights("vit-tiny")));
            hf.remove("text_model.embeddings.position_ids");
            hf.remove("vision_model.embeddings.position_ids");
            assertEquals(VIT_OPENAI_KEYS, WeightNames.toOpenAi(hf).size());
        }
    }

    @Test
    void convertedTensorsAreIndependentOfTheInput() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> openai = weights("vit-tiny");
            Map<String, Tensor> hf = WeightNames.toHuggingFace(openai);
            Tensor q = hf.get("text_model.encoder.layers.0.self_attn.q_proj.weight");
            float[] expected = openai.get("transformer.resblocks.0.attn.in_proj_weight").narrow(0, 0, 128).toFloatArray();
            Tensor proj = hf.get("visual_projection.weight");
            assertTrue(q.isContiguous() && proj.isContiguous());
            for (Tensor t : openai.values()) t.close();
            assertArrayEquals(expected, q.toFloatArray(), "q survives the input's closing");
            assertEquals(32 * 128, proj.toFloatArray().length);
        }
    }

    @Test
    void parametersThatRequireGradConvertWithoutAGraph() throws Exception {
        try (MemoryScope scope = MemoryScope.open();
                ClipModel model = ClipModel.load(ParityTest.fixtures().resolve("vit-tiny.weights.safetensors"))) {
            Map<String, Tensor> hf = WeightNames.toHuggingFace(model.stateDict());
            assertFalse(hf.get("text_projection.weight").requiresGrad());
            assertFalse(hf.get("vision_model.encoder.layers.1.self_attn.k_proj.weight").requiresGrad());
        }
    }

    @Test
    void conversionsInAScopeReleaseEverything() throws Exception {
        var memory = Device.cpu().memory();
        long before = memory.allocated();
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> hf = WeightNames.toHuggingFace(weights("vit-tiny"));
            WeightNames.toOpenAi(hf);
            WeightNames.toHuggingFace(hf);
        }
        // The Cleaner may free other tests' leftovers meanwhile, which only lowers allocated().
        assertTrue(memory.allocated() <= before, "allocated " + memory.allocated() + " > " + before + " before");
    }

    /** The HF-named weights (through a safetensors file) give the original's features. */
    @Test
    void huggingFaceNamedWeightsGiveTheOriginalFeatures(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("vit-tiny.hf.safetensors");
        try (MemoryScope scope = MemoryScope.open()) {
            SafeTensors.save(file, WeightNames.toHuggingFace(weights("vit-tiny")), null);
        }
        try (MemoryScope scope = MemoryScope.open(); ClipModel model = ClipModel.load(file)) {
            Map<String, Tensor> io = SafeTensors.load(ParityTest.fixtures().resolve("vit-tiny.io.safetensors"));
            model.eval();
            ParityTest.assertClose("image features", io.get("eval.image_features"), model.encodeImage(io.get("images")), 1e-4);
            ParityTest.assertClose("text features", io.get("eval.text_features"), model.encodeText(io.get("texts")), 1e-4);
        }
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> hf = SafeTensors.load(file);
            assertEquals(WeightNames.Scheme.HUGGING_FACE, WeightNames.Scheme.detect(hf));
            try (ClipModel model = ClipModel.fromStateDict(hf)) {
                assertEquals(ClipConfig.fromStateDict(weights("vit-tiny")), model.config());
            }
        }
    }

    /**
     * Half-precision HF weights stay half precision through the conversion and load. Measured
     * relative errors of the features (vit-tiny, image/text): F16 5.8e-4/8.2e-4, BF16 4.1e-3/6.3e-3,
     * in line with rounding every weight to 11 and 8 significant bits (unit roundoff 4.9e-4 and
     * 3.9e-3); the bounds leave a margin of about 10x.
     */
    @ParameterizedTest
    @CsvSource({"F16, 1e-2", "BF16, 5e-2"})
    void halfPrecisionWeightsLoad(DType dtype, double tolerance) throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> half = new LinkedHashMap<>();
            weights("vit-tiny").forEach((k, v) -> half.put(k, v.dtype().isFloatingPoint() ? v.to(dtype) : v));
            Map<String, Tensor> hf = WeightNames.toHuggingFace(half);
            for (String k : new String[] {"text_model.encoder.layers.0.self_attn.q_proj.weight", "visual_projection.weight",
                    "vision_model.embeddings.patch_embedding.weight"})
                assertEquals(dtype, hf.get(k).dtype(), k);
            Map<String, Tensor> back = WeightNames.toOpenAi(hf);
            for (String k : half.keySet()) assertBitIdentical(dtype + " " + k, half.get(k), back.get(k));

            Map<String, Tensor> io = SafeTensors.load(ParityTest.fixtures().resolve("vit-tiny.io.safetensors"));
            try (ClipModel model = ClipModel.fromStateDict(hf)) {
                model.eval();
                Tensor image = model.encodeImage(io.get("images")), text = model.encodeText(io.get("texts"));
                double imageError = ParityTest.relativeError(image.toFloatArray(), io.get("eval.image_features").toFloatArray());
                double textError = ParityTest.relativeError(text.toFloatArray(), io.get("eval.text_features").toFloatArray());
                System.out.printf("%s weights: relative error of image features %.3g, text features %.3g%n", dtype, imageError, textError);
                ParityTest.assertClose(dtype + " image features", io.get("eval.image_features"), image, tolerance);
                ParityTest.assertClose(dtype + " text features", io.get("eval.text_features"), text, tolerance);
            }
        }
    }

    @Test
    void detectsBothSchemes() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> vit = weights("vit-tiny"), rn = weights("rn-tiny");
            assertEquals(WeightNames.Scheme.OPENAI, WeightNames.Scheme.detect(vit));
            assertEquals(WeightNames.Scheme.OPENAI, WeightNames.Scheme.detect(rn));
            assertEquals(WeightNames.Scheme.HUGGING_FACE, WeightNames.Scheme.detect(WeightNames.toHuggingFace(vit)));
            assertEquals(WeightNames.Scheme.OPENAI, WeightNames.Scheme.detect(withPrefix("module.", vit)));

            Tensor x = Tensor.zeros(2);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> WeightNames.Scheme.detect(Map.of("encoder.weight", x, "decoder.bias", x)));
            assertTrue(e.getMessage().contains("encoder.weight") && e.getMessage().contains("decoder.bias"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> WeightNames.Scheme.detect(Map.of()));
            assertThrows(IllegalArgumentException.class, () -> WeightNames.toOpenAi(Map.of("encoder.weight", x)));
        }
    }

    @Test
    void theModulePrefixIsStripped() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> vit = weights("vit-tiny");
            Map<String, Tensor> stripped = WeightNames.toOpenAi(withPrefix("module.", vit));
            assertEquals(vit.keySet(), stripped.keySet());
            for (String k : vit.keySet()) assertSame(vit.get(k), stripped.get(k), k);
            assertEquals(VIT_HF_KEYS, WeightNames.toHuggingFace(withPrefix("module.", vit)).size());
            try (ClipModel model = ClipModel.fromStateDict(withPrefix("module.", vit))) {
                assertTrue(model.config().isVit());
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
        "text_model.encoder.layers.0.self_attn.qkv_proj.weight",
        "vision_model.embeddings.patch_embedding.bias",
        "text_model.encoder.layers.0.attn.in_proj_weight",
        "text_projection",
        "something_else"})
    void anUnknownKeyInAHuggingFaceDictIsNamed(String extra) throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> hf = new LinkedHashMap<>(WeightNames.toHuggingFace(weights("vit-tiny")));
            hf.put(extra, Tensor.zeros(4));
            var e = assertThrows(IllegalArgumentException.class, () -> WeightNames.toOpenAi(hf));
            assertTrue(e.getMessage().contains(extra), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ClipModel.fromStateDict(hf));
            assertTrue(e.getMessage().contains(extra), e.getMessage());
        }
    }

    @Test
    void anIncompleteQkvTripleIsAnError() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> hf = new LinkedHashMap<>(WeightNames.toHuggingFace(weights("vit-tiny")));
            hf.remove("vision_model.encoder.layers.1.self_attn.k_proj.bias");
            var e = assertThrows(IllegalArgumentException.class, () -> WeightNames.toOpenAi(hf));
            assertTrue(e.getMessage().contains("vision_model.encoder.layers.1.self_attn.k_proj.bias"), e.getMessage());
        }
    }

    @Test
    void resNetClipHasNoHuggingFaceForm() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> rn = weights("rn-tiny");
            var e = assertThrows(IllegalArgumentException.class, () -> WeightNames.toHuggingFace(rn));
            assertTrue(e.getMessage().contains("no ResNet CLIP"), e.getMessage());
            assertTrue(e.getMessage().contains("visual."), e.getMessage());

            // The OpenAI form of a ResNet CLIP passes through unchanged.
            Map<String, Tensor> same = WeightNames.toOpenAi(rn);
            assertEquals(rn.keySet(), same.keySet());

            // A Hugging Face-named dict with ResNet image-tower keys.
            Map<String, Tensor> hf = new LinkedHashMap<>(WeightNames.toHuggingFace(weights("vit-tiny")));
            hf.keySet().removeIf(k -> k.startsWith("vision_model.") || k.equals("visual_projection.weight"));
            rn.forEach((k, v) -> {
                if (k.startsWith("visual.")) hf.put(k, v);
            });
            e = assertThrows(IllegalArgumentException.class, () -> WeightNames.toOpenAi(hf));
            assertTrue(e.getMessage().contains("no ResNet CLIP") && e.getMessage().contains("visual."), e.getMessage());
        }
    }

    @Test
    void metadataScalarsOfJitArchivesAreDropped() throws Exception {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> vit = new LinkedHashMap<>(weights("vit-tiny"));
            vit.put("input_resolution", Tensor.of(new long[] {32}));
            vit.put("context_length", Tensor.of(new long[] {16}));
            vit.put("vocab_size", Tensor.of(new long[] {1000}));
            assertEquals(VIT_OPENAI_KEYS, WeightNames.toOpenAi(vit).size());
            try (ClipModel model = ClipModel.fromStateDict(vit)) {
                assertTrue(model.config().isVit());
            }
        }
    }

    private static Map<String, Tensor> withPrefix(String prefix, Map<String, Tensor> state) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }
}
