package org.conv4j.fft;

import org.jtransforms.fft.FloatFFT_1D;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A 2D real-to-half-spectrum transform of an {@code fh x fw} buffer, built from JTransforms' 1D transforms
 * so that all-zero rows are skipped on the way in and unneeded rows are never produced on the way out.
 *
 * <p><b>Spatial layout.</b> A real signal is a row-major {@code fh x fw} block of a {@code float[]}:
 * element {@code (r, c)} at {@code r*fw + c}.
 *
 * <p><b>Spectrum layout.</b> Of the full {@code fh x fw} spectrum {@code S(v, u) = sum_{r,c} s(r,c)
 * e^{-2 pi i (v r / fh + u c / fw)}} only the columns {@code u = 0 .. fw/2} are kept ({@code S(v, fw-u) =
 * conj S(-v, u)} for a real signal). They are stored as two planes of {@code P = (fw/2 + 1) * fh} floats,
 * the real parts then the imaginary parts, each ordered by {@code u} then {@code v}: frequency {@code (v, u)}
 * sits at index {@code u*fh + v} of the real plane and of the imaginary plane, each its own {@code float[]}.
 * Split planes, each starting at index 0 of its own array, let the frequency-domain channel sum run as plain
 * float loops that the JIT vectorises (measured: 0.26 ns per complex multiply-add, against 1.7 ns when the
 * planes were offsets into one shared array, which the JDK 17 JIT did not vectorise).
 *
 * <p><b>How.</b> Forward: a real FFT of length {@code fw} on each non-zero row (JTransforms' packed
 * format: {@code a[0] = Re S(0)}, {@code a[1] = Re S(fw/2)}, {@code a[2u], a[2u+1] = Re, Im S(u)}), then a
 * complex FFT of length {@code fh} down each of the {@code fw/2 + 1} columns. Inverse: the same steps
 * backwards, the column transforms for every column and the row transforms only for the requested rows.
 * The inverse is normalised: inverse(forward(s)) = s.
 *
 * <p>Instances are immutable and are shared between threads: JTransforms' 1D plans only read their tables
 * during a transform (its mixed-radix code allocates its work array per call), which the conformance kit's
 * concurrency test confirms. Plans are cached per size in {@link #of(int, int)}.
 */
final class RealFft2D {

    private static final ConcurrentMap<Long, RealFft2D> CACHE = new ConcurrentHashMap<>();
    private static final ConcurrentMap<Integer, FloatFFT_1D> PLANS_1D = new ConcurrentHashMap<>();

    /** Bound on the number of cached 2D plans; beyond it the cache is cleared (plans are cheap to rebuild). */
    static final int MAX_CACHED_PLANS = 256;

    final int fh;
    final int fw;
    /** {@code fw/2 + 1}, the stored spectrum columns. */
    final int halfW;
    /** Floats per plane: {@code halfW * fh}. A spectrum occupies {@code 2 * planeSize} floats. */
    final int planeSize;
    private final FloatFFT_1D rowFft;
    private final FloatFFT_1D colFft;

    private RealFft2D(int fh, int fw) {
        this.fh = fh;
        this.fw = fw;
        this.halfW = fw / 2 + 1;
        this.planeSize = halfW * fh;
        this.rowFft = plan1d(fw);
        this.colFft = plan1d(fh);
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
        RealFft2D plan = CACHE.get(key);
        if (plan == null) {
            if (CACHE.size() >= MAX_CACHED_PLANS) {
                CACHE.clear();
            }
            plan = CACHE.computeIfAbsent(key, k -> new RealFft2D(fh, fw));
        }
        return plan;
    }

    private static FloatFFT_1D plan1d(int n) {
        return PLANS_1D.computeIfAbsent(n, FloatFFT_1D::new);
    }

    /** Number of cached 2D plans (for tests). */
    static int cachedPlans() {
        return CACHE.size();
    }

    /**
     * Columns handled together: a row of the packed row spectra is read (or written) for {@value} columns at
     * once, {@code 2 * 8} floats, a 64-byte cache line, instead of one column at a time with a stride of
     * {@code fw} floats.
     */
    static final int COLUMN_BLOCK = 8;

    /** Floats of scratch {@link #forward} and {@link #inverse} need: {@link #COLUMN_BLOCK} columns of {@code 2*fh}. */
    int columnScratch() {
        return 2 * fh * COLUMN_BLOCK;
    }

    /**
     * Transforms the real signal in {@code buf[0 .. fh*fw)} (overwritten) into the spectrum {@code (re, im)},
     * two planes of {@link #planeSize} floats. Rows not listed are taken as zero and never read.
     *
     * @param rows     the indices of the rows that may be non-zero, {@code rowCount} of them, each once
     * @param col      scratch of at least {@link #columnScratch()} floats
     */
    void forward(float[] buf, int[] rows, int rowCount, float[] re, float[] im, float[] col) {
        for (int k = 0; k < rowCount; k++) {
            rowFft.realForward(buf, rows[k] * fw);
        }
        int twoFh = 2 * fh;
        int half = fw / 2;
        for (int u0 = 0; u0 < halfW; u0 += COLUMN_BLOCK) {
            int nb = Math.min(COLUMN_BLOCK, halfW - u0);
            Arrays.fill(col, 0, nb * twoFh, 0f);
            // column u of the packed row spectra, as interleaved complex values at col[(u-u0)*2fh + 2r ..];
            // u = 0 and u = fw/2 are real and packed at a[0] and a[1]; the loop over b covers the others
            int bFirst = u0 == 0 ? 1 : 0;
            int bEnd = u0 + nb - 1 == half ? nb - 1 : nb;
            for (int k = 0; k < rowCount; k++) {
                int r = rows[k];
                int src = r * fw + 2 * u0;
                int dst = 2 * r;
                if (bFirst == 1) {
                    col[dst] = buf[r * fw]; // Re S(0); Im S(0) = 0
                }
                if (bEnd < nb) {
                    col[(nb - 1) * twoFh + dst] = buf[r * fw + 1]; // Re S(fw/2); Im = 0
                }
                for (int b = bFirst; b < bEnd; b++) {
                    col[b * twoFh + dst] = buf[src + 2 * b];
                    col[b * twoFh + dst + 1] = buf[src + 2 * b + 1];
                }
            }
            for (int b = 0; b < nb; b++) {
                colFft.complexForward(col, b * twoFh);
                int base = (u0 + b) * fh;
                int c0 = b * twoFh;
                for (int v = 0; v < fh; v++) {
                    re[base + v] = col[c0 + 2 * v];
                    im[base + v] = col[c0 + 2 * v + 1];
                }
            }
        }
    }

    /**
     * The rows {@code rows[0 .. rowCount)} of the real signal whose spectrum is {@code (re, im)} (two planes
     * of {@link #planeSize} floats at offset 0, destroyed), written as row {@code k} at {@code out[k*fw ..]}.
     *
     * @param out at least {@code rowCount * fw} floats
     * @param col scratch of at least {@link #columnScratch()} floats
     */
    void inverse(float[] re, float[] im, int[] rows, int rowCount, float[] out, float[] col) {
        int half = fw / 2;
        int twoFh = 2 * fh;
        for (int u0 = 0; u0 < halfW; u0 += COLUMN_BLOCK) {
            int nb = Math.min(COLUMN_BLOCK, halfW - u0);
            for (int b = 0; b < nb; b++) {
                int base = (u0 + b) * fh;
                int c0 = b * twoFh;
                for (int v = 0; v < fh; v++) {
                    col[c0 + 2 * v] = re[base + v];
                    col[c0 + 2 * v + 1] = im[base + v];
                }
                colFft.complexInverse(col, c0, true);
            }
            // The result is real, so columns 0 and fw/2 of the row spectra are real (their imaginary parts
            // are rounding noise) and pack into a[0] and a[1].
            int bFirst = u0 == 0 ? 1 : 0;
            int bEnd = u0 + nb - 1 == half ? nb - 1 : nb;
            for (int k = 0; k < rowCount; k++) {
                int r2 = 2 * rows[k];
                int dst = k * fw;
                if (bFirst == 1) {
                    out[dst] = col[r2];
                }
                if (bEnd < nb) {
                    out[dst + 1] = col[(nb - 1) * twoFh + r2];
                }
                int d = dst + 2 * u0;
                for (int b = bFirst; b < bEnd; b++) {
                    out[d + 2 * b] = col[b * twoFh + r2];
                    out[d + 2 * b + 1] = col[b * twoFh + r2 + 1];
                }
            }
        }
        for (int k = 0; k < rowCount; k++) {
            // scale=true: JTransforms' unscaled real inverse returns n/2 times the signal for powers of two
            // and n times for the mixed-radix sizes; the scaled one is exact in both cases.
            rowFft.realInverse(out, k * fw, true);
        }
    }
}
