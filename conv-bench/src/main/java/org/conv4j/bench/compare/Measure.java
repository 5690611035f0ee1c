package org.conv4j.bench.compare;

import java.util.Arrays;

/** Pure arithmetic of the comparison: medians, GFLOP/s, ratios. */
public final class Measure {

    private Measure() {
    }

    /**
     * The median of {@code values} (the mean of the two middle ones for an even count).
     *
     * @throws IllegalArgumentException if there are none
     */
    public static double median(long[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("values: expected at least one, got none");
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + (double) sorted[mid]) / 2.0;
    }

    /**
     * GFLOP/s of {@code flops} done in {@code nanos} nanoseconds: {@code flops / nanos} (FLOP per ns is
     * exactly GFLOP per s).
     *
     * @throws IllegalArgumentException if {@code nanos <= 0} or {@code flops < 0}
     */
    public static double gflops(long flops, double nanos) {
        if (!(nanos > 0) || flops < 0) {
            throw new IllegalArgumentException("gflops: expected flops >= 0 and nanos > 0, got flops " + flops
                    + ", nanos " + nanos);
        }
        return flops / nanos;
    }

    /** How many times faster {@code nanos} is than {@code baselineNanos}: {@code baseline / nanos}. */
    public static double speedUp(double baselineNanos, double nanos) {
        if (!(nanos > 0) || !(baselineNanos > 0)) {
            throw new IllegalArgumentException("speedUp: expected positive times, got baseline " + baselineNanos
                    + ", nanos " + nanos);
        }
        return baselineNanos / nanos;
    }
}
