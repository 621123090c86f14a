package jclip.clip.data;

/**
 * A data error that stops a {@link DataLoader}: a bad item under {@link BadItemPolicy#FAIL}
 * (then {@link #origin()} names it) or a failure of the source itself.
 */
public class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String origin;

    public DataException(String origin, String message, Throwable cause) {
        super(message, cause);
        this.origin = origin;
    }

    /** The bad example's origin (file and line, shard and key, index), or null for a source failure. */
    public String origin() {
        return origin;
    }
}
