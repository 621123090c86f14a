package jclip.clip.data;

/** What a {@link DataLoader} does with an example it cannot read. Bad items are never dropped silently. */
public enum BadItemPolicy {
    /** Report it to the warning sink with its origin, count it, and go on with the next example. */
    SKIP,
    /** Throw a {@link DataException} naming its origin from {@link DataLoader#next()}. */
    FAIL
}
