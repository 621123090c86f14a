package jclip.tensor;

/**
 * The ranks that share one contrastive batch, each holding a slice of it: what a distributed loss
 * needs of them. {@link #single()} is one process alone; {@link InProcessGroup} runs several ranks
 * as threads of one JVM (one per GPU, or to test a distributed computation against the single one).
 */
public interface ProcessGroup {
    int rank();

    int size();

    /**
     * Every rank's {@code local} tensor, concatenated along dimension 0 in rank order, on the device
     * of {@code local}; each rank calls it with tensors of one dtype and equal trailing sizes.
     * Not differentiated: a distributed loss computes its own gradients.
     */
    Tensor allGather(Tensor local);

    /** One rank alone: allGather returns its input. */
    static ProcessGroup single() {
        return Single.INSTANCE;
    }

    /** The group of one. */
    enum Single implements ProcessGroup {
        INSTANCE;

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public Tensor allGather(Tensor local) {
            return local;
        }
    }
}
