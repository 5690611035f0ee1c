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

    // ---------------------------------------------------------------- the backend's estimate of its own time
    // Fitted to the comparison command's times on the catalogue, AVX-512 host (docs/benchmarks.md, "Choosing a
    // backend"); the rates are forward multiply-adds per ns of the pass.

    /** The fixed cost of a call (validation, the output tensor, the geometry tables, thread hand-off). */
    static final double ESTIMATE_FIXED_NS = 7_600;

    /** The vectorised runs, forward: about 7 GFLOP/s. */
    static final double FORWARD_MACS_PER_NS = 3.65;

    /** The vectorised runs, backward (dL/dx and dL/dw, twice the work). */
    static final double BACKWARD_MACS_PER_NS = 1.43;

    /** The narrow (patch) path, forward and backward. */
    static final double NARROW_FORWARD_MACS_PER_NS = 2.26;
    static final double NARROW_BACKWARD_MACS_PER_NS = 0.41;

    /**
     * Strides above 1 gather taps and scatter dL/dx with scalar code: assumed half the rate (no stride-2
     * layer of the catalogue is within reach of the other backends, so this only has to rank them last).
     */
    static final double STRIDED_SLOWDOWN = 2;
}
