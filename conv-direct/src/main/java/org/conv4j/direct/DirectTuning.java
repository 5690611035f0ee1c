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
}
