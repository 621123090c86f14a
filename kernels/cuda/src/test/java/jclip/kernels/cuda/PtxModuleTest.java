package jclip.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading kernel parameter lists out of PTX text, which every launch is checked against. */
class PtxModuleTest {
    @Test
    void readsEveryEntryWithItsParameterSizes() {
        String ptx = """
                .version 8.8
                .target sm_80
                .address_size 64
                .visible .entry jclip_scale(
                	.param .u64 .ptr .align 1 jclip_scale_param_0,
                	.param .f32 jclip_scale_param_1,
                	.param .u32 jclip_scale_param_2
                )
                {
                	ret;
                }
                .visible .entry jclip_strided(
                	.param .align 4 .b8 jclip_strided_param_0[32],
                	.param .u64 jclip_strided_param_1,
                	.param .s64 jclip_strided_param_2
                )
                { ret; }
                .visible .entry jclip_nothing()
                { ret; }
                """;
        Map<String, int[]> entries = PtxModule.parseEntries(ptx);
        assertEquals(3, entries.size());
        assertArrayEquals(new int[] {8, 4, 4}, entries.get("jclip_scale"));
        assertArrayEquals(new int[] {32, 8, 8}, entries.get("jclip_strided"));
        assertArrayEquals(new int[] {}, entries.get("jclip_nothing"));
    }

    @Test
    void refusesAParameterItCannotSize() {
        assertThrows(IllegalStateException.class, () -> PtxModule.parseEntries(".entry k(\n.param .texref t\n)\n{}"));
    }
}
