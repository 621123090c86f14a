package jclip.clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command once on tiny inputs, and the one-line errors. The run is shared: demo trains it first. */
class CommandLineTest {
    @TempDir
    static Path dir;
    static Path run;

    record Result(int code, String out, String err) {}

    static Result jclip(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void demoTrainsAndEvaluates() {
        run = dir.resolve("demo");
        Result r = jclip("demo", "--steps", "3", "--batch-size", "8", "--data-size", "64", "--eval-size", "24", "--bpe-merges", "40",
                "--threads", "2", "--no-progress", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("top-1"), r.out());
        for (String chart : List.of("loss.png", "learning-rate.png", "logit-scale.png", "throughput.png", "zero-shot-confusion.png"))
            assertTrue(Files.isRegularFile(run.resolve("charts").resolve(chart)), chart);
        assertTrue(Files.isRegularFile(run.resolve("metrics.jsonl")));
    }

    @Test
    void trainResumesFromTheRunFolder() throws Exception {
        Path t = dir.resolve("train");
        String[] common = {"train", "--data-size", "64", "--batch-size", "8", "--bpe-merges", "40", "--threads", "1", "--no-progress",
                "--checkpoint-every", "2", "--out", t.toString()};
        Result first = jclip(concat(common, "--steps", "2"));
        assertEquals(0, first.code(), first.err());
        Files.writeString(t.resolve("metrics.jsonl"), "{\"step\": 3, \"loss\": 1}\n", java.nio.file.StandardOpenOption.APPEND);
        Result second = jclip(concat(common, "--steps", "4", "--resume"));
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("resumed from") && second.out().contains("at step 2"), second.out());
        assertEquals(4, Files.readAllLines(t.resolve("metrics.jsonl")).size(),
                "two steps logged by each run; a step logged after the checkpoint is dropped on resume");
    }

    @Test
    void zeroShotInfoTokenizeAndEmbed() throws Exception {
        Result z = jclip("zeroshot", "--checkpoint", run.toString(), "--data", "shapes-heldout", "--data-size", "16", "--threads", "1");
        assertEquals(0, z.code(), z.err());
        assertTrue(z.out().contains("top-5"), z.out());

        Result probe = jclip("linear-probe", "--checkpoint", run.toString(), "--train-data", "shapes-heldout", "--test-data",
                "shapes-heldout", "--data-size", "40", "--threads", "1");
        assertEquals(0, probe.code(), probe.err());
        assertTrue(probe.out().contains("test accuracy"), probe.out());

        Result retrieval = jclip("retrieval", "--checkpoint", run.toString(), "--data", "shapes", "--data-size", "20", "--threads", "1");
        assertEquals(0, retrieval.code(), retrieval.err());
        assertTrue(retrieval.out().contains("image to text  R@1"), retrieval.out());

        Result info = jclip("info", run.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("ViT, 32 px, patch 8") && info.out().contains("training     step 3"), info.out());

        Result tok = jclip("tokenize", "--tokenizer", run.resolve("tokenizer.txt.gz").toString(), "--padded", "--context", "8", "a red circle");
        assertEquals(0, tok.code(), tok.err());
        assertTrue(tok.out().startsWith("["), tok.out());

        Path texts = dir.resolve("texts.jsonl");
        Result et = jclip("embed", "--checkpoint", run.toString(), "--texts", "a red circle", "a blue square", "--out", texts.toString());
        assertEquals(0, et.code(), et.err());
        assertEquals(2, Files.readAllLines(texts).size());

        Path png = dir.resolve("img.png");
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        img.setRGB(5, 5, 0xff0000);
        ImageIO.write(img, "png", png.toFile());
        Path st = dir.resolve("images.safetensors");
        Result ei = jclip("embed", "--checkpoint", run.toString(), "--images", png.toString(), png.toString(), "--normalize", "--out", st.toString());
        assertEquals(0, ei.code(), ei.err());
        Map<String, Tensor> e = SafeTensors.load(st);
        assertEquals(List.of(2, 64), List.of(e.get("embeddings").size(0), e.get("embeddings").size(1)));
        float[] v = e.get("embeddings").toFloatArray();
        double norm = 0;
        for (int i = 0; i < 64; i++) norm += v[i] * v[i];
        assertEquals(1.0, norm, 1e-4);
    }

    /** In the tests the CUDA device is the simulated GPU (the pom's jclip.cuda=sim), which says so. */
    @Test
    void devicesListsTheCpuAndTheCudaDevice() {
        Result r = jclip("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("cpu "), r.out());
        assertTrue(r.out().contains("cuda:0  jclip simulated GPU"), r.out());
        assertTrue(r.out().contains("compute capability 9.0 (simulated: JCLIP_CUDA=sim)"), r.out());
    }

    @Test
    void errorsAreOneLineAndNonZero() {
        Result missing = jclip("info", dir.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("nope.safetensors"), missing.err());

        Result noSuchDevice = jclip("zeroshot", "--checkpoint", run.toString(), "--data", "shapes-heldout", "--device", "cuda:7");
        assertEquals(1, noSuchDevice.code());
        assertEquals(1, noSuchDevice.err().strip().lines().count(), noSuchDevice.err());
        assertTrue(noSuchDevice.err().contains("--device cuda:7"), noSuchDevice.err());

        Result badData = jclip("train", "--data", "imagenet", "--out", dir.resolve("bad").toString());
        assertEquals(1, badData.code());
        assertTrue(badData.err().contains("--data 'imagenet'"), badData.err());

        Result badPrecision = jclip("train", "--precision", "fp16", "--out", dir.resolve("bad").toString());
        assertEquals(1, badPrecision.code());
        assertTrue(badPrecision.err().contains("--precision must be float32 or bf16, got fp16"), badPrecision.err());

        Result verbose = jclip("info", dir.resolve("nope.safetensors").toString(), "--verbose");
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");

        Result help = jclip("train", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--checkpoint-every"), help.out());
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
