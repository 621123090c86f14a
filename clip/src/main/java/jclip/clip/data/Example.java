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
        return new Example(origin, new Bad(message), null, -1);
    }

    /**
     * Why this example cannot be used, known without decoding its image: the message of a
     * {@link #bad} example, "missing caption" for one without a caption; null otherwise (its image
     * may still turn out corrupt). Code that reads only captions, such as a tokenizer learning
     * from them, asks this instead of meeting a null caption.
     */
    public String problem() {
        if (image instanceof Bad b) return b.message;
        return caption == null ? "missing caption" : null;
    }

    private record Bad(String message) implements ImageReader {
        @Override
        public java.awt.image.BufferedImage read() throws BadItemException {
            throw new BadItemException(message);
        }
    }
}
