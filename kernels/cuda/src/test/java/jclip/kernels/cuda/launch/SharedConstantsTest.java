package jclip.kernels.cuda.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jclip.kernels.BinaryOp;
import jclip.kernels.DType;
import jclip.kernels.ReduceOp;
import jclip.kernels.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The launchers and the CUDA sources share op codes (Java enum ordinals passed as ints) and launch
 * geometry (block shapes that the kernels' shared arrays and __launch_bounds__ are sized for), each
 * written down on both sides. Reading the sources here makes a change on one side alone fail the
 * build instead of computing garbage on a GPU. No GPU needed: this reads text.
 */
class SharedConstantsTest {
    private static final Path SOURCES = Path.of("src/main/cuda");

    @Test
    void opCodesAreTheJavaEnumsInOrder() throws IOException {
        assertEquals(names(UnaryOp.values()), cudaEnum("elementwise.cu", "UnaryOp"));
        assertEquals(names(BinaryOp.values()), cudaEnum("elementwise.cu", "BinaryOp"));
        assertEquals(names(DType.values()), cudaEnum("copy.cu", "DType"));
        // reduce.cu switches on the ordinal directly: 0 is SUM, 1 is MAX (ARGMAX has its own kernels).
        String reduce = source("reduce.cu");
        assertTrue(reduce.contains("if (op == 0) reduce_row<SumF>") && reduce.contains("if (op == 0) reduce_columns<SumF>"),
                "reduce.cu takes op 0 as SUM");
        assertEquals(0, ReduceOp.SUM.ordinal());
        assertEquals(1, ReduceOp.MAX.ordinal());
    }

    @Test
    void launchGeometryMatchesTheKernels() throws IOException {
        assertEquals(define("block_reduce.cuh", "JCLIP_WARP"), Layout.WARP);
        assertEquals(define("elements.cuh", "JCLIP_MAX_DIMS"), Layout.MAX_DIMS);
        assertEquals(define("layernorm.cu", "PARAM_ROWS_Y"), LayerNorm.PARAM_ROWS_Y);
        assertEquals(define("reduce.cu", "COLUMN_WARPS"), Reductions.COLUMN_WARPS);
        assertEquals(define("attention.cu", "ATTN_WARPS"), Attention.WARPS);
        assertEquals(define("attention.cu", "ATTN_THREADS"), Attention.THREADS);
        assertEquals(define("attention.cu", "ATTN_PAD"), Attention.PAD);
        assertEquals(define("attention.cu", "ATTN_PREPARE_THREADS"), Attention.PREPARE_THREADS);
        assertEquals(define("contrastive.cu", "CT_TILE"), Contrastive.TILE);
        assertEquals(define("contrastive.cu", "CT_THREADS"), Contrastive.THREADS);
        // The merge kernels are compiled for at most 256 threads per block.
        assertTrue(Contrastive.MERGE_THREADS <= 256, "MERGE_THREADS above contrastive.cu's __launch_bounds__(256)");
    }

    private static List<String> names(Enum<?>[] values) {
        return Arrays.stream(values).map(Enum::name).toList();
    }

    private static String source(String file) throws IOException {
        return Files.readString(SOURCES.resolve(file));
    }

    /** The names of {@code enum NAME { ... }} in a source, in order. */
    private static List<String> cudaEnum(String file, String name) throws IOException {
        Matcher m = Pattern.compile("enum\\s+" + name + "\\s*\\{([^}]*)}").matcher(source(file));
        assertTrue(m.find(), file + " has no enum " + name);
        return Arrays.stream(m.group(1).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** The value of {@code #define NAME expr}, where expr is a product of numbers and earlier defines. */
    private static int define(String file, String name) throws IOException {
        String text = source(file);
        Matcher m = Pattern.compile("(?m)^#define\\s+" + name + "\\s+([^/\\n]+)").matcher(text);
        assertTrue(m.find(), file + " has no #define " + name);
        int value = 1;
        for (String factor : m.group(1).replaceAll("[()]", "").split("\\*")) {
            String f = factor.trim();
            value *= f.matches("\\d+") ? Integer.parseInt(f) : defineIn(f, file);
        }
        return value;
    }

    /** A define used by another: in the same file, or in the shared header that defines it. */
    private static int defineIn(String name, String file) throws IOException {
        for (String candidate : List.of(file, "block_reduce.cuh", "elements.cuh", "jclip_cuda.cuh")) {
            if (Pattern.compile("(?m)^#define\\s+" + name + "\\s").matcher(source(candidate)).find()) return define(candidate, name);
        }
        throw new AssertionError(name + " (used in " + file + ") is defined nowhere");
    }
}
