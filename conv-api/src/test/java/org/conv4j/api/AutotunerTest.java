package org.conv4j.api;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Autotune mode: measure once per key, keep the fastest, share the decision, persist it safely. */
class AutotunerTest {

    private static ConvShape shape(int size) {
        return ConvShape.forward(Tensor4D.zeros(1, 1, size, size), Tensor4D.zeros(1, 1, 1, 1), null, ConvParams.DEFAULT);
    }

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
    void firstCallTimesEachBackendOnceAndReturnsTheFastestOnesResult() {
        FakeBackend slow = FakeBackend.timed("slow", 60, 1);
        FakeBackend fast = FakeBackend.timed("fast", 1, 2);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner tuner = new Autotuner();
        ConvShape s = shape(4);
        assertNull(tuner.lookup(backends, s, ConvPass.FORWARD));

        assertEquals(2f, runForward(tuner, backends, s));
        assertEquals(1, slow.calls.get());
        assertEquals(1, fast.calls.get());
        ConvPlan first = tuner.lookup(backends, s, ConvPass.FORWARD);
        assertEquals(ConvPlan.Reason.AUTOTUNED, first.reason());
        assertFalse(first.isSettled(), "both first calls were cold: both are sampled again");
        assertTrue(first.toString().contains("autotuning, still sampling"), first.toString());
    }

    @Test
    void closeContendersAreSampledThenTheFastestServesTheKey() {
        FakeBackend slow = FakeBackend.timed("slow", 60, 1);
        FakeBackend fast = FakeBackend.timed("fast", 1, 2);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner tuner = new Autotuner();
        ConvPlan plan = settle(tuner, backends, shape(4));
        assertEquals("fast", plan.backend().name());
        assertEquals(List.of("fast", "slow"), List.copyOf(plan.measuredNanos().keySet()));
        assertTrue(plan.measuredNanos().get("slow") >= 60_000_000L, plan.toString());
        assertTrue(plan.toString().contains("fast (autotuned; measured fast "), plan.toString());
        assertEquals(1 + Autotuner.SAMPLES, slow.calls.get(), "cold first call, then its samples");
        for (int i = 0; i < 3; i++) {
            assertEquals(2f, runForward(tuner, backends, shape(4)));
        }
        assertEquals(1 + Autotuner.SAMPLES, slow.calls.get(), "the slow backend is not called again");

        // Both are warm now: on a new key, the slow one (60x the fastest) is timed once and not sampled again.
        ConvShape other = shape(5);
        assertNull(tuner.lookup(backends, other, ConvPass.BACKWARD), "the pass is part of the key");
        assertNull(tuner.lookup(backends, other, ConvPass.FORWARD), "the shape is part of the key");
        int slowBefore = slow.calls.get();
        assertEquals("fast", settle(tuner, backends, other).backend().name());
        assertEquals(slowBefore + 1, slow.calls.get());
    }

