package jclip.clip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import jclip.clip.text.BpeTrainer;
import jclip.clip.text.ClipTokenizer;
import jclip.clip.cli.CommandLineTest.Result;
import jclip.clip.data.TarWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input ends in one line naming the file, row or flag, and a run folder never mixes
 * two runs. One small run, trained first, serves as the model and tokenizer where one is needed.
 */
class BadInputTest {
    @TempDir
    static Path dir;
    static Path run;

    /** A tiny training run's flags. */
    static final String[] TINY = {"--bpe-merges", "20", "--threads", "1", "--no-progress"};

    static Result jclip(String... args) {
        return CommandLineTest.jclip(args);
    }

    /** train with TINY and batches of 4 (one epoch of 16 images is 4 batches) unless args give another size. */
    static Result train(String... args) {
        String[] tiny = List.of(args).contains("--batch-size") ? TINY : CommandLineTest.concat(TINY, "--batch-size", "4");
        return jclip(CommandLineTest.concat(CommandLineTest.concat(new String[] {"train"}, tiny), args));
    }

    /** Exit code 1 (or 2 for a bad flag) and one line on standard error holding every part. */
    static void assertOneLine(Result r, int code, String... parts) {
        assertEquals(code, r.code(), r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + p + "' in: " + r.err());
    }

