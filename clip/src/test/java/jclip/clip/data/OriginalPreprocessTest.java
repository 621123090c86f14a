package jclip.clip.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import jclip.tensor.Tensor;
import jclip.tensor.io.SafeTensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jclip's evaluation preprocessing against the original's on real photos: the tensors that
 * openai/CLIP's {@code _transform(224)} (torchvision 0.14 on Pillow 9.4) makes from each file in
 * {@code photos/} ({@code clip/tools/preprocess_reference.py} wrote {@code expected.safetensors};
 * the photos and their licences are in {@code photos/README.md}).
 *
 * <p>The photos cover a baseline 4:4:4 JPEG with an Adobe RGB profile and a progressive 4:2:0
 * JPEG (both landscape), an RGB PNG
 * (landscape), two greyscale PNGs (a portrait one shrunk 2.5 times and a small one enlarged), an
 * RGBA PNG with a soft alpha edge (portrait) and a palette GIF (enlarged).
 *
 * <p>The tolerance is zero: every step is integer arithmetic that jclip reproduces exactly (the
 * 8-bit decode, Pillow's fixed-point bicubic passes, its alpha premultiplication and NEAREST for
 * palette images, the crop), and the last step is the same three float32 operations, each
 * correctly rounded, as ToTensor and Normalize ({@code v / 255f}, minus mean, divided by std). The
 * JPEG decoders are different code (the JDK's IJG libjpeg 6b, Debian's libjpeg-turbo under Pillow),
 * but both run libjpeg's default islow integer IDCT and fancy upsampling, which libjpeg-turbo keeps
 * bit-exact with 6b; a non-zero difference on the JPEG alone would point at the decoder, on the
 * PNGs at the resize.
 */
class OriginalPreprocessTest {
    private static final int R = 224;

    private static Path photos;
    private static Map<String, Tensor> expected;
    private static float[] normalized;

    @BeforeAll
    static void load() throws Exception {
        photos = resource("photos");
        expected = SafeTensors.load(photos.resolve("expected.safetensors"));
        normalized = expected.get("normalized").toFloatArray(); // [3, 256]
    }

    private static Path resource(String name) throws URISyntaxException {
        var url = OriginalPreprocessTest.class.getResource(name);
        if (url == null) throw new IllegalStateException("test resource jclip/clip/data/" + name + " is missing");
        return Path.of(url.toURI());
    }

    static Stream<String> photos() {
        return Stream.of("rocket.jpg", "coffee-progressive.jpg", "chelsea.png", "cell.png", "microaneurysms.png", "astronaut-rgba.png", "coffee-palette.gif");
    }

    /** The original's float32 tensor, CHW, from the stored 8-bit levels and normalisation table. */
    private static float[] original(String photo) {
        Tensor levels = expected.get(photo);
        assertArrayEquals(new int[] {3, R, R}, levels.shape(), photo);
        byte[] v = (byte[]) levels.toHostArray();
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = normalized[(i / (R * R)) * 256 + (v[i] & 255)];
        return out;
    }

    @ParameterizedTest
    @MethodSource("photos")
    void evalPreprocessingEqualsTheOriginals(String photo) throws Exception {
        float[] want = original(photo);
        float[] got = Preprocess.eval(R).apply(Images.read(photos.resolve(photo)));
        double max = 0;
        int worst = -1, differing = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(got[i] - want[i]);
            if (d > 0) differing++;
            if (d > max) {
                max = d;
                worst = i;
            }
        }
        String where = worst < 0 ? "" : String.format(" (worst at channel %d, y %d, x %d: %s vs %s)",
                worst / (R * R), worst / R % R, worst % R, got[worst], want[worst]);
        assertEquals(0, max, 0, photo + ": " + differing + " of " + want.length + " values differ, by at most " + max + where);
    }
}
