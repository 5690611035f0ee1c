package org.conv4j.im2col;

/**
 * The im2col backend's own switch points, each with one line of why; the measurements are in docs/im2col.md,
 * "Tuning constants". The thresholds it shares with the strided backend are in
 * {@link org.conv4j.openblas.GemmTuning}.
 */
final class Im2colTuning {

    private Im2colTuning() {
    }

    /**
     * Passes with fewer multiply-adds than this run their GEMMs in Java on heap arrays: below it, the fixed
     * cost of the native call chain (workspace, copies, JNI: a few microseconds) exceeds the work.
     */
    static final long SMALL_MACS = 1 << 16;

    /**
     * Images are grouped into one chunk until their column matrices reach 8 MiB: large enough to batch tiny
     * images into one GEMM, small enough that the columns im2col just wrote are still cached when the GEMM packs
     * them; bands smaller than an image lose more in the GEMM than im2col gains.
     */
    static final long CHUNK_TARGET_FLOATS = (8L << 20) / Float.BYTES;
}
