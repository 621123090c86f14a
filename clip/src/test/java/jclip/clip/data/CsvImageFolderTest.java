package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvImageFolderTest {
    @TempDir
    Path dir;

    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        return img;
    }

    private void images() throws IOException {
        Files.createDirectories(dir.resolve("img"));
        ImageIO.write(solid(20, 10, 0xFF0000), "png", dir.resolve("img/red.png").toFile());
        ImageIO.write(solid(12, 16, 0x0000FF), "jpg", dir.resolve("img/blue.jpg").toFile());
        Files.write(dir.resolve("img/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    }

    /** A table whose data rows are: line 2 good png, 3 good jpg (quoted caption with comma and quotes),
     *  4 missing file, 5 missing caption column, 6 corrupt image, 7-8 a caption over two lines, 9 blank, 10 good. */
    private Path table() throws IOException {
        images();
        Path csv = dir.resolve("captions.csv");
        Files.writeString(csv, String.join("\n",
                "filepath,title",
                "img/red.png,a red rectangle",
                "img/blue.jpg,\"a blue, \"\"tall\"\" rectangle\"",
                "img/missing.png,a missing file",
                "img/red.png",
                "img/broken.png,a corrupt file",
                "img/red.png,\"two",
                "lines\"",
                "",
                "img/blue.jpg,last") + "\n");
        return csv;
    }

    @Test
    void readsImagesAndCaptionsAndReportsBadRowsWithLineNumbers() throws Exception {
        Path csv = table();
        CsvImageFolder source = CsvImageFolder.open(csv);
        assertEquals(7, source.count());
        List<String> warnings = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<String> origins = new ArrayList<>();
        try (DataLoader loader = DataLoader.builder(source.inOrder()).batchSize(2).dropLast(false).threads(3)
                .preprocess(Preprocess.eval(8)).warnings(warnings::add).build()) {
            while (loader.hasNext()) {
                try (Batch b = loader.next()) {
                    captions.addAll(b.captions());
                    origins.addAll(b.origins());
                    float[] px = b.images().toFloatArray();
                    for (int i = 0; i < b.size(); i++) {
                        boolean red = b.origins().get(i).contains("red.png");
                        float r = px[i * 192], blue = px[i * 192 + 128];
                        if (red) assertEquals((1f - Preprocess.MEAN[0]) / Preprocess.STD[0], r, 1e-6f);
                        else assertTrue(blue > 1.5f, "a blue JPEG");
                    }
                }
            }
            assertEquals(3, loader.badItems());
            assertEquals(7, loader.position());
        }
        assertEquals(List.of("a red rectangle", "a blue, \"tall\" rectangle", "two\nlines", "last"), captions);
        assertTrue(origins.get(0).equals(csv + ":2 (img/red.png)"), origins.get(0));
        assertTrue(origins.get(2).startsWith(csv + ":7 "), origins.get(2));
        assertTrue(origins.get(3).startsWith(csv + ":10 "), "line numbers survive a quoted newline and a blank line: " + origins.get(3));
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(csv + ":4") && warnings.get(0).contains("missing.png"), warnings.get(0));
        assertTrue(warnings.get(1).contains(csv + ":5") && warnings.get(1).contains("title"), warnings.get(1));
        assertTrue(warnings.get(2).contains(csv + ":6") && warnings.get(2).contains("corrupt"), warnings.get(2));
    }

    @Test
    void failPolicyThrowsNamingTheRow() throws Exception {
        Path csv = table();
        List<String> captions = new ArrayList<>();
        try (DataLoader loader = DataLoader.builder(CsvImageFolder.open(csv).inOrder()).batchSize(1).threads(2)
                .preprocess(Preprocess.eval(8)).badItems(BadItemPolicy.FAIL).build()) {
            DataException e = assertThrows(DataException.class, () -> {
                while (loader.hasNext()) {
                    try (Batch b = loader.next()) {
                        captions.addAll(b.captions());
                    }
                }
            });
            assertTrue(e.getMessage().contains(csv + ":4"), e.getMessage());
            assertTrue(e.origin().startsWith(csv + ":4"), e.origin());
        }
        assertEquals(2, captions.size(), "the two good rows before the bad one were delivered");
    }

    /** A table saved as Latin-1: each row with such a byte is a bad row naming its line and column; the rest reads. */
    @Test
    void bytesThatAreNotUtf8SpoilOnlyTheirRow() throws Exception {
        images();
        Path csv = dir.resolve("latin-1.csv");
        byte[] cafe = "img/red.png,caf\u00e9\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (var out = Files.newOutputStream(csv)) {
            out.write("filepath,title\r\nimg/red.png,\"two\nlines\"\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.write(cafe);
            out.write("img/blue.jpg,caf\u00e9 cr\u00e8me\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        CsvImageFolder source = CsvImageFolder.open(csv);
        assertEquals(3, source.count());
        assertEquals("two\nlines", source.example(0, 0, 0).caption());
        Example bad = source.example(1, 0, 0);
        assertEquals(csv + ":4 (img/red.png)", bad.origin());
        assertEquals("byte 0xE9 at column 16 of line 4 is not UTF-8 (save the table as UTF-8)", bad.problem());
        assertEquals("caf\u00e9 cr\u00e8me", source.example(2, 0, 0).caption());

        Path header = dir.resolve("bad-header.csv");
        Files.write(header, "filepath,t\u00eftle\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        IOException e = assertThrows(IOException.class, () -> CsvImageFolder.open(header));
        assertTrue(e.getMessage().startsWith(header + ":1: bad header: byte 0xEF at column 11"), e.getMessage());
    }

    @Test
    void tsvWithOtherColumnsAndHeaderErrors() throws Exception {
        images();
        Path tsv = dir.resolve("data.tsv");
        Files.writeString(tsv, "caption\tid\tpath\r\na, b\t1\t" + dir.resolve("img/red.png") + "\r\n");
        CsvImageFolder s = CsvImageFolder.at(tsv).imageKey("path").captionKey("caption").open();
        assertEquals(1, s.count());
        Example e = s.example(0, 0, 0);
        assertEquals("a, b", e.caption());
        assertEquals(20, e.image().read().getWidth());

        IOException missingColumn = assertThrows(IOException.class, () -> CsvImageFolder.open(tsv));
        assertTrue(missingColumn.getMessage().contains("filepath") && missingColumn.getMessage().contains(tsv.toString()), missingColumn.getMessage());
        IOException missingTable = assertThrows(IOException.class, () -> CsvImageFolder.open(dir.resolve("nope.csv")));
        assertTrue(missingTable.getMessage().contains("nope.csv"), missingTable.getMessage());

        IOException directory = assertThrows(IOException.class, () -> CsvImageFolder.open(dir.resolve("img")));
        assertEquals(dir.resolve("img") + " is a directory, not a caption table", directory.getMessage());

        // separator given explicitly, images under another root
        Path semi = dir.resolve("list.txt");
        Files.writeString(semi, "file;text\nred.png;semi\n");
        CsvImageFolder t = CsvImageFolder.at(semi).imageKey("file").captionKey("text").separator(';').imageRoot(dir.resolve("img")).open();
        assertEquals("semi", t.example(0, 0, 0).caption());
        assertEquals(10, t.example(0, 0, 0).image().read().getHeight());
    }
}
