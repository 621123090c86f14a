package jclip.clip.data;

import java.io.IOException;

/** One example cannot be used: a missing file, a corrupt image, a sample without a caption. */
public class BadItemException extends IOException {
    private static final long serialVersionUID = 1L;

    public BadItemException(String message) {
        super(message);
    }

    public BadItemException(String message, Throwable cause) {
        super(message, cause);
    }
}
