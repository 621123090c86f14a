package jclip.clip.train;

/** The loss became NaN or infinite; training stopped before writing anything from that step. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
