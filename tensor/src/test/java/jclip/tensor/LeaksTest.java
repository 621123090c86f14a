package jclip.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A tensor that is never closed is freed by Storage's Cleaner once collected and reported as a
 * leak on the System.Logger, which in the JDK is java.util.logging: the test listens there, at
 * WARNING (the test JVMs' logging config, test-logging.properties, otherwise turns the leak
 * logger off). Each test leaks a tensor of a shape no other test uses and waits for its own
 * report (System.gc() in a loop, at most 30 s), so other tests' leaks reported meanwhile do not
 * matter.
 */
class LeaksTest {
    private final Logger logger = Logger.getLogger(Leaks.LOGGER);  // held: JUL keeps loggers weakly
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private Level savedLevel;

    @BeforeEach
    void listen() {
        savedLevel = logger.getLevel();
        logger.setLevel(Level.WARNING);
        logger.addHandler(handler);
    }

    @AfterEach
    void restore() {
        logger.removeHandler(handler);
        logger.setLevel(savedLevel);
        Leaks.trace = Boolean.getBoolean(Leaks.TRACE_PROPERTY);
    }

    /** Creates and drops a tensor outside any scope; a method of its own, so no frame keeps it. */
    private static void leak(int... shape) {
        assertNull(MemoryScope.current(), "no scope would close it");
        Tensor.zeros(shape);
    }

    private LogRecord awaitReport(String shape) throws InterruptedException {
        Predicate<LogRecord> which = r -> r.getMessage().contains(" " + shape + " ");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (LogRecord r : records) if (which.test(r)) return r;
            System.gc();
            Thread.sleep(10);
        }
        throw new AssertionError("no leak report of a tensor " + shape + " within 30 s; got " + messages());
    }

    private List<String> messages() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    @Test
    void aLeakedTensorIsReportedWithDtypeShapeBytesAndDevice() throws InterruptedException {
        Leaks.trace = false;
        leak(3, 7, 11);
        LogRecord r = awaitReport("[3, 7, 11]");
        assertEquals(Level.WARNING, r.getLevel());
        assertTrue(r.getMessage().contains("F32 [3, 7, 11] (924 bytes) on cpu"), r.getMessage());
        assertTrue(r.getMessage().contains("-Djclip.leaks.trace=true"), r.getMessage());
        assertNull(r.getThrown(), "no stack is recorded unless asked");
    }

    @Test
    void withTracingTheReportSaysWhereTheTensorWasAllocated() throws InterruptedException {
        Leaks.trace = true;
        leak(5, 13);
        LogRecord r = awaitReport("[5, 13]");
        assertNotNull(r.getThrown(), "the allocation's stack");
        assertTrue(Arrays.stream(r.getThrown().getStackTrace()).anyMatch(f -> f.getMethodName().equals("leak")),
                Arrays.toString(r.getThrown().getStackTrace()));
    }

    @Test
    void aClosedTensorIsNotReported() throws InterruptedException {
        Tensor.zeros(17, 19).close();
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor.zeros(19, 17);
        }
        // Closing runs the cleaning action at once, so a wrong report would already be here; the
        // leak after them shows that reports do arrive meanwhile.
        leak(2, 17, 19);
        awaitReport("[2, 17, 19]");
        assertEquals(List.of(), messages().stream().filter(m -> m.contains(" [17, 19] ") || m.contains(" [19, 17] ")).toList());
    }
}
