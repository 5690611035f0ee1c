package org.conv4j.spi;

import org.conv4j.api.Tensor4D;

import java.util.stream.IntStream;

/**
 * When a memory-bound pass over a run of floats (a bulk copy between Java arrays and native buffers, a layout
 * transpose, a scan for non-finite values) pays to split over the processors, and how it is split: into
 * {@link #count(long)} contiguous chunks, chunk {@code c} of {@code n} covering
 * {@code [start(length, c, n), start(length, c + 1, n))}, run on the common fork-join pool.
 *
 * <p>This is the rule for passes that move or test each float once with no arithmetic on its index. The GEMM
 * backends' Java phases (im2col gathers, col2im scatters) do more per float and follow their own threshold,
 * {@code GemmTuning.PARALLEL_MIN_FLOATS} in conv-openblas.
 */
public final class ParallelChunks {

    /**
     * The fewest floats per chunk: 2^18 floats (1 MiB), which a copy moves in tens of microseconds, so a hand-off
     * to the common pool (a few microseconds) is small beside it. Below twice this a pass runs on the calling
     * thread.
     */
    public static final int MIN_FLOATS = 1 << 18;

    private ParallelChunks() {
    }

    /**
     * The number of chunks for {@code floats} floats: one per {@link #MIN_FLOATS}, at most one per processor, at
     * least one. One means: run on the calling thread.
     *
     * @param floats the floats the pass covers
     * @return the number of chunks, {@code >= 1}
     */
    public static int count(long floats) {
        return (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), floats / MIN_FLOATS));
    }

    /**
     * The first index of chunk {@code c} of {@code chunks} over {@code 0 .. length - 1}; chunk {@code chunks}
     * starts at {@code length}, so chunk {@code c} ends where chunk {@code c + 1} starts.
     *
     * @param length the floats the pass covers
     * @param c the chunk, {@code 0 <= c <= chunks}
     * @param chunks the number of chunks, {@code >= 1}
     * @return the chunk's first index
     */
    public static int start(int length, int c, int chunks) {
        return (int) ((long) length * c / chunks);
    }

    /**
     * True if no element of {@code a} is NaN or infinite: {@link Tensor4D#allFinite(float[], int, int)} over the
     * {@link #count(long)} chunks, in parallel when there is more than one. The scan backends run before a path
     * that is exact only for finite values.
     *
     * @param a the array
     * @return whether every element is finite
     */
    public static boolean allFinite(float[] a) {
        int chunks = count(a.length);
        if (chunks <= 1) {
            return Tensor4D.allFinite(a, 0, a.length);
        }
        return IntStream.range(0, chunks).parallel()
                .allMatch(c -> Tensor4D.allFinite(a, start(a.length, c, chunks), start(a.length, c + 1, chunks)));
    }
}
