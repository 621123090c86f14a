package jclip.clip.train;

import java.util.Iterator;
import jclip.clip.data.Batch;

/** Training data as the trainer sees it: an ordered pass per epoch that can start at any position. */
@FunctionalInterface
public interface Batches {
    /** The batches of epoch, starting after its first skip examples (a deterministic order per epoch). */
    Iterator<Batch> open(int epoch, long skip);
}
