package jclip.clip.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import jclip.clip.text.ClipTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Shows how texts tokenize. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of texts.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "A BPE merges file (.txt or .txt.gz), e.g. the original bpe_simple_vocab_16e6.txt.gz.")
    Path tokenizer;

    @Option(names = "--context", converter = Flags.Positive.class, description = "Context length for the padded form (default: ${DEFAULT-VALUE}).", defaultValue = "77")
    int context;

    @Option(names = "--padded", description = "Print the padded [start, ids, end, 0...] rows that the model reads.")
    boolean padded;

    @Parameters(paramLabel = "TEXT", arity = "1..*")
    List<String> texts;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ClipTokenizer t = ClipTokenizer.load(tokenizer);
        var out = spec.commandLine().getOut();
        if (padded) {
            long[] rows = t.tokenize(texts, context, true).toLongArray();
            for (int i = 0; i < texts.size(); i++)
                out.println(java.util.Arrays.toString(java.util.Arrays.copyOfRange(rows, i * context, (i + 1) * context)));
        } else {
            for (String text : texts) out.println(java.util.Arrays.toString(t.encode(text)) + "\t" + t.decode(t.encode(text)));
        }
        return 0;
    }
}
