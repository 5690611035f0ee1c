package org.conv4j.fft;

import org.conv4j.spi.LruCache;

import java.util.stream.IntStream;

/**
 * Unnormalised complex transforms of one 5-smooth length {@code n} down every column of {@code n} row arrays, all
 * columns at once: {@code X[k] = sum_j x[j] e^{-+2 pi i jk/n}} (minus forward, plus inverse), where {@code x[j]} is
 * element {@code u} of row arrays {@code re[j]} and {@code im[j]}, for every {@code u < m}.
 *
 * <p><b>How.</b> Mixed-radix decimation in time. With {@code n = r*M}, the {@code r} subsequences
 * {@code x[q + r*j']} ({@code q < r}) are transformed first (recursively, each stored as one block of {@code M}
 * rows, block {@code q} at rows {@code q*M ..}); then for every {@code k1 < M} the rows {@code k1 + M*q} hold
 * {@code Y_q[k1]}, and
 * <pre>
 *   X[k1 + M*k2] = sum_{q < r} w_r^{q*k2} * (w_n^{q*k1} * Y_q[k1]),   w_L = e^{-+2 pi i / L}
 * </pre>
 * writes exactly those rows again, so every stage works in place. Unrolled, the rows are first put in
 * digit-reversed order ({@link #source}: reordering the row references, no floats move), then the stages run from
 * the innermost radix out, each an {@code r}-point transform of twiddled rows: radix 2, 3 and 5, written out (3 and
 * 5 with the usual cosine sums and sine differences). Radix-4 stages measured slower than two radix-2 stages here
 * (a 64x64 transform pair 32.0 against 29.2 us, a 64^3 one 2.82 against 2.21 ms): their loop over sixteen arrays
 * is more than the JIT keeps in registers.
 *
 * <p>Every butterfly is one loop over the {@code m} columns reading and writing distinct row arrays element by
 * element at the same index, which the JIT vectorises. JTransforms has no batched transform: called column by
 * column it costs a gather, a call (its mixed-radix code allocates a work array per call) and a scatter per
 * column; docs/fft.md gives the measured rates.
 *
 * <p>Immutable and shared between threads (cached per length, {@link #of}).
 */
final class ColumnFft {

    private static final LruCache<Integer, ColumnFft> CACHE = new LruCache<>(RealFft2D.MAX_CACHED_PLANS);

    /** {@code sqrt(3)/2}, the sine of the 3-point transform. */
    private static final float SIN3 = (float) (Math.sqrt(3) / 2);
    /** {@code cos(2 pi k/5)} and {@code sin(2 pi k/5)}, {@code k = 1, 2}: the 5-point transform's constants. */
    private static final float COS5_1 = (float) Math.cos(2 * Math.PI / 5);
    private static final float COS5_2 = (float) Math.cos(4 * Math.PI / 5);
    private static final float SIN5_1 = (float) Math.sin(2 * Math.PI / 5);
    private static final float SIN5_2 = (float) Math.sin(4 * Math.PI / 5);

    final int n;
    /** Stage {@code s}'s radix, innermost first. */
    private final int[] radix;
    /** Storage row {@code p} takes input row {@code source[p]} (the digit reversal of the radices). */
    private final int[] source;
    /**
     * Stage {@code s}'s twiddles {@code cos} and {@code sin} of {@code 2 pi q k1 / L} ({@code L = M*r}, the length
     * the stage produces) at {@code k1*(r - 1) + q - 1}, for {@code k1 < M} and {@code 1 <= q < r}.
     */
    private final float[][] cos;
    private final float[][] sin;

    private ColumnFft(int n) {
        this.n = n;
        this.radix = radices(n);
        this.source = new int[n];
        digitReversal(n, radix.length - 1, 0, 0, 1);
        this.cos = new float[radix.length][];
        this.sin = new float[radix.length][];
        int m = 1;
        for (int s = 0; s < radix.length; s++) {
            int r = radix[s];
            int len = m * r;
            cos[s] = new float[m * (r - 1)];
            sin[s] = new float[m * (r - 1)];
            for (int k1 = 0; k1 < m; k1++) {
                for (int q = 1; q < r; q++) {
                    double angle = 2 * Math.PI * ((long) q * k1 % len) / len;
                    cos[s][k1 * (r - 1) + q - 1] = (float) Math.cos(angle);
                    sin[s][k1 * (r - 1) + q - 1] = (float) Math.sin(angle);
                }
            }
            m = len;
        }
    }

