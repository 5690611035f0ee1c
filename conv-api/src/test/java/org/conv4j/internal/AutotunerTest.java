package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Autotune mode on fake backends and a fake clock: the first call times each eligible backend once, a backend
 * beyond 1.5x of the best is never called again, close ones are re-checked, the decision is shared, stable and
 * persisted safely.
 */
class AutotunerTest {

    private static final long US = 1_000;

    private final FakeClock clock = new FakeClock();

    private static ConvShape shape(int size) {
        return ConvShape.forward(Tensor4D.zeros(1, 1, size, size), Tensor4D.zeros(1, 1, 1, 1), null, ConvParams.DEFAULT);
    }

    private Autotuner tuner() {
        return new Autotuner(Autotuner.MAX_ENTRIES, clock);
    }

    /** One forward call through the tuner; the id of the backend whose result came back. */
    private static float runForward(Autotuner tuner, List<ConvBackend> backends, ConvShape s) {
        Tensor4D x = Tensor4D.zeros(1, 1, s.inH(), s.inW());
        Tensor4D w = Tensor4D.zeros(1, 1, 1, 1);
        return tuner.call(backends, s, ConvPass.FORWARD, b -> b.forward(x, w, null, ConvParams.DEFAULT),
                b -> b.forward(x, w, null, ConvParams.DEFAULT)).data()[0];
    }

    private static ConvPlan settle(Autotuner tuner, List<ConvBackend> backends, ConvShape s) {
        for (int i = 0; i < 50; i++) {
            ConvPlan p = tuner.lookup(backends, s, ConvPass.FORWARD);
            if (p != null && p.isSettled()) {
                return p;
            }
            runForward(tuner, backends, s);
        }
        throw new AssertionError("not settled after 50 calls");
    }

    @Test
    void theFirstCallTimesEachEligibleBackendOnceAfterOneUntimedCallAndReturnsTheFastestOnesResult() {
        FakeBackend a = FakeBackend.clocked("a", clock, 1, 500 * US, 28 * US);
        FakeBackend b = FakeBackend.clocked("b", clock, 2, 500 * US, 20 * US);
        FakeBackend c = FakeBackend.clocked("c", clock, 3, 500 * US, 90 * US);
        FakeBackend unsupported = new FakeBackend("d", Double.NaN, false, false, 0, 4);
        List<ConvBackend> backends = List.of(a, b, c, unsupported);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        assertNull(tuner.lookup(backends, s, ConvPass.FORWARD));

        assertEquals(2f, runForward(tuner, backends, s));
        assertEquals(List.of(2, 2, 2, 0), List.of(a.calls.get(), b.calls.get(), c.calls.get(), unsupported.calls.get()),
                "each backend's first call here is untimed, then one timed call");
        ConvPlan first = tuner.lookup(backends, s, ConvPass.FORWARD);
        assertEquals(ConvPlan.Reason.AUTOTUNED, first.reason());
        assertEquals("b", first.backend().name());
        assertEquals(List.of(20 * US, 28 * US, 90 * US), List.copyOf(first.measuredNanos().values()),
                "the timed calls, not the untimed ones");
        assertFalse(first.isSettled(), "a is within 1.5x of b: re-checked");
        assertTrue(first.toString().contains("autotuning, still sampling"), first.toString());

        // The backends are warm now: a new key's first call costs exactly one call of each.
        long before = clock.now();
        assertEquals(2f, runForward(tuner, backends, shape(5)));
        assertEquals(28 * US + 20 * US + 90 * US, clock.now() - before);
        assertEquals(List.of(3, 3, 3), List.of(a.calls.get(), b.calls.get(), c.calls.get()));
    }

    @Test
    void aBackendMoreThanOneAndAHalfTimesSlowerThanTheBestIsNeverCalledAgain() {
        FakeBackend fast = FakeBackend.clocked("fast", clock, 1, 10 * US);
        FakeBackend close = FakeBackend.clocked("close", clock, 2, 14 * US);
        FakeBackend slow = FakeBackend.clocked("slow", clock, 3, 16 * US);
        List<ConvBackend> backends = List.of(fast, close, slow);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        runForward(tuner, backends, s);
        assertEquals(2, slow.calls.get());
        for (int i = 0; i < 20; i++) {
            runForward(tuner, backends, s);
        }
        assertEquals(2, slow.calls.get(), "1.6x the best after its timed call: out for good");
        assertEquals(1 + Autotuner.SAMPLES, close.calls.get(), "1.4x: re-checked to its samples, then not again");
        ConvPlan plan = tuner.lookup(backends, s, ConvPass.FORWARD);
        assertTrue(plan.isSettled());
        assertEquals("fast", plan.backend().name());
        assertEquals(16 * US, plan.measuredNanos().get("slow"), plan.toString());
    }

