package org.conv4j.bench;

import org.conv4j.api.ConvPass;

/**
 * The documented rule for leaving a combination out instead of failing or waiting minutes: the naive
 * reference is timed only on passes of at most {@link #NAIVE_MAX_FLOPS}, and used as the correctness
 * reference (one untimed call) only up to {@link #NAIVE_REFERENCE_MAX_FLOPS}. Every other backend runs
 * every shape; the ND4J peer skips what ND4J cannot express ({@link Nd4jConv#unsupportedReason}).
 */
public final class SkipRule {

    /**
     * Largest pass (forward or backward FLOPs) the naive backend is timed on: 1 GFLOP. The naive loops run
     * at about 0.5-0.65 GFLOP/s on the project's 2-core machine (docs/benchmarks.md), so this caps one call
     * near two seconds and a timed case (warm-up plus repetitions) near six. ResNet-50 layers at batch 1 (0.1-0.24
     * GFLOP forward) are in; batch-8 layers and the large-kernel layers are out.
     */
    public static final long NAIVE_MAX_FLOPS = 1_000_000_000L;

    /**
     * Largest pass the naive backend is still run on once, untimed, to give the "difference from naive"
     * column: 4 GFLOP, a few seconds.
     */
    public static final long NAIVE_REFERENCE_MAX_FLOPS = 4_000_000_000L;

    private SkipRule() {
    }

    /** Why {@code backend} is not timed on this pass, or null if it is. */
    public static String skipReason(String backend, BenchShape shape, ConvPass pass) {
        long flops = shape.flops(pass);
        if ("naive".equals(backend) && flops > NAIVE_MAX_FLOPS) {
            return String.format(java.util.Locale.ROOT,
                    "naive is timed only up to %.1f GFLOP per pass; this %s pass is %.1f GFLOP (SkipRule)",
                    NAIVE_MAX_FLOPS / 1e9, pass.label(), flops / 1e9);
        }
        return null;
    }

    /** True if the naive reference result should be computed (untimed) for this pass. */
    public static boolean naiveReferenceAffordable(BenchShape shape, ConvPass pass) {
        return shape.flops(pass) <= NAIVE_REFERENCE_MAX_FLOPS;
    }
}
