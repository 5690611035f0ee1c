package org.conv4j.strided;

/**
 * The strided backend's own switch points, each with one line of why; the measurements are in docs/strided.md,
 * "Choosing the path". The thresholds it shares with the im2col backend are in
 * {@link org.conv4j.openblas.GemmTuning}.
 */
final class StridedTuning {

    private StridedTuning() {
    }

    /**
     * Fewest input channels per group from which the forward pass takes the zero-copy path for any filter count
     * (below it only when {@code Kg <= Cg} or the kernel is 1x1): zero-copy re-reads the output once per tap with
     * an inner dimension of only {@code Cg}, which BLAS runs near speed from about 16 channels (a direction from
     * probes, not a measured optimum).
     */
    static final int ZERO_COPY_MIN_CHANNELS = 16;

    /**
     * Smallest {@code Kg*Cg} for which the backward pass takes the zero-copy path (when the forward would): below
     * it the weight gradient's products are 1x1-like results summed over hundreds of thousands of columns, a
     * shape BLAS runs poorly, while the gathered path sums a {@code (Kg, Cg*kH*kW)} result.
     */
    static final int ZERO_COPY_MIN_BACKWARD_FILTERS_TIMES_CHANNELS = 4;
}