    @Test
    void aReCheckBeyondTheRatioOfANewBestDropsTheBackendAtOnce() {
        FakeBackend a = FakeBackend.clocked("a", clock, 1, 1, 10 * US, 6 * US);
        FakeBackend b = FakeBackend.clocked("b", clock, 2, 1, 12 * US, 12 * US);
        List<ConvBackend> backends = List.of(a, b);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        assertEquals(1f, runForward(tuner, backends, s));
        assertEquals(1f, runForward(tuner, backends, s), "a's re-check (6 us) returns a's own result");
        ConvPlan plan = tuner.lookup(backends, s, ConvPass.FORWARD);
        assertTrue(plan.isSettled(), "b's 12 us is 2x the new best: out, a alone is left");
        assertEquals("a", plan.backend().name());
        for (int i = 0; i < 10; i++) {
            assertEquals(1f, runForward(tuner, backends, s));
        }
        assertEquals(2, b.calls.get());
    }

    @Test
    void backendsWithinTheNoiseAreReCheckedToTheirSamplesThenTheChoiceIsStable() {
        // untimed first call, then the timed calls: a 12, 9, 11 us; b 10, 10, 10 us
        FakeBackend a = FakeBackend.clocked("a", clock, 1, 500 * US, 12 * US, 9 * US, 11 * US);
        FakeBackend b = FakeBackend.clocked("b", clock, 2, 500 * US, 10 * US);
        List<ConvBackend> backends = List.of(a, b);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        List<Float> served = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            served.add(runForward(tuner, backends, s));
        }
        assertEquals(List.of(2f, 1f, 2f, 1f, 2f), served,
                "the first call returns b's result, each re-check the re-checked backend's own, fewest samples first");
        ConvPlan plan = tuner.lookup(backends, s, ConvPass.FORWARD);
        assertTrue(plan.isSettled(), plan.toString());
        assertEquals("a", plan.backend().name(), "a's fastest call (9 us) beats b's 10 us");
        assertEquals(1 + Autotuner.SAMPLES, a.calls.get());
        assertEquals(1 + Autotuner.SAMPLES, b.calls.get());

