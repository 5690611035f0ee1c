package org.conv4j.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs the same work on several threads released together, for checks that concurrent calls give what serial ones
 * do: the threads wait on one latch so that their calls overlap rather than run one after another as the pool
 * starts them.
 */
public final class Concurrently {

    /** One thread's work; {@code thread} counts from 0, so threads can take different orders of the same cases. */
    @FunctionalInterface
    public interface Work {
        /**
         * One thread's share.
         *
         * @param thread the thread's number, from 0
         * @throws Exception any failure, which fails the run
         */
        void run(int thread) throws Exception;
    }

    private Concurrently() {
    }

    /**
     * Runs {@code work} on {@code threads} threads started together and waits for all of them.
     *
     * @param threads how many threads
     * @param timeoutMinutes how long to wait for each thread
     * @param work what each thread does
     * @throws java.util.concurrent.ExecutionException wrapping the first failure (an assertion error included)
     * @throws java.util.concurrent.TimeoutException if a thread does not finish in time
     * @throws InterruptedException if interrupted while waiting
     */
    public static void run(int threads, long timeoutMinutes, Work work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    work.run(thread);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(timeoutMinutes, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
