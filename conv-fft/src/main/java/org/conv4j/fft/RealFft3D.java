package org.conv4j.fft;

import org.conv4j.spi.LruCache;

import java.util.Arrays;

/**
 * A 3D real-to-half-spectrum transform of an {@code fd x fh x fw} buffer: a {@link RealFft2D} on each slice, then
 * complex transforms of length {@code fd} along the depth, so all-zero slices (and, within a slice, all-zero rows)
 * are skipped on the way in and unneeded slices and rows are never produced on the way out.
 *
 * <p><b>Spatial layout.</b> A real signal is a row-major {@code fd x fh x fw} block: element {@code (z, r, c)} at
 * {@code (z*fh + r)*fw + c}.
 *
 * <p><b>Spectrum layout.</b> Of {@code S(t, v, u) = sum s(z, r, c) e^{-2 pi i (t z / fd + v r / fh + u c / fw)}}
 * only the columns {@code u = 0 .. fw/2} are kept (the rest is {@code conj S(-t, -v, fw - u)}), as two planes of
 * {@link #planeSize} {@code = fd * fh * (fw/2 + 1)} floats, real and imaginary, each its own array from index 0:
 * frequency {@code (t, v, u)} at {@code (t*fh + v)*(fw/2 + 1) + u}, that is, slice {@code t} is one
 * {@link RealFft2D} half spectrum. This is the layout {@link SpectralProduct}'s frequency-wise products run on.
 *
 * <p>Why not JTransforms' {@code FloatFFT_3D}: its packed {@code realForward} takes powers of two only (the
 * 5-smooth lengths of {@link FftSizes} are up to twice as short per axis, eight times fewer points in 3D), its
 * {@code realForwardFull} produces the full complex spectrum (twice the memory), and above
 * {@code CommonUtils.getThreadsBeginN_3D()} points it hands work to JTransforms' own thread pool, which this module
 * never uses (the work is spread over channels and images instead, {@link SpectralProduct}). The 1D transforms
 * below have lengths of at most {@link FftSizes#maxTransform()}, under JTransforms' 1D threading threshold.
 *
 * <p>Depth transforms: where few slices are non-zero (forward) or wanted (inverse), the direct sum over those
 * slices, vectorised across the slice frequencies ({@link FftSizes#directDepth}: a kernel of {@code kD} taps in a
 * longer buffer, the taps of a weight gradient); otherwise one transform of length {@code fd} over all
 * {@code fh*(fw/2+1)} columns at once ({@link ColumnFft}). Immutable and shared
 * between threads; per-thread scratch is a {@link Work}. Plans are cached per size ({@link #of}).
 */
final class RealFft3D {

    private static final LruCache<Size, RealFft3D> CACHE = new LruCache<>(RealFft2D.MAX_CACHED_PLANS);

    private record Size(int fd, int fh, int fw) {
    }

    final int fd;
    final int fh;
    final int fw;
    /** The transform of one slice. */
    final RealFft2D slice;
    /** Floats per plane of one slice's half spectrum, {@code fh * (fw/2 + 1)}. */
    final int slicePlane;
    /** Floats per plane of the 3D half spectrum, {@code fd * slicePlane}. */
    final int planeSize;
    /** The transforms along the depth. */
    private final ColumnFft depthFft;
    /** {@code cos(2 pi m / fd)} and {@code sin(2 pi m / fd)} for {@code m < fd} (the direct depth sums). */
    private final float[] cosAll;
    private final float[] sinAll;

    private RealFft3D(int fd, int fh, int fw) {
        this.fd = fd;
        this.fh = fh;
        this.fw = fw;
        this.slice = RealFft2D.of(fh, fw);
        this.slicePlane = slice.planeSize;
        this.planeSize = Math.multiplyExact(fd, slicePlane);
        this.depthFft = ColumnFft.of(fd);
        this.cosAll = new float[fd];
        this.sinAll = new float[fd];
        for (int m = 0; m < fd; m++) {
            cosAll[m] = (float) Math.cos(2 * Math.PI * m / fd);
            sinAll[m] = (float) Math.sin(2 * Math.PI * m / fd);
        }
    }

    /**
     * The plan for {@code fd x fh x fw}, from the cache (thread-safe; built once per size).
     *
     * @throws IllegalArgumentException unless every size is at least 2 and {@code fw} is even
     */
    static RealFft3D of(int fd, int fh, int fw) {
        if (fd < 2) {
            throw new IllegalArgumentException("transform depth: expected at least 2, got " + fd);
        }
        RealFft2D.of(fh, fw); // validates the slice size
        return CACHE.get(new Size(fd, fh, fw), k -> new RealFft3D(fd, fh, fw));
    }

    /**
     * Per-thread scratch: the slice spectra before (or after) the depth transforms, one slice plane for the direct
     * depth sums, and the slice scratch.
     */
    static final class Work {
        final float[][] re;
        final float[][] im;
        final float[] accRe;
        final float[] accIm;
        final RealFft2D.Work slice;

        Work(RealFft3D plan) {
            re = new float[plan.fd][plan.slicePlane];
            im = new float[plan.fd][plan.slicePlane];
            accRe = new float[plan.slicePlane];
            accIm = new float[plan.slicePlane];
            slice = plan.slice.newWork();
        }
    }

    Work newWork() {
        return new Work(this);
    }