    /**
     * The plan for length {@code n}, from the cache (thread-safe; built once per length).
     *
     * @throws IllegalArgumentException unless {@code n} is 5-smooth and at least 2
     */
    static ColumnFft of(int n) {
        if (!FftSizes.isGood(n)) {
            throw new IllegalArgumentException("column transform length: expected a 5-smooth size >= 2, got " + n);
        }
        return CACHE.get(n, ColumnFft::new);
    }

    /** The prime factors of {@code n} (5-smooth), innermost (first stage) first: 2s, 3s, then 5s. */
    private static int[] radices(int n) {
        IntStream.Builder r = IntStream.builder();
        for (int p : new int[] {2, 3, 5}) {
            for (; n % p == 0; n /= p) {
                r.add(p);
            }
        }
        return r.build().toArray();
    }

    /**
     * Fills {@link #source} for the storage rows {@code [base, base + len)} of a sub-transform whose input rows are
     * {@code offset + step*j}, its outermost radix being stage {@code s}: block {@code q} of that radix holds the
     * subsequence {@code j = q + r*j'}.
     */
    private void digitReversal(int len, int s, int base, int offset, int step) {
        if (len == 1) {
            source[base] = offset;
            return;
        }
        int r = radix[s];
        int sub = len / r;
        for (int q = 0; q < r; q++) {
            digitReversal(sub, s - 1, base + q * sub, offset + q * step, step * r);
        }
    }

    /**
     * Transforms rows {@code re[0 .. n)} and {@code im[0 .. n)}, columns {@code [0, m)}, in place. The row arrays
     * are reordered within {@code re} and {@code im} (a row's contents end where the result puts them); each holds
     * at least {@code m} floats.
     *
     * @param inverse true for {@code e^{+2 pi i jk/n}}, false for {@code e^{-2 pi i jk/n}}; neither is scaled
     */
    void transform(float[][] re, float[][] im, int m, boolean inverse) {
        float[][] xr = re.clone();
        float[][] xi = im.clone();
        for (int p = 0; p < n; p++) {
            re[p] = xr[source[p]];
            im[p] = xi[source[p]];
        }
        // The copies are free from here on: a radix-3 or -5 butterfly gathers its rows row + sub*q into them.
        float sign = inverse ? 1f : -1f;
        int sub = 1;
        for (int s = 0; s < radix.length; s++) {
            int r = radix[s];
            int len = sub * r;
            float[] c = cos[s];
            float[] sn = sin[s];
            for (int b = 0; b < n; b += len) {
                for (int k1 = 0; k1 < sub; k1++) {
                    int t = k1 * (r - 1);
                    int row = b + k1;
                    if (r == 2) {
                        radix2(re, im, row, sub, c[t], sign * sn[t], m);
                        continue;
                    }
                    for (int q = 0; q < r; q++) {
                        xr[q] = re[row + q * sub];
                        xi[q] = im[row + q * sub];
                    }
                    if (k1 > 0) {
                        twiddle(xr, xi, r, c, sn, t, sign, m);
                    }
                    if (r == 3) {
                        radix3(xr[0], xi[0], xr[1], xi[1], xr[2], xi[2], sign, m);
                    } else {
                        radix5(xr[0], xi[0], xr[1], xi[1], xr[2], xi[2], xr[3], xi[3], xr[4], xi[4], sign, m);
                    }
                }
            }
            sub = len;
        }
    }

    /** {@code (a, b) <- (a + w*b, a - w*b)} over rows {@code row} and {@code row + M}, {@code w = wr + i wi}. */
    private static void radix2(float[][] re, float[][] im, int row, int M, float wr, float wi, int m) {
        float[] ar = re[row];
        float[] ai = im[row];
        float[] br = re[row + M];
        float[] bi = im[row + M];
        for (int u = 0; u < m; u++) {
            float xr = br[u];
            float xi = bi[u];
            float tr = xr * wr - xi * wi;
            float ti = xr * wi + xi * wr;
            float yr = ar[u];
            float yi = ai[u];
            br[u] = yr - tr;
            bi[u] = yi - ti;
            ar[u] = yr + tr;
            ai[u] = yi + ti;
        }
    }

    /**
     * Multiplies a butterfly's rows {@code (tr[q], ti[q])}, {@code 1 <= q < r}, by the stage's twiddles {@code w^q}
     * (the rows of {@code k1 = 0} have {@code w = 1} and are left as they are). Radix 3 and 5 twiddle in this
     * separate pass so that their butterfly loops read and write no more arrays than the JIT keeps in registers.
     */
    private static void twiddle(float[][] tr, float[][] ti, int r, float[] c, float[] s, int t, float sign, int m) {
        for (int q = 1; q < r; q++) {
            float wr = c[t + q - 1];
            float wi = sign * s[t + q - 1];
            float[] xr = tr[q];
            float[] xi = ti[q];
            for (int u = 0; u < m; u++) {
                float a = xr[u];
                float b = xi[u];
                xr[u] = a * wr - b * wi;
                xi[u] = a * wi + b * wr;
            }
        }
    }

