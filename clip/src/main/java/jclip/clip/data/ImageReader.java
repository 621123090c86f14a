package jclip.clip.data;

import java.awt.image.BufferedImage;
import java.io.IOException;

/**
 * Decodes (or renders) one example's image when asked, so that the work happens on the
 * {@link DataLoader}'s worker threads rather than on the thread that walks the source.
 *
 * <p>Implementations must be safe to call from any thread and should throw an
 * {@link IOException} (for example {@link BadItemException}) for a missing, unreadable or
 * corrupt image; the loader reports it with the example's origin.
 */
@FunctionalInterface
public interface ImageReader {
    /** The image, never null. */
    BufferedImage read() throws IOException;
}