        for (int i = 0; i < 20; i++) {
            assertEquals(1f, runForward(tuner, backends, s));
            assertSame(a, tuner.decided(backends, s, ConvPass.FORWARD));
        }
        assertEquals(1 + Autotuner.SAMPLES, b.calls.get(), "b is not called once the key is settled");
    }

    @Test
    void aSettledKeyRunsTheDecidedBackendWithNoTimingAndNoMeasuring() {
        FakeBackend fast = FakeBackend.clocked("fast", clock, 1, 10 * US);
        FakeBackend slow = FakeBackend.clocked("slow", clock, 2, 40 * US);
        List<ConvBackend> backends = List.of(fast, slow);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        runForward(tuner, backends, s);
        assertSame(fast, tuner.decided(backends, s, ConvPass.FORWARD), "settled by the first call");
        int reads = clock.reads.get();
        AtomicInteger measured = new AtomicInteger();
        AtomicInteger called = new AtomicInteger();
        Tensor4D x = Tensor4D.zeros(1, 1, 4, 4);
        Tensor4D w = Tensor4D.zeros(1, 1, 1, 1);
        for (int i = 0; i < 10; i++) {
            tuner.call(backends, s, ConvPass.FORWARD, b -> {
                measured.incrementAndGet();
                return b.forward(x, w, null, ConvParams.DEFAULT);
            }, b -> {
                called.incrementAndGet();
                return b.forward(x, w, null, ConvParams.DEFAULT);
            });
        }
        assertEquals(0, measured.get());
        assertEquals(10, called.get());
        assertEquals(reads, clock.reads.get(), "a settled call reads no clock");
        assertEquals(2 + 10, fast.calls.get(), "its untimed and timed first calls, then the ten");
    }

    @Test
    void aBackendThatCannotRunTheShapeIsNeverChosen() {
        FakeBackend unsupported = new FakeBackend("a-unsupported", Double.NaN, false, false, 0, 9);
        FakeBackend declining = FakeBackend.declining("b-declining", clock);
        FakeBackend slow = FakeBackend.clocked("c-slow", clock, 3, 50 * US);
        List<ConvBackend> backends = List.of(unsupported, declining, slow);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        for (int i = 0; i < 5; i++) {
            assertEquals(3f, runForward(tuner, backends, s));
        }
        assertEquals("c-slow", tuner.lookup(backends, s, ConvPass.FORWARD).backend().name());
        assertEquals(0, unsupported.calls.get());
        assertEquals(1, declining.calls.get(), "declined its first call: out for the key");

        FakeBackend onlyDeclining = FakeBackend.declining("only", clock);
        assertThrows(UnsupportedOperationException.class,
                () -> runForward(tuner(), List.of(onlyDeclining, unsupported), s));
    }

    @Test
    void concurrentFirstCallsMeasureOnce() throws Exception {
        FakeBackend slow = FakeBackend.clocked("slow", clock, 1, 40 * US);
        FakeBackend fast = FakeBackend.clocked("fast", clock, 2, 5 * US);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner tuner = tuner();
        ConvShape s = shape(6);
        Tensor4D x = Tensor4D.zeros(1, 1, 6, 6);
        Tensor4D w = Tensor4D.zeros(1, 1, 1, 1);
        AtomicInteger measured = new AtomicInteger();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Float>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return tuner.call(backends, s, ConvPass.FORWARD, b -> {
                        measured.incrementAndGet();
                        return b.forward(x, w, null, ConvParams.DEFAULT);
                    }, b -> b.forward(x, w, null, ConvParams.DEFAULT)).data()[0];
                }));
            }
            start.countDown();
            for (Future<Float> f : results) {
                assertEquals(2f, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4, measured.get(), "one first call: each backend's untimed and timed call; the others wait");
        assertEquals(2, slow.calls.get(), "8x slower: never called after the first call");
        assertEquals(2 + threads - 1, fast.calls.get());
    }

    @Test
    void aFailedMeasurementIsForgottenAndTheNextCallMeasuresAgain() {
        FakeBackend fast = FakeBackend.clocked("fast", clock, 2, 1);
        List<ConvBackend> backends = List.of(fast);
        Autotuner tuner = tuner();
        ConvShape s = shape(4);
        assertThrows(IllegalStateException.class, () -> tuner.call(backends, s, ConvPass.FORWARD, b -> {
            throw new IllegalStateException("boom");
        }, b -> null));
        assertNull(tuner.lookup(backends, s, ConvPass.FORWARD));
        assertEquals(2f, runForward(tuner, backends, s));
        assertEquals("fast", tuner.lookup(backends, s, ConvPass.FORWARD).backend().name());
        assertTrue(tuner.lookup(backends, s, ConvPass.FORWARD).isSettled(), "a single candidate settles at once");
    }

    @Test
    void theCacheIsBounded() {
        FakeBackend only = FakeBackend.clocked("only", clock, 2, 1);
        List<ConvBackend> backends = List.of(only);
        Autotuner tuner = new Autotuner(3, clock);
        for (int size = 1; size <= 5; size++) {
            runForward(tuner, backends, shape(size));
        }
        assertNull(tuner.lookup(backends, shape(1), ConvPass.FORWARD), "the least recently used key is forgotten");
        assertNull(tuner.lookup(backends, shape(2), ConvPass.FORWARD));
        assertNull(tuner.decided(backends, shape(1), ConvPass.FORWARD), "forgotten by the lock-free path too");
        for (int size = 3; size <= 5; size++) {
            assertEquals("only", tuner.lookup(backends, shape(size), ConvPass.FORWARD).backend().name());
            assertSame(only, tuner.decided(backends, shape(size), ConvPass.FORWARD));
        }
    }

    @Test
    void theCacheFileRoundTripsEveryDecisionAndItsTimes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/autotune.txt");
        FakeBackend slow = FakeBackend.clocked("slow", clock, 1, 1, 12 * US);
        FakeBackend fast = FakeBackend.clocked("fast", clock, 2, 1, 10 * US);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner first = tuner();
        first.useFile(file, backends);
        runForward(first, backends, shape(4));
        assertFalse(Files.exists(file), "nothing is written while the key is re-checked");
        ConvPlan settled = settle(first, backends, shape(4));
        runForward(first, backends, shape(5));
        ConvPlan other = settle(first, backends, shape(5));
        int fastCalls = fast.calls.get();
        int slowCalls = slow.calls.get();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(AutotuneFile.MAGIC, lines.get(0));
        assertEquals("fingerprint " + AutotuneFile.fingerprint(backends), lines.get(1));
        assertEquals(Autotuner.key(shape(4), ConvPass.FORWARD) + "\tfast\tfast=10000,slow=12000", lines.get(2));
        assertEquals(4, lines.size());

        Autotuner restarted = tuner();
        restarted.useFile(file, backends);
        for (ConvPlan before : List.of(settled, other)) {
            ConvPlan after = restarted.lookup(backends, before.shape(), ConvPass.FORWARD);
            assertEquals(before.backend(), after.backend());
            assertEquals(before.measuredNanos(), after.measuredNanos());
            assertEquals(ConvPlan.Reason.AUTOTUNED, after.reason());
            assertTrue(after.isSettled());
        }
        int reads = clock.reads.get();
        assertEquals(2f, runForward(restarted, backends, shape(4)));
        assertEquals(fastCalls + 1, fast.calls.get(), "no new measurement after loading");
        assertEquals(slowCalls, slow.calls.get());
        assertEquals(reads, clock.reads.get());
        assertSame(fast, restarted.decided(backends, shape(5), ConvPass.FORWARD));
    }

    /**
     * Records what the "org.conv4j" logger publishes (System.Logger goes to java.util.logging by default); the field
     * keeps the logger, which java.util.logging holds only weakly, with its handler.
     */
    private final Logger julLogger = Logger.getLogger("org.conv4j");
    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        julLogger.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        julLogger.removeHandler(handler);
    }

    @Test
    void aCorruptOrForeignCacheFileFallsBackToTheDefaultsWithOneLoggedLineAndIsRewritten(@TempDir Path dir)
            throws Exception {
        FakeBackend fast = FakeBackend.clocked("fast", clock, 2, 1);
        List<ConvBackend> backends = List.of(fast);
        String entry = Autotuner.key(shape(4), ConvPass.FORWARD) + "\tfast\tfast=5";
        String fingerprint = "fingerprint " + AutotuneFile.fingerprint(backends);
        Path foreign = dir.resolve("foreign.txt");
        Files.write(foreign, List.of(AutotuneFile.MAGIC, "fingerprint conv4j=0.0.1 arch=sparc", entry));
        Path corrupt = dir.resolve("corrupt.txt");
        Files.write(corrupt, List.of(AutotuneFile.MAGIC, fingerprint, "no tabs here"));
        Path badNumber = dir.resolve("bad-number.txt");
        Files.write(badNumber, List.of(AutotuneFile.MAGIC, fingerprint, entry.replace("=5", "=five")));
        Path garbage = dir.resolve("garbage.txt");
        Files.write(garbage, new byte[] {(byte) 0xff, 0, 1, 2});
        for (Path p : List.of(foreign, corrupt, badNumber, garbage)) {
            logged.clear();
            Autotuner tuner = tuner();
            tuner.useFile(p, backends);
            assertEquals(1, logged.size(), p + ": " + logged.size() + " lines logged");
            assertTrue(logged.get(0).getMessage().contains(p.toString()), logged.get(0).getMessage());
            assertNull(tuner.lookup(backends, shape(4), ConvPass.FORWARD), p.toString());
            assertNull(tuner.decided(backends, shape(4), ConvPass.FORWARD), p.toString());
            assertEquals(2f, runForward(tuner, backends, shape(4)));
            assertEquals(fingerprint, Files.readAllLines(p, StandardCharsets.UTF_8).get(1), "rewritten: " + p);
        }
        Path good = dir.resolve("good.txt");
        Files.write(good, List.of(AutotuneFile.MAGIC, fingerprint, entry));
        logged.clear();
        Autotuner tuner = tuner();
        tuner.useFile(good, backends);
        assertEquals(0, logged.size());
        assertEquals(5L, tuner.lookup(backends, shape(4), ConvPass.FORWARD).measuredNanos().get("fast"));
    }

    @Test
    void anUnwritableCacheFileNeverBreaksAConvolution(@TempDir Path dir) throws Exception {
        Path notADirectory = dir.resolve("file");
        Files.write(notADirectory, List.of("x"));
        FakeBackend fast = FakeBackend.clocked("fast", clock, 2, 1);
        List<ConvBackend> backends = List.of(fast);
        Autotuner tuner = tuner();
        tuner.useFile(notADirectory.resolve("cache.txt"), backends);
        assertEquals(2f, runForward(tuner, backends, shape(4)));
        assertEquals("fast", tuner.lookup(backends, shape(4), ConvPass.FORWARD).backend().name());
    }
}
