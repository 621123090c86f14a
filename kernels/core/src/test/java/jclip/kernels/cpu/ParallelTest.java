package jclip.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/* Parallel.forRange: every item exactly once, the serial cut-off, nesting, and errors. */
class ParallelTest {

    private static void assertEachItemOnce(int n, long cost) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(n, cost, (from, to) -> {
            assertTrue(0 <= from && from < to && to <= n, "chunk [" + from + ", " + to + ") of " + n);
            chunks.add(new int[] {from, to});
            for (int i = from; i < to; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "item " + i + " of " + n + " (cost " + cost + ")");
    }

    @Test
    void coversEveryItemExactlyOnce() {
        for (int n : new int[] {1, 2, 3, 7, 31, 1000, 100_003})
            for (long cost : new long[] {1, 100, 32_768, 1_000_000}) assertEachItemOnce(n, cost);
    }

    @Test
    void emptyRangeRunsNothing() {
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(0, 1_000_000, (from, to) -> calls.incrementAndGet());
        Parallel.forRange(-5, 1_000_000, (from, to) -> calls.incrementAndGet());
        assertEquals(0, calls.get());
    }

    @Test
    void smallWorkRunsOnTheCallingThreadInOneChunk() {
        List<String> seen = new ArrayList<>();
        Thread me = Thread.currentThread();
        Parallel.forRange(100, 10, (from, to) -> {
            assertSame(me, Thread.currentThread());
            seen.add(from + ".." + to);
        });
        assertEquals(List.of("0..100"), seen);
    }

    @Test
    void largeWorkIsSplitOverThreads() {
        assumeTrue(Parallel.threads() > 1, "needs more than one thread");
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger chunks = new AtomicInteger();
        Parallel.forRange(64, 1_000_000, (from, to) -> {
            chunks.incrementAndGet();
            threads.add(Thread.currentThread());
            long until = System.nanoTime() + 2_000_000; // 2 ms of work per chunk so that the pool spreads them
            while (System.nanoTime() < until) Thread.onSpinWait();
        });
        assertTrue(chunks.get() > 1, "work split into " + chunks.get() + " chunk(s)");
        assertTrue(threads.size() > 1, "ran on " + threads.size() + " thread(s)");
    }

    @Test
    void nestedCallsComplete() {
        int outer = 16, inner = 5000;
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, 1_000_000, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = o * inner;
                Parallel.forRange(inner, 100, (f, t) -> {
                    for (int i = f; i < t; i++) hits.incrementAndGet(base + i);
                });
            }
        });
        for (int i = 0; i < outer * inner; i++) assertEquals(1, hits.get(i), "item " + i);
    }

    @Test
    void exceptionOnAPoolThreadKeepsItsTypeAndMessage() {
        // thrown from the last chunk only, which a pool thread (not the caller) is likely to run
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Parallel.forRange(1000, 1_000_000, (from, to) -> {
            if (to == 1000) throw new IndexOutOfBoundsException("index 1234 out of range for dimension of size 7");
        }));
        assertEquals("index 1234 out of range for dimension of size 7", e.getMessage());
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> Parallel.forRange(1000, 1_000_000, (from, to) -> {
            if (from == 0) throw new IllegalStateException("first chunk failed");
        }));
        assertEquals("first chunk failed", s.getMessage());
        // and the pool is still usable afterwards
        assertEachItemOnce(10_000, 1000);
    }
}
