package org.conv4j.direct;

/** Every tuning threshold of the direct backend, with the measurement behind it (docs/direct.md). */
final class DirectTuning {

    private DirectTuning() {
    }

    /**
     * Below this many multiply-adds per pass the calling thread does all the work: a parallel stream on the
     * common pool costs tens of microseconds, about what such a pass takes; an estimate, not tuned
     * (docs/direct.md#threading).
     */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Tasks per pool thread when a pass is split, so that uneven tasks still balance (docs/direct.md#threading). */
    static final int TASKS_PER_THREAD = 4;

    /**
     * Floats per vectorised run: the accumulator and three tap buffers (16 KiB) stay in the 48 KiB L1 data
     * cache (docs/direct.md#what-c2-vectorises).
     */
    static final int RUN_ELEMENTS = 1024;

    /**
     * Outputs narrower than this go through the scalar patch path: a vectorised run needs at least one full
     * AVX-512 vector (16 floats) per row to beat it (docs/direct.md#narrow-outputs).
     */
    static final int NARROW_OUTPUT_WIDTH = 16;

    /**
     * ... and only windows of at least this many taps ({@code C/groups * kH * kW}): with fewer, the patch
     * path's work per output position outweighs its products, and the runs win (the single-channel case
     * at n = 10, 4 taps: runs 2.5x faster; the 6x6x10 shape, 90 taps: patches 2.5x faster;
     * docs/direct.md#narrow-outputs). 16 lies between the two measured points; it is not tuned finer.
     */
    static final int NARROW_MIN_TAPS = 16;
}
