package org.conv4j.fft;

import org.conv4j.spi.LruCache;

import org.jtransforms.fft.FloatFFT_1D;

import java.util.Arrays;

/**
 * A 2D real-to-half-spectrum transform of an {@code fh x fw} buffer: JTransforms' real 1D transform along
 * the rows, then a complex transform down the columns, so that all-zero rows are skipped on the way in and
 * unneeded rows are never produced on the way out.
 *
 * <p><b>Spatial layout.</b> A real signal is a row-major {@code fh x fw} block of a {@code float[]}:
 * element {@code (r, c)} at {@code r*fw + c}.
 *
 * <p><b>Spectrum layout.</b> Of the full {@code fh x fw} spectrum {@code S(v, u) = sum_{r,c} s(r,c)
 * e^{-2 pi i (v r / fh + u c / fw)}} only the columns {@code u = 0 .. fw/2} are kept ({@code S(v, fw-u) =
 * conj S(-v, u)} for a real signal). They are stored as two planes of {@code P = fh * (fw/2 + 1)} floats,
 * real and imaginary parts, each its own {@code float[]} starting at index 0, row-major: frequency
 * {@code (v, u)} at index {@code v*(fw/2 + 1) + u}. Split planes at index 0 of their own arrays let the
 * frequency-domain channel sum run as plain float loops that the JIT vectorises (measured: 0.26 ns per
 * complex multiply-add, against 1.7 ns when the planes were offsets into one shared array, which the
 * JDK 17 JIT did not vectorise).
 *
 * <p><b>How.</b> Forward: JTransforms' {@code realForward} on each non-zero row (packed format:
 * {@code a[0] = Re S(0)}, {@code a[1] = Re S(fw/2)}, {@code a[2u], a[2u+1] = Re, Im S(u)}), unpacked into
 * one real and one imaginary {@code float[]} per row; then the transforms down the {@code fw/2 + 1} columns,
 * all at once ({@link ColumnFft}: each butterfly combines row arrays element by element, a loop over the columns
 * that the JIT vectorises; JTransforms, which has no batched transform, would need a gather, a call and a scatter
 * per column). Inverse: the same steps backwards, the column
 * transforms for every column and the row transforms only for the requested rows; normalised, so
 * inverse(forward(s)) = s.
 *
 * <p>Instances are immutable and are shared between threads: JTransforms' 1D row plans only read their tables
 * during a transform (its mixed-radix code allocates its work array per call), which the conformance kit's
 * concurrency test confirms; per-call scratch lives in a {@link Work} owned by one thread. Plans are
 * cached per size in {@link #of(int, int)}.
 */
final class RealFft2D {

    private static final LruCache<Long, RealFft2D> CACHE = new LruCache<>(RealFft2D.MAX_CACHED_PLANS);
    /** JTransforms' 1D plans by length, shared by the 2D plans' rows: room for every length the cached ones hold. */
    private static final LruCache<Integer, FloatFFT_1D> PLANS_1D = new LruCache<>(RealFft2D.MAX_CACHED_PLANS);

    /** Bound on the number of cached 2D plans; the least recently used leave first. */
    static final int MAX_CACHED_PLANS = 256;

    final int fh;
    final int fw;
    /** {@code fw/2 + 1}, the stored spectrum columns. */
    final int halfW;
    /** Floats per plane: {@code halfW * fh}. A spectrum occupies {@code 2 * planeSize} floats. */
    final int planeSize;
    private final FloatFFT_1D rowFft;
    /** The transforms down the columns. */
    private final ColumnFft colFft;

    private RealFft2D(int fh, int fw) {
        this.fh = fh;
        this.fw = fw;
        this.halfW = fw / 2 + 1;
        this.planeSize = halfW * fh;
        this.rowFft = plan1d(fw);
        this.colFft = ColumnFft.of(fh);
    }

    /** Per-thread scratch of one plan: one real and one imaginary array per row. */
    static final class Work {
        final float[][] re;
        final float[][] im;

        Work(RealFft2D plan) {
            re = new float[plan.fh][plan.halfW];
            im = new float[plan.fh][plan.halfW];
        }
    }

    /** Scratch for {@link #forward} and {@link #inverse}, for one thread at a time. */
    Work newWork() {
        return new Work(this);
    }

