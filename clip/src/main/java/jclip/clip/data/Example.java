package jclip.clip.data;

import java.util.Objects;

/**
 * One image-caption pair from an {@link ImageTextSource}.
 *
 * @param origin where it comes from, for messages: "captions.csv:17 (img/cat.jpg)",
 *     "shard-003.tar:000123", "fashion-mnist train #42"
 * @param image decodes the image lazily, on a loader thread
 * @param caption the caption; null when the source has none for it (a bad item, reported by the loader)
 * @param label the class index into the source's {@link ImageTextSource#classNames()}, or -1
 */
public record Example(String origin, ImageReader image, String caption, int label) {
    public Example {
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(image, "image");
    }

    /** An example known to be bad: reading its image throws a {@link BadItemException} with the message. */
    public static Example bad(String origin, String message) {
        return new Example(origin, () -> {
            throw new BadItemException(message);
        }, null, -1);
    }
}