    @Test
    void concurrentFirstCallsMeasureOnce() throws Exception {
        FakeBackend slow = FakeBackend.timed("slow", 40, 1);
        FakeBackend fast = FakeBackend.timed("fast", 5, 2);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner tuner = new Autotuner();
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
                float id = f.get();
                assertTrue(id == 1f || id == 2f);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2, measured.get(), "one first call times each backend once; the others wait for it");
        assertEquals(threads + 1, slow.calls.get() + fast.calls.get());
        assertTrue(slow.calls.get() <= 1 + Autotuner.SAMPLES, "at most one sample at a time: " + slow.calls.get());
    }

    @Test
    void aFailedMeasurementIsForgottenAndTheNextCallMeasuresAgain() {
        FakeBackend fast = FakeBackend.timed("fast", 0, 2);
        List<ConvBackend> backends = List.of(fast);
        Autotuner tuner = new Autotuner();
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
        FakeBackend only = FakeBackend.timed("only", 0, 2);
        List<ConvBackend> backends = List.of(only);
        Autotuner tuner = new Autotuner(3);
        for (int size = 1; size <= 5; size++) {
            runForward(tuner, backends, shape(size));
        }
        assertNull(tuner.lookup(backends, shape(1), ConvPass.FORWARD), "the least recently used key is forgotten");
        assertNull(tuner.lookup(backends, shape(2), ConvPass.FORWARD));
        for (int size = 3; size <= 5; size++) {
            assertEquals("only", tuner.lookup(backends, shape(size), ConvPass.FORWARD).backend().name());
        }
    }

    @Test
    void decisionsSurviveARestartThroughTheCacheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/autotune.txt");
        FakeBackend slow = FakeBackend.timed("slow", 20, 1);
        FakeBackend fast = FakeBackend.timed("fast", 1, 2);
        List<ConvBackend> backends = List.of(slow, fast);
        Autotuner first = new Autotuner();
        first.useFile(file, backends);
        runForward(first, backends, shape(4));
        assertTrue(!Files.exists(file), "nothing is written while the key is still sampling");
        settle(first, backends, shape(4));
        int fastCalls = fast.calls.get();
        int slowCalls = slow.calls.get();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(AutotuneFile.MAGIC, lines.get(0));
        assertEquals("fingerprint " + AutotuneFile.fingerprint(backends), lines.get(1));
        assertTrue(lines.get(2).startsWith(Autotuner.key(shape(4), ConvPass.FORWARD) + "\tfast\tfast="), lines.get(2));

        Autotuner restarted = new Autotuner();
        restarted.useFile(file, backends);
        ConvPlan plan = restarted.lookup(backends, shape(4), ConvPass.FORWARD);
        assertEquals("fast", plan.backend().name());
        assertEquals(ConvPlan.Reason.AUTOTUNED, plan.reason());
        assertTrue(plan.isSettled());
        assertEquals(2f, runForward(restarted, backends, shape(4)));
        assertEquals(fastCalls + 1, fast.calls.get(), "no new measurement after loading");
        assertEquals(slowCalls, slow.calls.get());
    }

    @Test
    void aCacheFromAnotherSetupOrACorruptOneIsIgnoredAndRewritten(@TempDir Path dir) throws Exception {
        FakeBackend fast = FakeBackend.timed("fast", 0, 2);
        List<ConvBackend> backends = List.of(fast);
        String entry = Autotuner.key(shape(4), ConvPass.FORWARD) + "\tfast\tfast=5";
        Path foreign = dir.resolve("foreign.txt");
        Files.write(foreign, List.of(AutotuneFile.MAGIC, "fingerprint conv4j=0.0.1 arch=sparc", entry));
        Path corrupt = dir.resolve("corrupt.txt");
        Files.write(corrupt, List.of(AutotuneFile.MAGIC, "fingerprint " + AutotuneFile.fingerprint(backends),
                "no tabs here"));
        Path garbage = dir.resolve("garbage.txt");
        Files.write(garbage, new byte[] {(byte) 0xff, 0, 1, 2});
        for (Path p : List.of(foreign, corrupt, garbage)) {
            Autotuner tuner = new Autotuner();
            tuner.useFile(p, backends);
            assertNull(tuner.lookup(backends, shape(4), ConvPass.FORWARD), p.toString());
            assertEquals(2f, runForward(tuner, backends, shape(4)));
            assertEquals("fingerprint " + AutotuneFile.fingerprint(backends),
                    Files.readAllLines(p, StandardCharsets.UTF_8).get(1), "rewritten: " + p);
        }
        Path good = dir.resolve("good.txt");
        Files.write(good, List.of(AutotuneFile.MAGIC, "fingerprint " + AutotuneFile.fingerprint(backends), entry));
        Autotuner tuner = new Autotuner();
        tuner.useFile(good, backends);
        assertEquals(5L, tuner.lookup(backends, shape(4), ConvPass.FORWARD).measuredNanos().get("fast"));
    }

    @Test
    void anUnwritableCacheFileNeverBreaksAConvolution(@TempDir Path dir) throws Exception {
        Path notADirectory = dir.resolve("file");
        Files.write(notADirectory, List.of("x"));
        FakeBackend fast = FakeBackend.timed("fast", 0, 2);
        List<ConvBackend> backends = List.of(fast);
        Autotuner tuner = new Autotuner();
        tuner.useFile(notADirectory.resolve("cache.txt"), backends);
        assertEquals(2f, runForward(tuner, backends, shape(4)));
        assertEquals("fast", tuner.lookup(backends, shape(4), ConvPass.FORWARD).backend().name());
    }
}