    /**
     * The plan for {@code fh x fw}, from the cache (thread-safe; built once per size).
     *
     * @throws IllegalArgumentException unless {@code fh >= 2}, {@code fw >= 2} and {@code fw} is even
     */
    static RealFft2D of(int fh, int fw) {
        if (fh < 2 || fw < 2 || fw % 2 != 0) {
            throw new IllegalArgumentException("transform size: expected fh >= 2 and an even fw >= 2, got "
                    + fh + " x " + fw);
        }
        long key = ((long) fh << 32) | fw;
        return CACHE.get(key, k -> new RealFft2D(fh, fw));
    }

    /** JTransforms' 1D plan of length {@code n}, shared (thread-safe; cached per length). */
    static FloatFFT_1D plan1d(int n) {
        return PLANS_1D.get(n, FloatFFT_1D::new);
    }

    /** Number of cached 2D plans (for tests). */
    static int cachedPlans() {
        return CACHE.size();
    }

    /**
     * Transforms the real signal in {@code buf[0 .. fh*fw)} (overwritten) into the spectrum {@code (re, im)},
     * two planes of {@link #planeSize} floats. Rows not listed are taken as zero and never read.
     *
     * @param rows the indices of the rows that may be non-zero, {@code rowCount} of them, each once
     */
    void forward(float[] buf, int[] rows, int rowCount, float[] re, float[] im, Work work) {
        forward(buf, 0, rows, rowCount, re, im, work);
    }

    /** As {@link #forward(float[], int[], int, float[], float[], Work)}, the signal at {@code buf[base ..]}. */
    void forward(float[] buf, int base, int[] rows, int rowCount, float[] re, float[] im, Work work) {
        float[][] wr = work.re;
        float[][] wi = work.im;
        for (int r = 0; r < fh; r++) {
            Arrays.fill(wr[r], 0f);
            Arrays.fill(wi[r], 0f);
        }
        int half = fw / 2;
        for (int k = 0; k < rowCount; k++) {
            int r = rows[k];
            int off = base + r * fw;
            rowFft.realForward(buf, off);
            float[] pr = wr[r];
            float[] pi = wi[r];
            pr[0] = buf[off]; // Re S(0); Im S(0) = 0
            pr[half] = buf[off + 1]; // Re S(fw/2), packed at a[1]; Im = 0
            for (int u = 1; u < half; u++) {
                pr[u] = buf[off + 2 * u];
                pi[u] = buf[off + 2 * u + 1];
            }
        }
        colFft.transform(wr, wi, halfW, false);
        for (int v = 0; v < fh; v++) {
            System.arraycopy(wr[v], 0, re, v * halfW, halfW);
            System.arraycopy(wi[v], 0, im, v * halfW, halfW);
        }
    }

    /**
     * The rows {@code rows[0 .. rowCount)} of the real signal whose spectrum is {@code (re, im)} (two planes
     * of {@link #planeSize} floats), written as row {@code k} at {@code out[k*fw ..]}.
     *
     * @param out at least {@code rowCount * fw} floats
     */
    void inverse(float[] re, float[] im, int[] rows, int rowCount, float[] out, Work work) {
        inverse(re, im, rows, rowCount, out, 0, work);
    }

    /** As {@link #inverse(float[], float[], int[], int, float[], Work)}, row {@code k} at {@code out[base + k*fw ..]}. */
    void inverse(float[] re, float[] im, int[] rows, int rowCount, float[] out, int base, Work work) {
        float[][] wr = work.re;
        float[][] wi = work.im;
        for (int v = 0; v < fh; v++) {
            System.arraycopy(re, v * halfW, wr[v], 0, halfW);
            System.arraycopy(im, v * halfW, wi[v], 0, halfW);
        }
        colFft.transform(wr, wi, halfW, true);
        int half = fw / 2;
        float scale = 1f / fh; // the column transforms are unnormalised
        for (int k = 0; k < rowCount; k++) {
            float[] pr = wr[rows[k]];
            float[] pi = wi[rows[k]];
            int off = base + k * fw;
            // The result is real, so columns 0 and fw/2 of the row spectra are real (their imaginary parts
            // are rounding noise) and pack into a[0] and a[1].
            out[off] = pr[0] * scale;
            out[off + 1] = pr[half] * scale;
            for (int u = 1; u < half; u++) {
                out[off + 2 * u] = pr[u] * scale;
                out[off + 2 * u + 1] = pi[u] * scale;
            }
            // scale=true: JTransforms' unscaled real inverse returns n/2 times the signal for powers of two
            // and n times for the mixed-radix sizes; the scaled one is exact in both cases.
            rowFft.realInverse(out, off, true);
        }
    }

}