    /**
     * Transforms the real signal in {@code buf[0 .. fd*fh*fw)} (overwritten) into {@code (re, im)}, two planes of
     * {@link #planeSize} floats. Only slices {@code slices[0 .. sliceCount)} and, in each, rows
     * {@code rows[0 .. rowCount)} are read; everything else is taken as zero.
     */
    void forward(float[] buf, int[] slices, int sliceCount, int[] rows, int rowCount, float[] re, float[] im,
                 Work work) {
        float[][] wr = work.re;
        float[][] wi = work.im;
        int sliceFloats = fh * fw;
        for (int k = 0; k < sliceCount; k++) {
            int z = slices[k];
            slice.forward(buf, z * sliceFloats, rows, rowCount, wr[z], wi[z], work.slice);
        }
        if (FftSizes.directDepth(fd, sliceCount)) {
            // S(t) = sum over the non-zero slices z of S_z * e^{-2 pi i t z / fd}
            // accumulated at index 0 of the work's own arrays, then copied: the JIT vectorises the sum there
            // (measured about 0.4 ns per complex multiply-add) and not at an offset into the spectrum (about 1 ns)
            float[] ar = work.accRe;
            float[] ai = work.accIm;
            for (int t = 0; t < fd; t++) {
                Arrays.fill(ar, 0f);
                Arrays.fill(ai, 0f);
                for (int k = 0; k < sliceCount; k++) {
                    int z = slices[k];
                    int m = (int) ((long) t * z % fd);
                    twiddleAdd(wr[z], wi[z], cosAll[m], -sinAll[m], ar, ai, slicePlane);
                }
                System.arraycopy(ar, 0, re, t * slicePlane, slicePlane);
                System.arraycopy(ai, 0, im, t * slicePlane, slicePlane);
            }
            return;
        }
        boolean[] listed = new boolean[fd];
        for (int k = 0; k < sliceCount; k++) {
            listed[slices[k]] = true;
        }
        for (int z = 0; z < fd; z++) {
            if (!listed[z]) {
                Arrays.fill(wr[z], 0f);
                Arrays.fill(wi[z], 0f);
            }
        }
        depthFft.transform(wr, wi, slicePlane, false);
        for (int z = 0; z < fd; z++) {
            System.arraycopy(wr[z], 0, re, z * slicePlane, slicePlane);
            System.arraycopy(wi[z], 0, im, z * slicePlane, slicePlane);
        }
    }

    /** {@code (dr, di)[e] += (ar, ai)[e] * (c + i s)} for {@code e < n}. */
    private static void twiddleAdd(float[] ar, float[] ai, float c, float s, float[] dr, float[] di, int n) {
        for (int e = 0; e < n; e++) {
            float xr = ar[e];
            float xi = ai[e];
            dr[e] += xr * c - xi * s;
            di[e] += xr * s + xi * c;
        }
    }

    /**
     * The real signal whose spectrum is {@code (re, im)} at slices {@code slices[0 .. sliceCount)} and rows
     * {@code rows[0 .. rowCount)}: slice {@code slices[a]}, row {@code rows[b]} is written to
     * {@code out[(a*rowCount + b)*fw .. + fw)}. Normalised: inverse(forward(s)) = s.
     *
     * @param out at least {@code sliceCount * rowCount * fw} floats
     */
    void inverse(float[] re, float[] im, int[] slices, int sliceCount, int[] rows, int rowCount, float[] out,
                 Work work) {
        float scale = 1f / fd; // the depth transforms are unnormalised
        if (FftSizes.directDepth(fd, sliceCount)) {
            // s_z = 1/fd * sum_t S(t) * e^{+2 pi i t z / fd}, one wanted slice at a time
            float[] pr = work.accRe;
            float[] pi = work.accIm;
            for (int a = 0; a < sliceCount; a++) {
                int z = slices[a];
                Arrays.fill(pr, 0f);
                Arrays.fill(pi, 0f);
                for (int t = 0; t < fd; t++) {
                    int m = (int) ((long) t * z % fd);
                    twiddleGather(re, im, t * slicePlane, cosAll[m] * scale, sinAll[m] * scale, pr, pi, slicePlane);
                }
                slice.inverse(pr, pi, rows, rowCount, out, a * rowCount * fw, work.slice);
            }
            return;
        }
        float[][] wr = work.re;
        float[][] wi = work.im;
        for (int z = 0; z < fd; z++) {
            System.arraycopy(re, z * slicePlane, wr[z], 0, slicePlane);
            System.arraycopy(im, z * slicePlane, wi[z], 0, slicePlane);
        }
        depthFft.transform(wr, wi, slicePlane, true);
        for (int a = 0; a < sliceCount; a++) {
            float[] pr = wr[slices[a]];
            float[] pi = wi[slices[a]];
            for (int e = 0; e < slicePlane; e++) {
                pr[e] *= scale;
                pi[e] *= scale;
            }
            slice.inverse(pr, pi, rows, rowCount, out, a * rowCount * fw, work.slice);
        }
    }

    /** {@code (dr, di)[e] += (ar, ai)[off + e] * (c + i s)} for {@code e < n}. */
    private static void twiddleGather(float[] ar, float[] ai, int off, float c, float s, float[] dr, float[] di,
                                      int n) {
        for (int e = 0; e < n; e++) {
            float xr = ar[off + e];
            float xi = ai[off + e];
            dr[e] += xr * c - xi * s;
            di[e] += xr * s + xi * c;
        }
    }

}
