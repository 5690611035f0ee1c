package org.conv4j.bench.compare;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Pass;
import org.conv4j.bench.Problem;

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

    /** A result to compare with: the naive forward output or backward gradients. */
    record Reference(Tensor4D output, ConvGradients gradients) {
    }

    /** Runs {@code run} once, untimed, and keeps its result as the reference. */
    static Reference reference(Contender.Run run, Pass pass) {
        run.run();
        return keep(run, pass);
    }

    static Reference keep(Contender.Run run, Pass pass) {
        return pass == Pass.FORWARD ? new Reference(run.output().copy(), null) : new Reference(null, run.gradients());
    }

    /** {maxAbsDiff, relative diff} of the run's last result against the reference; NaNs if there is none. */
    static double[] diff(Contender.Run run, Pass pass, Reference ref) {
        if (ref == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        if (pass == Pass.FORWARD) {
            Tensor4D out = run.output();
            double d = out.maxAbsDiff(ref.output());
            return new double[] {d, d / Math.max(ref.output().maxAbs(), Float.MIN_NORMAL)};
        }
        ConvGradients g = run.gradients();
        ConvGradients r = ref.gradients();
        double abs = 0;
        double rel = 0;
        Tensor4D[][] pairs = {{g.input(), r.input()}, {g.weight(), r.weight()}, {g.biasTensor(), r.biasTensor()}};
        for (Tensor4D[] p : pairs) {
            double d = p[0].maxAbsDiff(p[1]);
            abs = Math.max(abs, d);
            rel = Math.max(rel, d / Math.max(p[1].maxAbs(), Float.MIN_NORMAL));
        }
        return new double[] {abs, rel};
    }

    /** Data for a case. */
    static Problem problem(org.conv4j.bench.BenchShape s, Pass pass, long seed) {
        return Problem.of(s, pass, seed);
    }
}
