package jclip.clip.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The jclip command line: {@code java -jar clip/target/jclip.jar <command> --help}. */
@Command(name = "jclip", mixinStandardHelpOptions = true, version = "jclip 0.1.0",
        description = "CLIP (contrastive language-image pre-training) in Java: train, evaluate and embed.",
        subcommands = {
                DemoCommand.class, TrainCommand.class, ZeroShotCommand.class, LinearProbeCommand.class, RetrievalCommand.class, EmbedCommand.class, TokenizeCommand.class, InfoCommand.class, DevicesCommand.class})
public final class Main implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean verbose;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line and returns the exit code (tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            if (verbose) e.printStackTrace(commandLine.getErr());
            else commandLine.getErr().println("jclip: " + message(e) + " (--verbose shows the stack trace)");
            return 1;
        });
        // A bad flag is one line too, naming it; the usage would push that line out of sight.
        cli.setParameterExceptionHandler((e, given) -> {
            CommandLine c = e.getCommandLine();
            String m = e.getMessage().replace('\n', ' ');
            // picocli names an option by its longest alias; the first is the one the help and README use
            if (e.getArgSpec() instanceof CommandLine.Model.OptionSpec o) m = m.replace("'" + o.longestName() + "'", "'" + o.names()[0] + "'");
            c.getErr().println("jclip: " + m + " (jclip " + commandPath(c) + "--help lists the options)");
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
        try {
            return cli.execute(args);
        } catch (ExceptionInInitializerError e) {
            // a class whose setup failed (a bad setting, a missing library): its reason, in one line
            if (args != null && java.util.List.of(args).contains("--verbose")) e.printStackTrace(err);
            else err.println("jclip: " + message(e.getCause() != null ? e.getCause() : e) + " (--verbose shows the stack trace)");
            return 1;
        }
    }

    /** Java names these problems only by the exception's class. */
    private static String fileProblem(java.nio.file.FileSystemException e) {
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "already exists";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.NotDirectoryException) return "not a directory";
        if (e instanceof java.nio.file.DirectoryNotEmptyException) return "directory not empty";
        return e.getClass().getSimpleName();
    }

    /** "train " for a subcommand, "" for the top level. */
    private static String commandPath(CommandLine c) {
        StringBuilder path = new StringBuilder();
        for (CommandLine p = c; p.getParent() != null; p = p.getParent()) path.insert(0, p.getCommandName() + " ");
        return path.toString();
    }

    /** One line that says what went wrong, without the exception class for expected failures. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException n) return n.getReason() != null ? n.getReason() : "no such file: " + n.getFile();
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() == null) return f.getFile() + ": " + fileProblem(f);
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        if (e instanceof java.io.UncheckedIOException && e.getCause() != null && e.getCause().getMessage() != null
                && !m.contains(e.getCause().getMessage()))
            m += ": " + message(e.getCause()); // "cannot read X" alone does not say why
        if (e instanceof RuntimeException && !(e instanceof IllegalArgumentException) && !(e instanceof IllegalStateException)
                && !(e instanceof java.io.UncheckedIOException) && !(e instanceof jclip.clip.data.DataException))
            m = e.getClass().getSimpleName() + ": " + m;
        return m.replace('\n', ' ');
    }
}
