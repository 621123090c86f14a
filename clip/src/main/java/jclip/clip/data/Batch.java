package jclip.clip.data;

import java.util.List;
import jclip.tensor.Tensor;

/**
 * A batch from a {@link DataLoader}. The images tensor belongs to the caller: it is created on
 * the thread that called {@link DataLoader#next()} (so a {@code MemoryScope} open there adopts
 * it), and {@link #close()} closes it.
 *
 * @param images [B, 3, R, R] F32 on the CPU, CLIP-normalised
 * @param captions the B captions (not tokenised)
 * @param labels the B class labels, -1 where none
 * @param origins the B examples' origins
 * @param position examples of this epoch's order consumed up to and including this batch (bad
 *     items skipped on the way count): give it to {@link DataLoader.Builder#skip(long)} to resume
 *     right after this batch
 * @param epoch the epoch this batch belongs to
 */
public record Batch(Tensor images, List<String> captions, int[] labels, List<String> origins, long position, int epoch)
        implements AutoCloseable {
    /** The number of examples, B. */
    public int size() {
        return captions.size();
    }

    /** Closes the images tensor. */
    @Override
    public void close() {
        images.close();
    }
}
