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
        return cli.execute(args);
    }

    /** One line that says what went wrong, without the exception class for expected failures. */
    static String message(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        if (e instanceof RuntimeException && !(e instanceof IllegalArgumentException) && !(e instanceof IllegalStateException)
                && !(e instanceof java.io.UncheckedIOException))
            m = e.getClass().getSimpleName() + ": " + m;
        return m.replace('\n', ' ');
    }
}
