package org.conv4j.bench.compare;

import org.conv4j.bench.Contender;

/**
 * Times one case with the command's repetition policy: untimed warm-up calls until {@code warmupMs} have
 * passed (at least one), then timed calls until {@code reps} were made or the timed calls used
 * {@code budgetMs} (at least one); the median is reported. A first call that alone takes {@code budgetMs}
 * or more is the only measurement (JIT warm-up included, a small share of a call that long). Simple wall-clock timing with
 * {@link System#nanoTime()}: good for a quick comparison in one process, not a substitute for JMH.
 */
final class Runner {

    private final int reps;
    private final long warmupNs;
    private final long budgetNs;

    Runner(int reps, int warmupMs, int budgetMs) {
        this.reps = reps;
        this.warmupNs = warmupMs * 1_000_000L;
        this.budgetNs = budgetMs * 1_000_000L;
    }

    /** The outcome of a timed case: timings and the last call's result. */
    record Timed(long[] nanos, Contender.Run run) {
    }

    Timed time(Contender.Run run) {
        long warmStart = System.nanoTime();
        run.run();
        long first = System.nanoTime() - warmStart;
        if (first >= budgetNs) {
            // One call already exceeds the whole timing budget (multi-second calls: naive-sized work, or a
            // backend far from its sweet spot). Repeating it would multiply the run time for a ranking that
            // is already clear, so this first call is the single measurement.
            return new Timed(new long[] {first}, run);
        }
        while (System.nanoTime() - warmStart < warmupNs) {
            run.run();
        }
        long[] nanos = new long[reps];
        long spent = 0;
        int n = 0;
        while (n < reps && (n == 0 || spent < budgetNs)) {
            long t0 = System.nanoTime();
            run.run();
            long dt = System.nanoTime() - t0;
            nanos[n++] = dt;
            spent += dt;
        }
        return new Timed(java.util.Arrays.copyOf(nanos, n), run);
    }
}
