package jclip.clip.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Images in a folder listed with their captions in a CSV or TSV table, open_clip's
 * {@code --csv-img-key filepath --csv-caption-key title} convention: a header row names the
 * columns; the image column holds paths (relative ones are resolved against the image root, by
 * default the table's folder) and the caption column the text. The separator is a tab for
 * {@code .tsv} and {@code .tab} files and a comma otherwise, unless set. Fields may be quoted
 * with {@code "} (doubled inside, may span lines); blank lines are skipped. Images are decoded
 * with ImageIO (JPEG, PNG, GIF, BMP).
 *
 * <p>The table is read when the source is opened; a missing table or a header without the
 * columns is an {@link IOException} at once. A bad row (missing field, empty path or caption,
 * unterminated quote, bytes that are not UTF-8) or a bad image (missing, unreadable, corrupt)
 * comes out as a bad example whose origin is {@code table:line (path)}, for the
 * {@link DataLoader} to report or fail on.
 */
public final class CsvImageFolder extends IndexedSource {
    private final Path table;
    private final String[] paths;
    private final String[] captions;
    private final int[] lines;
    private final String[] problems;
    private final Path root;

    private CsvImageFolder(Path table, Path root, List<Row> rows) {
        this.table = table;
        this.root = root;
        int n = rows.size();
        paths = new String[n];
        captions = new String[n];
        lines = new int[n];
        problems = new String[n];
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            paths[i] = r.path;
            captions[i] = r.caption;
            lines[i] = r.line;
            problems[i] = r.problem;
        }
    }

    /** A table with the columns "filepath" and "title", images relative to its folder. */
    public static CsvImageFolder open(Path table) throws IOException {
        return at(table).open();
    }

    /** A table with the given image-path and caption columns, images relative to its folder. */
    public static CsvImageFolder open(Path table, String imageKey, String captionKey) throws IOException {
        return at(table).imageKey(imageKey).captionKey(captionKey).open();
    }

    /** Options for the table at the path. */
    public static Options at(Path table) {
        return new Options(table);
    }

    /** Column names, separator and image root. */
    public static final class Options {
        private final Path table;
        private String imageKey = "filepath", captionKey = "title";
        private Character separator;
        private Path imageRoot;

        private Options(Path table) {
            this.table = table;
        }

        /** The column of image paths ("filepath" by default). */
        public Options imageKey(String key) {
            imageKey = key;
            return this;
        }

        /** The column of captions ("title" by default). */
        public Options captionKey(String key) {
            captionKey = key;
            return this;
        }

        /** The field separator (default: tab for .tsv/.tab, else comma). */
        public Options separator(char c) {
            separator = c;
            return this;
        }

        /** The folder relative image paths are resolved against (default: the table's folder). */
        public Options imageRoot(Path dir) {
            imageRoot = dir;
            return this;
        }

        /** Reads the table. */
        public CsvImageFolder open() throws IOException {
            if (Files.isDirectory(table)) throw new IOException(table + " is a directory, not a caption table");
            if (!Files.isRegularFile(table)) throw new NoSuchFileException(table.toString(), null, "caption table not found: " + table.toAbsolutePath());
            String name = table.getFileName().toString().toLowerCase();
            char sep = separator != null ? separator : (name.endsWith(".tsv") || name.endsWith(".tab") ? '\t' : ',');
            Path root = imageRoot != null ? imageRoot : table.toAbsolutePath().getParent();
            Utf8Lines text = Utf8Lines.decode(Files.readAllBytes(table));
            List<Record> records = parse(text.text(), sep);
            if (records.isEmpty()) throw new IOException(table + ": empty, no header row");
            Record header = records.get(0);
            String headerProblem = header.problem != null ? header.problem : text.problem(header.line, header.lastLine);
            if (headerProblem != null) throw new IOException(table + ":" + header.line + ": bad header: " + headerProblem);
            int imageCol = header.fields.indexOf(imageKey), captionCol = header.fields.indexOf(captionKey);
            if (imageCol < 0 || captionCol < 0)
                throw new IOException(table + ":" + header.line + ": the header " + header.fields + " has no column '"
                        + (imageCol < 0 ? imageKey : captionKey) + "' (separator " + (sep == '\t' ? "tab" : "'" + sep + "'") + ")");
            List<Row> rows = new ArrayList<>(records.size() - 1);
            for (Record r : records.subList(1, records.size())) {
                String path = imageCol < r.fields.size() ? r.fields.get(imageCol) : null;
                String caption = captionCol < r.fields.size() ? r.fields.get(captionCol) : null;
                String problem = r.problem != null ? r.problem : text.problem(r.line, r.lastLine);
                if (problem == null && path == null)
                    problem = "row has " + r.fields.size() + " field(s), no '" + imageKey + "' (column " + (imageCol + 1) + ")";
                else if (problem == null && caption == null)
                    problem = "row has " + r.fields.size() + " field(s), no '" + captionKey + "' (column " + (captionCol + 1) + ")";
                else if (problem == null && path.isBlank()) problem = "empty '" + imageKey + "'";
                else if (problem == null && caption.isBlank()) problem = "empty '" + captionKey + "'";
                rows.add(new Row(r.line, path, caption == null ? null : caption.strip(), problem));
            }
            return new CsvImageFolder(table, root, rows);
        }
    }

    private record Row(int line, String path, String caption, String problem) {}

    private record Record(int line, int lastLine, List<String> fields, String problem) {}

    /** RFC 4180-style records with the lines each spans; blank lines skipped. */
    static List<Record> parse(String text, char sep) {
        List<Record> out = new ArrayList<>();
        int i = 0, n = text.length(), line = 1;
        while (i < n) {
            int start = line, last;
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            String problem = null;
            boolean blank = true;
            while (true) {
                if (i >= n) {
                    fields.add(f.toString());
                    last = line;
                    break;
                }
                char c = text.charAt(i);
                if (c == '"' && f.length() == 0) {
                    blank = false;
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char q = text.charAt(i++);
                        if (q == '"') {
                            if (i < n && text.charAt(i) == '"') {
                                f.append('"');
                                i++;
                            } else {
                                closed = true;
                                break;
                            }
                        } else {
                            if (q == '\n' || (q == '\r' && (i >= n || text.charAt(i) != '\n'))) line++;
                            f.append(q);
                        }
                    }
                    if (!closed) problem = "unterminated quoted field: it runs from line " + start + " to the end of the table";
                    continue;
                }
                if (c == sep) {
                    blank = false;
                    fields.add(f.toString());
                    f.setLength(0);
                    i++;
                    continue;
                }
                if (c == '\n' || c == '\r') {
                    i++;
                    if (c == '\r' && i < n && text.charAt(i) == '\n') i++;
                    last = line++;
                    fields.add(f.toString());
                    break;
                }
                blank = false;
                f.append(c);
                i++;
            }
            if (!blank) out.add(new Record(start, last, fields, problem));
        }
        return out;
    }

    /** The table's path. */
    public Path table() {
        return table;
    }

    @Override
    public int count() {
        return paths.length;
    }

    @Override
    public String describe() {
        return "csv " + table + " (" + paths.length + " rows, images under " + root + ")";
    }

    @Override
    public Example example(int index, long seed, int epoch) {
        String origin = table + ":" + lines[index] + (paths[index] != null && !paths[index].isBlank() ? " (" + paths[index] + ")" : "");
        if (problems[index] != null) return Example.bad(origin, problems[index]);
        Path file = root.resolve(paths[index]);
        return new Example(origin, () -> Images.read(file), captions[index], -1);
    }
}