    @BeforeAll
    static void trainARun() throws IOException {
        Files.createDirectories(dir.resolve("img"));
        String[] colours = {"red", "green", "blue", "white"};
        int[] rgb = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF};
        for (int i = 0; i < 16; i++) {
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) img.setRGB(x, y, rgb[i % 4]);
            ImageIO.write(img, "png", dir.resolve("img/" + i + ".png").toFile());
        }
        List<String> rows = new ArrayList<>(List.of("filepath,title"));
        for (int i = 0; i < 16; i++) rows.add("img/" + i + ".png,a " + colours[i % 4] + " square");
        Files.write(dir.resolve("good.csv"), rows);
        run = dir.resolve("run");
        Result r = train("--data", "csv:" + dir.resolve("good.csv"), "--steps", "1", "--out", run.toString());
        assertEquals(0, r.code(), r.err());
    }

    /** good.csv with its line 7 (img/5.png) replaced by the bytes given. */
    static Path tableWithLine7(String name, byte[] line7) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("good.csv"));
        Path t = dir.resolve(name);
        try (var out = Files.newOutputStream(t)) {
            for (int i = 0; i < lines.size(); i++) {
                out.write(i == 6 ? line7 : lines.get(i).getBytes(StandardCharsets.UTF_8));
                out.write('\n');
            }
        }
        return t;
    }

    @Test
    void numericFlagsAreRefusedAtParseTimeNamingTheFlag() {
        Path never = dir.resolve("never-written");
        String[][] cases = {
            {"embed --checkpoint x --texts a --out a.jsonl --batch-size 0", "'--batch-size': 0 is not a positive whole number"},
            {"embed --checkpoint x --texts a --out a.jsonl --batch-size -3", "'--batch-size': -3 is not a positive whole number"},
            {"train --lr NaN", "'--lr': NaN is not a finite number"},
            {"train --lr Infinity", "'--lr': Infinity is not a finite number"},
            {"train --lr -1e-3", "'--lr': -1e-3 is not above 0"},
            {"train --grad-clip NaN", "'--grad-clip': NaN is not a finite number"},
            {"train --wd -0.1", "'--wd': -0.1 is negative"},
            {"train --warmup -5", "'--warmup': -5 is negative"},
            {"train --steps 0", "'--steps': 0 is not a positive whole number"},
            {"train --accum-freq 0", "'--accum-freq': 0"},
            {"train --keep-checkpoints 0", "'--keep-checkpoints': 0"},
            {"train --data-size -1", "'--data-size': -1"},
            {"train --batch-size ten", "'--batch-size': 'ten' is not a whole number"},
            {"zeroshot --checkpoint x --data shapes-heldout --data-size 0", "'--data-size': 0 is not a positive whole number"},
            {"retrieval --checkpoint x --data shapes --threads 0", "'--threads': 0"},
            {"linear-probe --checkpoint x --train-data a --test-data b --validation 1", "'--validation': 1 is not between 0 and 1"},
            {"tokenize --tokenizer x --context 0 a", "'--context': 0"},
            {"zeroshot --checkpoint x --data shapes-heldout --device cuda:-1", "'--device': 'cuda:-1' is not cpu, cuda or cuda:N"},
        };
        for (String[] c : cases) {
            String[] args = c[0].split(" ");
            if (args[0].equals("train")) args = CommandLineTest.concat(args, "--out", never.toString());
            assertOneLine(jclip(args), 2, c[1], "--help");
        }
        assertOneLine(train("--batch-size", "1", "--out", never.toString()), 1, "--batch-size must be at least 2");
        assertFalse(Files.exists(never), "nothing is written before the flags are checked");
    }

    @Test
    void badCsvRowsAreReportedByTableAndLineWhateverTheTokenizer() throws IOException {
        Path tokenizer = run.resolve(Checkpoints.TOKENIZER_FILE);
        Object[][] tables = {
            {tableWithLine7("empty-caption.csv", "img/5.png,".getBytes(StandardCharsets.UTF_8)), "empty 'title'"},
            {tableWithLine7("short-row.csv", "img/5.png".getBytes(StandardCharsets.UTF_8)), "row has 1 field(s), no 'title'"},
            {tableWithLine7("latin-1.csv", "img/5.png,a caf\u00e9 square".getBytes(StandardCharsets.ISO_8859_1)),
                    "byte 0xE9 at column 16 of line 7 is not UTF-8"},
        };
        for (Object[] t : tables) {
            Path table = (Path) t[0];
            String name = table.getFileName().toString(), where = table + ":7 (img/5.png)";
            Path out = dir.resolve("csv-" + name);
            assertOneLine(train("--data", "csv:" + table, "--steps", "4", "--out", out.toString()), 1, "bad item " + where, (String) t[1]);
            assertFalse(Files.exists(out), "a tokenizer learned from the captions stops at the bad row, before writing");
            assertOneLine(train("--data", "csv:" + table, "--steps", "4", "--tokenizer", tokenizer.toString(),
                    "--out", dir.resolve("csv-given-" + name).toString()), 1, "bad item " + where, (String) t[1]);
            Result skipped = train("--data", "csv:" + table, "--steps", "4", "--skip-bad", "--out", dir.resolve("csv-skip-" + name).toString());
            assertEquals(0, skipped.code(), skipped.err());
            assertTrue(skipped.out().contains("warning: skipped bad item " + where + ": " + t[1]), skipped.out());
        }
        // An open quote swallows the rest of the table: one bad row from its line to the end.
        Path quote = dir.resolve("quote.csv");
        Files.writeString(quote, Files.readString(dir.resolve("good.csv")) + "img/1.png,\"an open quote\n");
        assertOneLine(train("--data", "csv:" + quote, "--steps", "5", "--tokenizer", tokenizer.toString(),
                "--out", dir.resolve("csv-quote").toString()), 1, quote + ":18", "unterminated quoted field");
        Result skipped = train("--data", "csv:" + quote, "--steps", "5", "--skip-bad", "--out", dir.resolve("csv-skip-quote").toString());
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("warning: skipped bad item " + quote + ":18"), skipped.out());
    }

    @Test
    void badWebDatasetSamplesAreReportedByShardAndKey() throws IOException {
        byte[] png = Files.readAllBytes(dir.resolve("img/0.png"));
        Path shard = dir.resolve("shard-0.tar");
        try (TarWriter w = new TarWriter(Files.newOutputStream(shard))) {
            for (int k = 0; k < 12; k++) {
                w.add(String.format("%06d.png", k), png);
                if (k != 3) w.add(String.format("%06d.txt", k), "a red square " + k);
            }
        }
        byte[] whole = Files.readAllBytes(shard);
        Path cut = dir.resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(whole, 3 * 512 + 100));
        String[][] cases = {
            {"wds:" + shard, shard + ":000003", "no caption (.txt)"},
            {"wds:" + cut, cut + ":000000", "no caption (.txt)"},
            {"wds:" + dir.resolve("absent.tar"), dir.resolve("absent.tar").toString(), "no such shard"},
        };
        for (String[] c : cases) {
            assertOneLine(train("--data", c[0], "--steps", "3", "--out", dir.resolve("wds-fail").toString()), 1, "bad item " + c[1], c[2]);
            assertFalse(Files.exists(dir.resolve("wds-fail")));
        }
        String both = "wds:" + shard + "::" + cut + "::" + dir.resolve("absent.tar");
        Result skipped = train("--data", both, "--steps", "3", "--skip-bad", "--out", dir.resolve("wds-skip").toString());
        assertEquals(0, skipped.code(), skipped.err());
        for (String[] c : cases) assertTrue(skipped.out().contains("warning: skipped bad item " + c[1] + ": " + c[2]), skipped.out());
        assertTrue(skipped.out().contains("warning: skipped bad item " + cut + " @"), "the truncation itself: " + skipped.out());
        Result given = train("--data", "wds:" + shard, "--steps", "3", "--tokenizer", run.resolve(Checkpoints.TOKENIZER_FILE).toString(),
                "--out", dir.resolve("wds-given").toString());
        assertOneLine(given, 1, "bad item " + shard + ":000003", "no caption");
    }

    @Test
    void filesThatAreNotWhatTheyShouldBeAreNamed() throws IOException {
        Path out = dir.resolve("files-run");
        Path json = dir.resolve("model.json");
        Files.writeString(json, "{\"embed_dim\": 64,");
        assertOneLine(train("--model", json.toString(), "--out", out.toString()), 1, "--model " + json + ": not valid JSON");
        Files.writeString(json, "{\"embed_dim\": 64}");
        assertOneLine(train("--model", json.toString(), "--out", out.toString()), 1, "--model " + json, "no \"vision_layers\"");
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        assertOneLine(train("--out", file.toString()), 1, "--out " + file + " is a file, not a run folder");
        assertOneLine(train("--data", "csv:" + dir.resolve("img"), "--out", out.toString()), 1, dir.resolve("img") + " is a directory, not a caption table");
        assertOneLine(train("--data", "csv:" + dir.resolve("absent.csv"), "--out", out.toString()), 1, "caption table not found", "absent.csv");

        Path empty = dir.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        Path notGzip = dir.resolve("plain.txt.gz");
        Files.writeString(notGzip, BpeTrainer.HEADER + "\na b\n");
        assertOneLine(train("--tokenizer", empty.toString(), "--out", out.toString()), 1, empty + ": empty, not a BPE merges file");
        assertOneLine(jclip("tokenize", "--tokenizer", notGzip.toString(), "a"), 1, notGzip + ": named .gz but not gzip-compressed");
        assertFalse(Files.exists(out), "nothing written for any of them");

        Path missing = dir.resolve("missing.png"), truncated = dir.resolve("truncated.png");
        byte[] png = Files.readAllBytes(dir.resolve("img/0.png"));
        Files.write(truncated, Arrays.copyOf(png, png.length / 2));
        Path embeddings = dir.resolve("e.jsonl");
        for (Path[] c : new Path[][] {{missing, missing}, {dir.resolve("img"), dir.resolve("img")}, {truncated, truncated}}) {
            assertOneLine(jclip("embed", "--checkpoint", run.toString(), "--images", dir.resolve("img/0.png").toString(), c[0].toString(),
                    "--out", embeddings.toString()), 1, c[1].toString());
        }
        assertOneLine(jclip("embed", "--checkpoint", run.toString(), "--images", dir.resolve("img").toString(), "--out", embeddings.toString()),
                1, dir.resolve("img") + " is a directory, not an image");
    }

    @Test
    void aTokenizerOfAnotherVocabularyIsRefusedNamingBothSizes() throws IOException {
        Path other = dir.resolve("other-merges.txt");
        BpeTrainer.writeMergesFile(other, BpeTrainer.learnMerges(List.of("a red square", "a blue circle"), 5));
        int own = ClipTokenizer.load(run.resolve(Checkpoints.TOKENIZER_FILE)).vocabSize();
        Result r = jclip("zeroshot", "--checkpoint", run.toString(), "--data", "shapes-heldout", "--data-size", "8", "--tokenizer", other.toString());
        assertOneLine(r, 1, "the tokenizer " + other + " has a vocabulary of 519 tokens", "one of " + own);
        assertOneLine(jclip("embed", "--checkpoint", run.toString(), "--texts", "a", "--tokenizer", other.toString(),
                "--out", dir.resolve("t.jsonl").toString()), 1, "519", "one of " + own);
    }

    @Test
    void aRunFolderHoldsOneRun() throws IOException {
        Path out = dir.resolve("one-run");
        String[] shapes = {"--data-size", "32", "--checkpoint-every", "1", "--out", out.toString()};
        assertEquals(0, train(CommandLineTest.concat(shapes, "--steps", "3")).code());
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "3")), 1, "--out " + out + " already holds a run",
                "metrics.jsonl", "checkpoints/", "--resume", "--overwrite");

        // A resumed run keeps the checkpointed run's settings; --steps may grow, and the log says so.
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "4", "--resume", "--batch-size", "8")), 1,
                "--batch-size 8 differs from the 4 of the run checkpointed in", "step-00000003");
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "4", "--resume", "--lr", "0.01")), 1, "--lr 0.01 differs from the 0.001");
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "4", "--resume", "--warmup", "2")), 1, "--warmup 2 differs from the 50");
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "3", "--resume")), 1, "--steps 3 is not beyond the checkpoint's step 3");

        // A killed checkpoint write leaves a partial folder; latest names a checkpoint damaged since.
        Path checkpoints = out.resolve("checkpoints");
        Files.createDirectories(checkpoints.resolve(".step-00000004.partial-123"));
        Files.writeString(checkpoints.resolve(".step-00000004.partial-123/model.safetensors"), "half");
        Path step3 = checkpoints.resolve("step-00000003/trainer.safetensors");
        Files.write(step3, Arrays.copyOf(Files.readAllBytes(step3), 100));
        assertOneLine(jclip("info", out.toString()), 1, "step-00000003, which is damaged",
                "the newest intact checkpoint is " + checkpoints.resolve("step-00000002"));
        Result resumed = train(CommandLineTest.concat(shapes, "--steps", "4", "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("step-00000003, which is damaged") && resumed.out().contains("resuming from "
                + checkpoints.resolve("step-00000002") + ", the newest intact checkpoint"), resumed.out());
        assertTrue(resumed.out().contains("note: --steps 4 instead of the checkpointed run's 3"), resumed.out());
        try (Stream<Path> s = Files.list(checkpoints)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("partial")), "the partial folder is gone");
        }
        assertEquals(4, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "steps 1-2, then 3-4 again");

        // --overwrite starts afresh: the old run's checkpoints and metrics are gone.
        Result fresh = train(CommandLineTest.concat(shapes, "--steps", "1", "--overwrite"));
        assertEquals(0, fresh.code(), fresh.err());
        assertEquals(1, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        try (Stream<Path> s = Files.list(checkpoints)) {
            assertEquals(List.of("latest", "step-00000001"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertOneLine(train(CommandLineTest.concat(shapes, "--steps", "2", "--resume", "--overwrite")), 1, "give one of them");
    }

    /** JCLIP_CUDA is read once per process, so a bad one is tried in a child JVM: one line, no stack trace. */
    @Test
    void aBadJclipCudaIsOneLine() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        for (String[] args : new String[][] {{"devices"}, {"embed", "--checkpoint", run.toString(), "--texts", "a", "--device", "cuda",
                "--out", dir.resolve("cuda.jsonl").toString()}}) {
            List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("JCLIP_CUDA", "bogus");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertTrue(output.contains("JCLIP_CUDA / jclip.cuda must be 'sim' or 'gpu', not 'bogus'"), output);
            assertFalse(output.contains("\tat ") || output.contains("ExceptionInInitializerError"), output);
        }
    }
}
