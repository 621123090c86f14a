package jclip.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * A partition's items a batch at a time, lazily: the next batch is read from upstream and turned
 * into output rows only when the rows of the last one have been taken, so a task holds one batch,
 * never its whole partition.
 */
final class Batches<I, O> implements Iterator<O> {
    private final Iterator<I> upstream;
    private final int size;
    private final Function<List<I>, List<O>> process;
    private final Runnable atEnd;
    private Iterator<O> current = Collections.emptyIterator();
    private boolean ended;

    private Batches(Iterator<I> upstream, int size, Function<List<I>, List<O>> process, Runnable atEnd) {
        this.upstream = upstream;
        this.size = size;
        this.process = process;
        this.atEnd = atEnd;
    }

    /** process applied to consecutive batches of at most size items; atEnd runs once, after the last. */
    static <I, O> Iterator<O> map(Iterator<I> upstream, int size, Function<List<I>, List<O>> process, Runnable atEnd) {
        if (size < 1) throw new IllegalArgumentException("batch size must be positive: " + size);
        return new Batches<>(upstream, size, process, atEnd);
    }

    @Override
    public boolean hasNext() {
        while (!current.hasNext()) {
            if (!upstream.hasNext()) {
                if (!ended) {
                    ended = true;
                    atEnd.run();
                }
                return false;
            }
            List<I> batch = new ArrayList<>(size);
            while (batch.size() < size && upstream.hasNext()) batch.add(upstream.next());
            current = process.apply(batch).iterator();
        }
        return true;
    }

    @Override
    public O next() {
        if (!hasNext()) throw new NoSuchElementException();
        return current.next();
    }
}
