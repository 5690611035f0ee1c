package org.conv4j.spi;

import org.conv4j.internal.HeapCheck;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkspaceBudgetTest {

    /** A pool holding {@code bytes} idle, counted against {@code budget}, which frees them when asked. */
    private static final class FakePool implements WorkspaceBudget.IdlePool {
        private final WorkspaceBudget budget;
        private long held;
        final AtomicInteger releases = new AtomicInteger();

        FakePool(WorkspaceBudget budget, long bytes) {
            this.budget = budget;
            this.held = bytes;
            budget.register(this);
            budget.addIdle(bytes);
        }

        @Override
        public synchronized long releaseIdle() {
            releases.incrementAndGet();
            long freed = held;
            held = 0;
            budget.removeIdle(freed);
            return freed;
        }
    }

    @Test
    void acquireGrantsWhatIsWantedAndCloseReturnsIt() {
        WorkspaceBudget b = new WorkspaceBudget(100);
        WorkspaceBudget.Grant g = b.acquire(10, 60);
        assertEquals(60, g.bytes());
        assertEquals(60, b.grantedBytes());
        g.close();
        g.close(); // twice: no further effect
        assertEquals(0, b.grantedBytes());
        assertEquals(60, b.peakBytes());
    }

    @Test
    void aTightBudgetSplitsTheGrantBetweenMinimumAndWanted() {
        WorkspaceBudget b = new WorkspaceBudget(100);
        try (WorkspaceBudget.Grant first = b.acquire(10, 70);
             WorkspaceBudget.Grant second = b.acquire(10, 50)) {
            assertEquals(70, first.bytes());
            assertEquals(30, second.bytes(), "what is left, above the minimum");
            assertEquals(100, b.grantedBytes());
        }
        assertEquals(0, b.grantedBytes());
        assertEquals(100, b.peakBytes());
    }

    @Test
    void acquirePlanReplansForTheGrantedBytes() {
        WorkspaceBudget b = new WorkspaceBudget(1000);
        try (WorkspaceBudget.Grant other = b.acquire(700, 700);
             WorkspaceBudget.Planned<Long> p = b.acquirePlan(bytes -> Math.max(100, bytes / 100 * 100), x -> x, 800)) {
            assertEquals(300, p.grant().bytes());
            assertEquals(300L, p.plan(), "planned for the 300 bytes granted, not the 800 wanted");
        }
        try (WorkspaceBudget.Planned<Long> p = b.acquirePlan(bytes -> Math.max(100, bytes / 100 * 100), x -> x, 800)) {
            assertEquals(800L, p.plan());
        }
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new WorkspaceBudget(0));
        WorkspaceBudget b = new WorkspaceBudget(100);
        assertThrows(IllegalArgumentException.class, () -> b.acquire(-1, 5));
        assertThrows(IllegalArgumentException.class, () -> b.acquire(6, 5));
        WorkspaceBudget.Grant g = b.acquire(5, 5);
        assertThrows(IllegalArgumentException.class, () -> g.closeKeepingIdle(6));
    }

    @Test
    void idleBuffersCountAndAreReleasedUnderPressure() {
        WorkspaceBudget b = new WorkspaceBudget(100);
        FakePool pool = new FakePool(b, 60);
        assertEquals(60, b.idleBytes());
        try (WorkspaceBudget.Grant small = b.acquire(10, 40)) {
            assertEquals(40, small.bytes());
            assertEquals(0, pool.releases.get(), "40 fit beside the idle 60: nothing released");
        }
        try (WorkspaceBudget.Grant big = b.acquire(10, 80)) {
            assertEquals(1, pool.releases.get(), "80 wanted, 40 free: the idle buffers are released");
            assertEquals(80, big.bytes());
            assertEquals(0, b.idleBytes());
        }
        assertEquals(100, b.peakBytes());
    }

    @Test
    void closeKeepingIdleMovesBytesFromGrantedToIdleAndTryTakeIdleBack() {
        WorkspaceBudget b = new WorkspaceBudget(100);
        WorkspaceBudget.Grant g = b.acquire(50, 50);
        g.closeKeepingIdle(40);
        assertEquals(0, b.grantedBytes());
        assertEquals(40, b.idleBytes());
        WorkspaceBudget.Grant taken = b.tryTakeIdle(40);
        assertNotNull(taken);
        assertEquals(40, b.grantedBytes());
        assertEquals(0, b.idleBytes());
        assertNull(b.tryTakeIdle(1), "no idle memory left to take");
        taken.close();
        assertEquals(50, b.peakBytes());
    }

    @Test
    void releaseIdleFreesEveryRegisteredPool() {
        WorkspaceBudget b = new WorkspaceBudget(100);
        FakePool one = new FakePool(b, 30);
        FakePool two = new FakePool(b, 20);
        assertEquals(50, b.releaseIdle());
        assertEquals(0, b.idleBytes());
        assertEquals(1, one.releases.get());
        assertEquals(1, two.releases.get());
        b.unregister(one);
        b.releaseIdle();
        assertEquals(1, one.releases.get());
    }

    /** A call's second grant, on the thread that holds its first, never waits: waiting there could deadlock. */
    @Test
    void aHoldersFurtherGrantIsServedAtOnceEvenPastTheTotal() throws Exception {
        WorkspaceBudget b = new WorkspaceBudget(100);
        WorkspaceBudget.Grant first = b.acquire(80, 80);
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<WorkspaceBudget.Grant> queued = other.submit(() -> b.acquire(50, 50));
            while (b.waiting() == 0) {
                Thread.onSpinWait();
            }
            WorkspaceBudget.Grant nested = b.acquire(10, 30); // 20 free: min(wanted, free)
            assertEquals(20, nested.bytes());
            WorkspaceBudget.Grant beyond = b.acquire(15, 15); // none free: the minimum past the total
            assertEquals(15, beyond.bytes());
            assertEquals(115, b.grantedBytes());
            assertEquals(1, b.waiting());
            beyond.close();
            nested.close();
            first.close();
            WorkspaceBudget.Grant later = queued.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(50, later.bytes());
            later.close();
            // with nothing held any more, this thread queues like any other
            assertEquals(0, b.grantedBytes());
            assertEquals(100, b.acquire(1, 100).bytes());
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void waitersAreServedInArrivalOrder() throws Exception {
        WorkspaceBudget b = new WorkspaceBudget(100);
        WorkspaceBudget.Grant holder = b.acquire(100, 100);
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try (WorkspaceBudget.Grant g = b.acquire(60, 60)) { // two never fit at once
                    order.add(id);
                }
            });
            t.start();
            threads.add(t);
            awaitWaiting(b, i + 1);
        }
        holder.close();
        for (Thread t : threads) {
            t.join(10_000);
            assertFalse(t.isAlive());
        }
        assertEquals(List.of(0, 1, 2, 3, 4), order);
        assertEquals(100, b.peakBytes());
    }

    @Test
    void aSmallRequestDoesNotOvertakeALargerOneAhead() throws Exception {
        WorkspaceBudget b = new WorkspaceBudget(100);
        WorkspaceBudget.Grant holder = b.acquire(50, 50);
        AtomicLong bigGot = new AtomicLong(-1);
        CountDownLatch release = new CountDownLatch(1);
        Thread big = new Thread(() -> {
            try (WorkspaceBudget.Grant g = b.acquire(80, 80)) {
                bigGot.set(g.bytes());
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        big.start();
        awaitWaiting(b, 1);
        AtomicLong smallGot = new AtomicLong(-1);
        Thread small = new Thread(() -> {
            try (WorkspaceBudget.Grant g = b.acquire(10, 10)) {
                smallGot.set(g.bytes());
            }
        });
        small.start();
        awaitWaiting(b, 2);
        Thread.sleep(100);
        assertEquals(-1, smallGot.get(), "10 bytes are free, but the 80-byte request came first");
        holder.close();
        small.join(10_000);
        // the big request was granted first, but its thread may record it after the small one has finished
        for (long end = System.nanoTime() + 10_000_000_000L; bigGot.get() == -1 && System.nanoTime() < end; ) {
            Thread.sleep(1);
        }
        assertEquals(80, bigGot.get());
        assertEquals(10, smallGot.get());
        release.countDown();
        big.join(10_000);
        assertEquals(0, b.grantedBytes());
    }

    @Test
    void aMinimumAboveTheTotalRunsAloneAndNothingDeadlocks() throws Exception {
        WorkspaceBudget b = new WorkspaceBudget(100);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                long min = i % 2 == 0 ? 150 : 30; // half need more than the whole budget
                calls.add(pool.submit(() -> {
                    try (WorkspaceBudget.Grant g = b.acquire(min, 200)) {
                        assertTrue(g.bytes() >= min);
                        int now = inside.incrementAndGet();
                        most.accumulateAndGet(now, Math::max);
                        if (g.bytes() > 100) {
                            assertEquals(1, now, "an oversized grant runs alone");
                        }
                        Thread.sleep(2);
                        inside.decrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : calls) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, b.grantedBytes());
        assertEquals(0, b.waiting());
        assertTrue(b.peakBytes() <= 150, "peak " + b.peakBytes());
    }

    @Test
    void concurrentCallsNeverHoldMoreThanTheTotal() throws Exception {
        WorkspaceBudget b = new WorkspaceBudget(1000);
        FakePool idle = new FakePool(b, 300);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long wanted = 50 + (i * 37) % 400;
                calls.add(pool.submit(() -> {
                    try (WorkspaceBudget.Grant g = b.acquire(wanted / 4, wanted)) {
                        assertTrue(b.grantedBytes() + b.idleBytes() <= 1000);
                        Thread.sleep(1);
                    }
                    return null;
                }));
            }
            for (Future<?> f : calls) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(b.peakBytes() <= 1000, "peak " + b.peakBytes());
        assertEquals(0, b.grantedBytes());
        assertTrue(idle.releases.get() >= 1);
    }

    @Test
    void defaultTotalIsThePropertyOrAQuarterOfTheSmallerOfHeapAndJavacppCap() {
        String oldTotal = System.getProperty(WorkspaceBudget.TOTAL_PROPERTY);
        String oldCap = System.getProperty(WorkspaceBudget.JAVACPP_MAX_BYTES_PROPERTY);
        try {
            long heap = Runtime.getRuntime().maxMemory();
            System.clearProperty(WorkspaceBudget.TOTAL_PROPERTY);
            System.clearProperty(WorkspaceBudget.JAVACPP_MAX_BYTES_PROPERTY);
            assertEquals(heap / 4, WorkspaceBudget.defaultTotalBytes());
            System.setProperty(WorkspaceBudget.JAVACPP_MAX_BYTES_PROPERTY, "64m");
            assertEquals(Math.min(heap, 64L << 20) / 4, WorkspaceBudget.defaultTotalBytes());
            System.setProperty(WorkspaceBudget.JAVACPP_MAX_BYTES_PROPERTY, "0"); // JavaCPP: no cap
            assertEquals(heap / 4, WorkspaceBudget.defaultTotalBytes());
            System.setProperty(WorkspaceBudget.TOTAL_PROPERTY, "300m");
            assertEquals(300L << 20, WorkspaceBudget.defaultTotalBytes());
            System.setProperty(WorkspaceBudget.TOTAL_PROPERTY, "lots");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    WorkspaceBudget::defaultTotalBytes);
            assertTrue(e.getMessage().startsWith(WorkspaceBudget.TOTAL_PROPERTY), e.getMessage());
        } finally {
            restore(WorkspaceBudget.TOTAL_PROPERTY, oldTotal);
            restore(WorkspaceBudget.JAVACPP_MAX_BYTES_PROPERTY, oldCap);
        }
    }

    @Test
    void anOutputLargerThanTheHeapFailsBeforeAnyWork() {
        long max = Runtime.getRuntime().maxMemory();
        int side = (int) Math.min(46_000, Math.sqrt(max / 4.0) + 2); // side*side floats > max heap
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                () -> HeapCheck.ensureFits("output", 1, 1, side, side));
        assertTrue(e.getMessage().contains("output") && e.getMessage().contains("-Xmx"), e.getMessage());
        HeapCheck.ensureFits("output", 1, 1, 10, 10);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static void awaitWaiting(WorkspaceBudget b, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.waiting() < count) {
            assertTrue(System.nanoTime() < deadline, "expected " + count + " waiting, got " + b.waiting());
            Thread.sleep(1);
        }
    }
}
