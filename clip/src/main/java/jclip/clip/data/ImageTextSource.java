package jclip.clip.data;

import java.util.Iterator;
import java.util.List;

/**
 * A data set of image-caption pairs, optionally labelled with classes for zero-shot evaluation.
 *
 * <p>The order of {@link #examples(long, int)} is a pure function of (seed, epoch): indexed
 * sources use a seeded permutation, streamed sources (tar shards) a seeded shard order and a
 * seeded shuffle buffer. Per-item problems do not throw from the iterator: they come out as
 * examples whose image reader throws (see {@link Example#bad}) or whose caption is null, so the
 * {@link DataLoader} reports them in order with their origin.
 */
public interface ImageTextSource {
    /** A one-line description for logs: kind, location, size. */
    String describe();

    /** The number of examples in one epoch, or -1 when unknown (streams). */
    long size();

    /**
     * The examples of one epoch in a deterministic order for (seed, epoch). The iterator may hold
     * open files; if it is {@link AutoCloseable}, the consumer closes it when done.
     */
    Iterator<Example> examples(long seed, int epoch);

    /** Class names in label order, empty when the source is not labelled. */
    default List<String> classNames() {
        return List.of();
    }

    /** Prompt templates with {@code {}} for the class name (see {@link Prompts#fill}); empty when unlabelled. */
    default List<String> templates() {
        return List.of();
    }
}
