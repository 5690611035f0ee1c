package org.conv4j.openblas;

/**
 * The switch points the GEMM backends ({@code im2col}, {@code strided}) share, in one place. Each has one
 * line of why; the measurements behind them are in docs/im2col.md, "Tuning constants". The backends' own
 * thresholds are in {@code Im2colTuning} and {@code StridedTuning}.
 */
public final class GemmTuning {

    private GemmTuning() {
    }

    /**
     * A copy (im2col, col2im, gather, scatter, result copy) of fewer floats than this runs on the calling thread:
     * writing 32 K floats takes tens of microseconds, about what handing tasks to the fork-join pool costs.
     *
     * <p>Not the same rule as {@link org.conv4j.spi.ParallelChunks#MIN_FLOATS} (2^18 floats per chunk), which
     * splits plain bulk copies and scans into equal chunks: these phases compute a source or target index per
     * float (padding, stride, dilation) and run as the work's own tasks (one per image and channel, or per tap
     * row), so this is a threshold on their total, below which they all run in order.
     */
    public static final long PARALLEL_MIN_FLOATS = 1 << 15;

    /**
     * Convolutions with fewer multiply-adds than this per output position ({@code K/groups * C/groups * kH * kW})
     * run their products in Java ({@link Gemm#thinSgemmNT}, {@link Gemm#thinSgemmTN}): OpenBLAS has nothing to
     * block in a product with one or two rows, and threads it badly when the cores are busy.
     */
    public static final long THIN_GEMM = 32;

    /**
     * Largest column matrix (floats) of one band of a backward pass on the Java heap: 32 K floats (128 KiB),
     * so the band's columns and their gradient stay in a core's 512 KiB L2 cache through all four steps.
     */
    public static final long HEAP_BAND_FLOATS = 1 << 15;
}
