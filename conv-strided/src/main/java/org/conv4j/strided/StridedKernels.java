package org.conv4j.strided;

import java.nio.FloatBuffer;

/**
 * The pure-Java kernels of the strided backend: small static methods over {@code float[]} with offsets (the
 * gather writes into a {@link FloatBuffer}, the native workspace's view). Nothing here knows about ND4J or
 * BLAS. Every kernel that reads or writes through a {@link WindowView} checks it against its buffer first.
 *
 * <p>Layouts (all row-major):
 * <ul>
 *   <li>padded image {@code xpad (C, Hp, Wp)}: element {@code (c, h, w)} at {@code (c*Hp + h)*Wp + w};</li>
 *   <li>phase layout for strides {@code sh, sw} (see {@link WindowView#tapMatrix}): {@code sh*sw} sets of planes
 *       {@code (C, Hq, Wq)}, phase {@code (a, b)} element {@code (c, u, v)} at
 *       {@code (((a*sw + b)*C + c)*Hq + u)*Wq + v}, holding {@code xpad[c, u*sh + a, v*sw + b]};</li>
 *   <li>column matrix of a window view {@code (Cg, outH, outW, kH, kW)}, "the view laid out as a matrix":
 *       {@code (Cg*kH*kW, outH*outW)}, element {@code ((c*kH + i)*kW + j, oh*outW + ow)} at
 *       {@code ((c*kH + i)*kW + j)*outH*outW + oh*outW + ow}, so that a {@code (Kg, Cg*kH*kW)} weight
 *       block (OIHW) times it is the output block {@code (Kg, outH*outW)};</li>
 *   <li>"wide" output rows {@code (K, L)} with {@code L = (outH-1)*Wq + outW} ({@code Wq = Wp} at stride 1):
 *       output {@code (k, oh, ow)} at {@code k*L + oh*Wq + ow}; the columns {@code ow >= outW} of each row are wrap-around columns that
 *       belong to no window (see {@link WindowView#tapMatrix}).</li>
 * </ul>
 */
final class StridedKernels {

    private StridedKernels() {
    }

    /**
     * Copies {@code channels} planes {@code (h, w)} of {@code x} (from {@code xOff}) into the interior of the
     * padded planes {@code (hp, wp)} of {@code xpad} (from {@code padOff}), at row {@code top}, column
     * {@code left}. The border of {@code xpad} is not touched: the caller keeps it zero (a freshly allocated
     * array, reused for images of the same shape, whose border is never written).
     */
    static void padInto(float[] x, int xOff, int channels, int h, int w,
                        float[] xpad, int padOff, int hp, int wp, int top, int left) {
        for (int c = 0; c < channels; c++) {
            int src = xOff + c * h * w;
            int dst = padOff + (c * hp + top) * wp + left;
            for (int r = 0; r < h; r++) {
                System.arraycopy(x, src + r * w, xpad, dst + r * wp, w);
            }
        }
    }

    /** The inverse of {@link #padInto}: copies the interior of the padded planes back into {@code x}. */
    static void cropInto(float[] xpad, int padOff, int hp, int wp, int top, int left,
                         float[] x, int xOff, int channels, int h, int w) {
        for (int c = 0; c < channels; c++) {
            int src = padOff + (c * hp + top) * wp + left;
            int dst = xOff + c * h * w;
            for (int r = 0; r < h; r++) {
                System.arraycopy(xpad, src + r * wp, x, dst + r * w, w);
            }
        }
    }

    /**
     * {@link #padInto} into the phase layout of {@link WindowView#tapMatrix} (strides {@code sh, sw}): input
     * element {@code (c, h, w)} goes to phase {@code (ph % sh, pw % sw)}, element
     * {@code (c, ph / sh, pw / sw)}, where {@code (ph, pw) = (h + top, w + left)} is its padded position. The
     * other elements of {@code dst} (padding and fill) are not touched: the caller keeps them zero.
     */
    static void padIntoPhases(float[] x, int xOff, int channels, int h, int w,
                              float[] dst, int hq, int wq, int sh, int sw, int top, int left) {
        if (sh == 1 && sw == 1) {
            padInto(x, xOff, channels, h, w, dst, 0, hq, wq, top, left);
            return;
        }
        copyPhases(x, xOff, channels, h, w, dst, hq, wq, sh, sw, top, left, true);
    }

