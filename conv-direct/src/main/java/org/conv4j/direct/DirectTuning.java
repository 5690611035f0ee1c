package org.conv4j.direct;

/** Every tuning threshold of the direct backend, with the measurement behind it (docs/direct.md). */
final class DirectTuning {

    private DirectTuning() {
    }

    /**
     * Below this many multiply-adds per pass the calling thread does all the work: forking onto the common
     * pool costs tens of microseconds, more than such a pass takes (docs/direct.md#threading).
     */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Tasks per pool thread when a pass is split, so that uneven tasks still balance. */
    static final int TASKS_PER_THREAD = 4;

    /**
     * Elements per vectorised run (accumulator and three tap buffers of this many floats: 32 KiB, inside a
     * 48 KiB L1 data cache) (docs/direct.md#run-length).
     */
    static final int RUN_ELEMENTS = 1024;

    /**
     * Outputs narrower than this go through the scalar patch path: a vectorised run needs at least one full
     * AVX-512 vector (16 floats) per row to beat it (docs/direct.md#narrow-outputs).
     */
    static final int NARROW_OUTPUT_WIDTH = 16;
}