    /**
     * The 3-point transform of rows {@code t_q = (rq, iq)} (already twiddled): with {@code a = t1 + t2},
     * {@code d = t1 - t2} and {@code e^{-+2 pi i/3} = -1/2 -+ i sqrt(3)/2}, {@code X0 = t0 + a} and
     * {@code X1,2 = p +- i q} with {@code p = t0 - a/2}, {@code q = h d}, {@code h = -+sqrt(3)/2}.
     */
    private static void radix3(float[] r0, float[] i0, float[] r1, float[] i1, float[] r2, float[] i2, float sign,
                               int m) {
        float h = sign * SIN3;
        for (int u = 0; u < m; u++) {
            float ar = r1[u] + r2[u];
            float ai = i1[u] + i2[u];
            float qr = h * (r1[u] - r2[u]);
            float qi = h * (i1[u] - i2[u]);
            float x0r = r0[u];
            float x0i = i0[u];
            r0[u] = x0r + ar;
            i0[u] = x0i + ai;
            conjugatePair(x0r - 0.5f * ar, x0i - 0.5f * ai, qr, qi, r1, i1, r2, i2, u);
        }
    }

    /**
     * The 5-point transform of rows {@code t_q = (rq, iq)} (already twiddled): with {@code a1 = t1 + t4},
     * {@code b1 = t1 - t4}, {@code a2 = t2 + t3}, {@code b2 = t2 - t3}, {@code c_k = cos(2 pi k/5)} and
     * {@code s_k = -+sin(2 pi k/5)}: {@code X0 = t0 + a1 + a2},
     * {@code X1,4 = t0 + c1 a1 + c2 a2 +- i (s1 b1 + s2 b2)}, {@code X2,3 = t0 + c2 a1 + c1 a2 +- i (s2 b1 - s1 b2)}.
     */
    private static void radix5(float[] r0, float[] i0, float[] r1, float[] i1, float[] r2, float[] i2, float[] r3,
                               float[] i3, float[] r4, float[] i4, float sign, int m) {
        float c1 = COS5_1;
        float c2 = COS5_2;
        float s1 = sign * SIN5_1;
        float s2 = sign * SIN5_2;
        for (int u = 0; u < m; u++) {
            float a1r = r1[u] + r4[u];
            float a1i = i1[u] + i4[u];
            float b1r = r1[u] - r4[u];
            float b1i = i1[u] - i4[u];
            float a2r = r2[u] + r3[u];
            float a2i = i2[u] + i3[u];
            float b2r = r2[u] - r3[u];
            float b2i = i2[u] - i3[u];
            float x0r = r0[u];
            float x0i = i0[u];
            float p1r = x0r + c1 * a1r + c2 * a2r;
            float p1i = x0i + c1 * a1i + c2 * a2i;
            float p2r = x0r + c2 * a1r + c1 * a2r;
            float p2i = x0i + c2 * a1i + c1 * a2i;
            float q1r = s1 * b1r + s2 * b2r;
            float q1i = s1 * b1i + s2 * b2i;
            float q2r = s2 * b1r - s1 * b2r;
            float q2i = s2 * b1i - s1 * b2i;
            r0[u] = x0r + a1r + a2r;
            i0[u] = x0i + a1i + a2i;
            conjugatePair(p1r, p1i, q1r, q1i, r1, i1, r4, i4, u);
            conjugatePair(p2r, p2i, q2r, q2i, r2, i2, r3, i3, u);
        }
    }

    /**
     * Element {@code u} of the outputs {@code X = p + i q} (into {@code (xr, xi)}) and {@code Y = p - i q} (into
     * {@code (yr, yi)}), the pair {@code X_k, X_{r-k}} of an odd-radix butterfly: {@code i q = (-qi, qr)}. It is 33
     * bytes of bytecode, under the 35 ({@code MaxInlineSize}) C2 inlines at any call site, so the butterfly loops
     * compile, and vectorise, as if these four lines stood in them.
     */
    private static void conjugatePair(float pr, float pi, float qr, float qi, float[] xr, float[] xi, float[] yr,
                                      float[] yi, int u) {
        xr[u] = pr - qi;
        xi[u] = pi + qr;
        yr[u] = pr + qi;
        yi[u] = pi - qr;
    }
}