    /** The inverse of {@link #padIntoPhases}: the input positions of a phase-layout gradient into {@code x}. */
    static void cropFromPhases(float[] src, int hq, int wq, int sh, int sw, int top, int left,
                               float[] x, int xOff, int channels, int h, int w) {
        if (sh == 1 && sw == 1) {
            cropInto(src, 0, hq, wq, top, left, x, xOff, channels, h, w);
            return;
        }
        copyPhases(x, xOff, channels, h, w, src, hq, wq, sh, sw, top, left, false);
    }

    /**
     * Copies between input element {@code (c, h, w)} of {@code x} and its place in the phase layout
     * {@code phases} (see {@link #padIntoPhases}): into the phases if {@code intoPhases}, else out of them. The
     * direction is chosen once per row, outside the loop over its elements.
     */
    private static void copyPhases(float[] x, int xOff, int channels, int h, int w, float[] phases, int hq, int wq,
                                   int sh, int sw, int top, int left, boolean intoPhases) {
        int phasePlane = hq * wq;
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < h; r++) {
                int ph = r + top;
                int rowBase = ((ph % sh) * sw * channels + c) * phasePlane + (ph / sh) * wq;
                int row = xOff + (c * h + r) * w;
                if (intoPhases) {
                    for (int col = 0; col < w; col++) {
                        int pw = col + left;
                        phases[rowBase + (pw % sw) * channels * phasePlane + pw / sw] = x[row + col];
                    }
                } else {
                    for (int col = 0; col < w; col++) {
                        int pw = col + left;
                        x[row + col] = phases[rowBase + (pw % sw) * channels * phasePlane + pw / sw];
                    }
                }
            }
        }
    }

    /**
     * Lays the 5-D window view {@code v = (Cg, outH, outW, kH, kW)} of {@code src} out as the column matrix
     * {@code col (Cg*kH*kW, outH*outW)} (layout in the class comment) at {@code dst[dstOff..]}:
     * {@code col[(c, i, j), (oh, ow)] = src[v(c, oh, ow, i, j)]}. This is the one copy the zero-copy path
     * avoids; it is what ND4J's {@code reshape} of the view would do, only faster (see docs/strided.md). The
     * destination is a buffer because the column matrix lives in native memory for BLAS (written in place,
     * with absolute indexing only, so threads may fill disjoint rows).
     *
     * <p>The view is checked against {@code src} ({@link WindowView#checkFits}) before the first read, so a
     * mis-sized view fails with an {@link IllegalArgumentException} instead of reading junk; after the
     * check every index below is inside {@code src} and fits in an int.
     */
    static void gatherWindows(float[] src, WindowView v, FloatBuffer dst, int dstOff) {
        gatherWindows(src, v, dst, dstOff, 0, (int) (v.shape()[0] * v.shape()[3]));
    }

    /**
     * {@link #gatherWindows(float[], WindowView, FloatBuffer, int)} for the "tap rows" {@code t0 .. t1-1}
     * only, tap row {@code t = c*kH + i} being the {@code kW} column-matrix rows {@code (c, i, 0..kW-1)};
     * disjoint ranges write disjoint rows, so they can run in parallel.
     */
    static void gatherWindows(float[] src, WindowView v, FloatBuffer dst, int dstOff, int t0, int t1) {
        checkRank5(v);
        v.checkFits(src.length);
        long[] n = v.shape();
        long[] s = v.stride();
        int channels = (int) n[0], outH = (int) n[1], outW = (int) n[2], kh = (int) n[3], kw = (int) n[4];
        int plane = outH * outW;
        checkRange("dst", dstOff, (long) channels * kh * kw * plane, dst.limit());
        checkTapRows(t0, t1, channels * kh);
        for (int t = t0; t < t1; t++) {
            int c = t / kh;
            int i = t % kh;
            for (int j = 0; j < kw; j++) {
                int row = dstOff + ((c * kh + i) * kw + j) * plane;
                long tap = v.offset() + c * s[0] + i * s[3] + j * s[4];
                for (int oh = 0; oh < outH; oh++) {
                    int from = (int) (tap + oh * s[1]);
                    int to = row + oh * outW;
                    if (s[2] == 1) {
                        // stride 1: the windows' taps (i, j) of one output row are consecutive inputs
                        dst.put(to, src, from, outW);
                    } else {
                        int step = (int) s[2];
                        for (int ow = 0; ow < outW; ow++) {
                            dst.put(to + ow, src[from + ow * step]);
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #gatherWindows}: adds each column-matrix element of {@code col[colOff..]} (a Java
     * array: the caller copies the native result out in one bulk copy, then this loop runs on arrays) back into
     * the element the view maps it to, {@code dst[v(c, oh, ow, i, j)] += col[(c, i, j), (oh, ow)]}. For a fixed
     * channel and kernel offset {@code (i, j)} this is one strided add into
     * {@code dst[c, i*dh : i*dh + sh*outH : sh, j*dw : j*dw + sw*outW : sw]}; overlapping windows hit the same
     * element several times and their contributions add up, which is exactly the chain rule for an input
     * read by several windows. Checked like the gather.
     */
    static void scatterAddWindows(float[] col, int colOff, WindowView v, float[] dst) {
        scatterAddWindows(col, colOff, v, dst, 0, (int) v.shape()[0]);
    }

    /**
     * {@link #scatterAddWindows(float[], int, WindowView, float[])} for the channels {@code c0 .. c1-1} only.
     * A convolution view's channel stride is at least the extent of one channel's windows (a channel's windows
     * stay in its own padded plane), so disjoint channel ranges write disjoint elements and can run in
     * parallel, each element still summed in one fixed order.
     */
    static void scatterAddWindows(float[] col, int colOff, WindowView v, float[] dst, int c0, int c1) {
        checkRank5(v);
        v.checkFits(dst.length);
        long[] n = v.shape();
        int channels = (int) n[0], kh = (int) n[3], kw = (int) n[4];
        int plane = (int) (n[1] * n[2]);
        checkRange("col", colOff, (long) channels * kh * kw * plane, col.length);
        checkTapRows(c0, c1, channels);
        for (int c = c0; c < c1; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    scatterAddTap(col, colOff + ((c * kh + i) * kw + j) * plane, v, c, i, j, dst);
                }
            }
        }
    }

    /**
     * One row of {@link #scatterAddWindows}: the {@code outH*outW} gradients of tap {@code (i, j)} of channel
     * {@code c}, at {@code row[rowOff..]}, added into {@code dst[v(c, oh, ow, i, j)]}: the strided add into
     * {@code dst[c, i*dh : i*dh + sh*outH : sh, j*dw : j*dw + sw*outW : sw]}. Checks the view against
     * {@code dst} first, like every kernel here.
     */
    static void scatterAddTap(float[] row, int rowOff, WindowView v, int c, int i, int j, float[] dst) {
        checkRank5(v);
        v.checkFits(dst.length);
        long[] n = v.shape();
        long[] s = v.stride();
        int outH = (int) n[1], outW = (int) n[2];
        if (c < 0 || c >= n[0] || i < 0 || i >= n[3] || j < 0 || j >= n[4]) {
            throw new IllegalArgumentException("tap: expected (c, i, j) within " + n[0] + " x " + n[3] + " x " + n[4]
                    + ", got (" + c + ", " + i + ", " + j + ")");
        }
        checkRange("row", rowOff, (long) outH * outW, row.length);
        long tap = v.offset() + c * s[0] + i * s[3] + j * s[4];
        int step = (int) s[2];
        for (int oh = 0; oh < outH; oh++) {
            int to = (int) (tap + oh * s[1]);
            int from = rowOff + oh * outW;
            if (step == 1) {
                // stride 1: a plain vector add (the JIT vectorises it)
                for (int ow = 0; ow < outW; ow++) {
                    dst[to + ow] += row[from + ow];
                }
            } else {
                for (int ow = 0; ow < outW; ow++) {
                    dst[to + ow * step] += row[from + ow];
                }
            }
        }
    }

    private static void checkRank5(WindowView v) {
        if (v.rank() != 5) {
            throw new IllegalArgumentException("view: expected rank 5 (C, outH, outW, kH, kW), got " + v.rank());
        }
    }

    private static void checkTapRows(int t0, int t1, int count) {
        if (t0 < 0 || t1 > count || t0 > t1) {
            throw new IllegalArgumentException("range: expected within [0, " + count + "], got " + t0 + " .. " + t1);
        }
    }

    private static void checkRange(String what, int off, long needed, int limit) {
        if (off < 0 || off + needed > limit) {
            throw new IllegalArgumentException(what + ": expected " + needed + " elements from " + off
                    + " within " + limit + ", got " + (limit - (long) off) + " available");
        }
    }

    /**
     * Weights {@code (K, Cg, kH, kW)} (OIHW) regrouped by kernel offset: {@code (kH*kW, K, Cg)}, element
     * {@code (i*kW + j, k, c)} at {@code ((i*kW + j)*K + k)*Cg + c}. The block of tap {@code (i, j)} is the
     * {@code (K, Cg)} matrix that multiplies {@link WindowView#tapMatrix tap matrix (i, j)}; group
     * {@code g}'s filters are its rows {@code g*Kg .. (g+1)*Kg - 1}.
     */
    static float[] tapMajorWeights(float[] w, int k, int cg, int kh, int kw) {
        float[] t = new float[k * cg * kh * kw];
        for (int f = 0; f < k; f++) {
            for (int c = 0; c < cg; c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        t[((i * kw + j) * k + f) * cg + c] = w[((f * cg + c) * kh + i) * kw + j];
                    }
                }
            }
        }
        return t;
    }

    /** The inverse of {@link #tapMajorWeights}: {@code (kH*kW, K, Cg)} back to OIHW {@code (K, Cg, kH, kW)}. */
    static void tapMajorToOihw(float[] t, int k, int cg, int kh, int kw, float[] w) {
        for (int f = 0; f < k; f++) {
            for (int c = 0; c < cg; c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        w[((f * cg + c) * kh + i) * kw + j] = t[((i * kw + j) * k + f) * cg + c];
                    }
                }
            }
        }
    }

    /**
     * Copies a band of {@code bandRows} output rows of {@code rows} planes from the wide layout
     * ({@code (rows, L)}, {@code L = (bandRows-1)*wp + outW}, plane {@code r} pixel {@code (oh, ow)} at
     * {@code wideOff + r*L + oh*wp + ow}) into compact planes of {@code dstPlane} elements
     * ({@code dst[dstOff + r*dstPlane + oh*outW + ow]}), adding {@code bias[biasOff + r]} when bias is not
     * null. The wrap-around columns are dropped.
     */
    static void wideToCompact(float[] wide, int wideOff, int rows, int bandRows, int outW, int wp,
                              float[] bias, int biasOff, float[] dst, int dstOff, int dstPlane) {
        int l = (bandRows - 1) * wp + outW;
        for (int r = 0; r < rows; r++) {
            float b = bias == null ? 0f : bias[biasOff + r];
            for (int oh = 0; oh < bandRows; oh++) {
                int from = wideOff + r * l + oh * wp;
                int to = dstOff + r * dstPlane + oh * outW;
                if (bias == null) {
                    System.arraycopy(wide, from, dst, to, outW);
                } else {
                    for (int ow = 0; ow < outW; ow++) {
                        dst[to + ow] = wide[from + ow] + b;
                    }
                }
            }
        }
    }

    /**
     * The inverse of {@link #wideToCompact} without bias: a band of compact planes into the wide layout. Only
     * the window columns are written; the caller keeps the wrap-around columns zero, so that they add nothing
     * to a GEMM that sums over columns (see the backward pass in {@link StridedBackend}).
     */
    static void compactToWide(float[] src, int srcOff, int srcPlane, int rows, int bandRows, int outW, int wp,
                              float[] wide, int wideOff) {
        int l = (bandRows - 1) * wp + outW;
        for (int r = 0; r < rows; r++) {
            for (int oh = 0; oh < bandRows; oh++) {
                System.arraycopy(src, srcOff + r * srcPlane + oh * outW, wide, wideOff + r * l + oh * wp, outW);
            }
        }
    }
}
