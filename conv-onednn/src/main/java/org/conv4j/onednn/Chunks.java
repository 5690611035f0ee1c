package org.conv4j.onednn;

/**
 * How the large Java-side passes of a call (copies between Java arrays and native buffers, scans for non-finite
 * values) split {@code 0 .. length - 1} into contiguous chunks that run on the common fork-join pool: one per
 * processor from {@link OnednnBackend#PARALLEL_MIN_FLOATS} floats on, else none.
 */
final class Chunks {

    private Chunks() {
    }

    /** The number of parallel chunks for {@code length} floats; 1 or less: run on the calling thread. */
    static int parallel(int length) {
        return Math.min(Runtime.getRuntime().availableProcessors(), length / OnednnBackend.PARALLEL_MIN_FLOATS);
    }

    /** The first index of chunk {@code c} of {@code chunks} over {@code length} (chunk {@code chunks} ends it). */
    static int start(int length, int c, int chunks) {
        return (int) ((long) length * c / chunks);
    }
}
