package jclip.clip.data;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A source whose examples are addressed by index 0..count()-1; an epoch visits them in a
 * permutation seeded by (seed, epoch), or in index order after {@link #inOrder()}.
 */
public abstract class IndexedSource implements ImageTextSource {
    /** The number of examples. */
    public abstract int count();

    /**
     * Example {@code index}. Seed and epoch are those of the pass, for sources whose captions vary
     * per epoch (a prompt template chosen per (seed, epoch, index)); the image must not depend on them.
     */
    public abstract Example example(int index, long seed, int epoch);

    @Override
    public long size() {
        return count();
    }

    /** The index visited at each position of the pass for (seed, epoch). */
    protected int[] order(long seed, int epoch) {
        return Seeds.permutation(count(), seed, epoch, 0x5EED0_0DE4L);
    }

    @Override
    public Iterator<Example> examples(long seed, int epoch) {
        int[] order = order(seed, epoch);
        return new Iterator<>() {
            int next;

            @Override
            public boolean hasNext() {
                return next < order.length;
            }

            @Override
            public Example next() {
                if (!hasNext()) throw new NoSuchElementException();
                return example(order[next++], seed, epoch);
            }
        };
    }

    /** The same examples visited in index order whatever the seed (for evaluation). */
    public IndexedSource inOrder() {
        IndexedSource base = this;
        return new View(base) {
            @Override
            protected int[] order(long seed, int epoch) {
                int[] o = new int[count()];
                for (int i = 0; i < o.length; i++) o[i] = i;
                return o;
            }

            @Override
            public String describe() {
                return base.describe() + " in order";
            }
        };
    }

    /** The first n examples (by index), for quick runs; shuffled per epoch like the whole. */
    public IndexedSource head(int n) {
        if (n < 0) throw new IllegalArgumentException("n < 0: " + n);
        IndexedSource base = this;
        int m = Math.min(n, base.count());
        return new View(base) {
            @Override
            public int count() {
                return m;
            }

            @Override
            protected int[] order(long seed, int epoch) {
                return Seeds.permutation(m, seed, epoch, 0x5EED0_0DE4L);
            }

            @Override
            public String describe() {
                return base.describe() + " (first " + m + ")";
            }
        };
    }

    private abstract static class View extends IndexedSource {
        final IndexedSource base;

        View(IndexedSource base) {
            this.base = base;
        }

        @Override
        public int count() {
            return base.count();
        }

        @Override
        public Example example(int index, long seed, int epoch) {
            return base.example(index, seed, epoch);
        }

        @Override
        public java.util.List<String> classNames() {
            return base.classNames();
        }

        @Override
        public java.util.List<String> templates() {
            return base.templates();
        }
    }
}
