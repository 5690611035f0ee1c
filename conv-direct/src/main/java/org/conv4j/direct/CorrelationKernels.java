package org.conv4j.direct;

import java.util.Arrays;
import org.conv4j.api.Tensor4D;

/**
 * Output rows of one plane of a multi-channel 2D correlation, over {@code float[]} with offsets:
 * <pre>
 *   y[yBase + oh*outW + ow] = bias + sum_{c < channels, i < kH, j < kW}
 *                             w[wBase + (c*kH + i)*kW + j] * x[xBase + c*xStride + ih*inW + iw]
 * </pre>
 * with {@code ih}, {@code iw} and the meaning of positions outside the input as {@link PlaneGeometry}
 * defines them. The forward pass is this with the input planes of one image and group and the filter's
 * weights; the input gradient at stride 1 is this with the planes of {@code dL/dy} and the flipped,
 * transposed weights ({@link DirectBackend}).
 *
 * <p>Each output row is computed on its own (so rows may be split between threads), in one of two ways:
 * <ul>
 *   <li><b>interior rows</b> (every kernel row inside the input): in long runs of vectorised loops over
 *       copies of the taps ({@link #runs}, where the reason for the copies is explained);</li>
 *   <li><b>the other rows</b> (a kernel row in the padding; at most the padding's height): one scalar pass
 *       per tap over the columns where that tap is inside ({@link #tapByTapRow}), and the zero-padding
 *       terms where a weight is not finite (see below).</li>
 * </ul>
 *
 * <p>Padding as a real zero: where {@link PlaneGeometry#zeroPadding} is set, a tap that reads padding adds
 * {@code w * 0}. For a finite weight that adds zero and is skipped; for an infinite or NaN weight it adds
 * NaN, exactly as the reference does. Where it is not set, such taps add nothing.
 */
final class CorrelationKernels {

    private CorrelationKernels() {
    }

    /**
     * Output rows {@code [rowFrom, rowTo)} of one plane (formula in the class comment); every element of
     * those rows is overwritten. Interior rows (every kernel row inside the input) go through vectorised
     * {@link #runs}; the others tap by tap ({@link #tapByTapRow}).
     */
    static void rows(PlaneGeometry g, float[] x, int xBase, int xStride, int channels,
                     float[] w, int wBase, float bias, float[] y, int yBase, int rowFrom, int rowTo) {
        int bandFrom = Math.max(rowFrom, g.interiorRowLo);
        int bandTo = Math.min(rowTo, g.interiorRowHi);
        if (bandFrom >= bandTo || g.interiorColLo >= g.interiorColHi) {
            bandFrom = rowTo;
            bandTo = rowTo;
        }
        for (int oh = rowFrom; oh < bandFrom; oh++) {
            tapByTapRow(g, x, xBase, xStride, channels, w, wBase, bias, y, yBase + oh * g.outW, oh);
        }
        if (bandFrom < bandTo) {
            // Whole rows in the runs when a padded tap may be read as a zero from the copies: always under
            // zero padding; with absent padding only if no weight is non-finite (there w * 0 would be NaN,
            // not nothing). A contiguous run (stride 1) spans at most the input's pitch; wider rows are
            // gathered row by row.
            boolean wholeRows = g.zeroPadding
                    || Tensor4D.allFinite(w, wBase, wBase + channels * g.kernelH * g.kernelW);
            int from = wholeRows ? 0 : g.interiorColLo;
            int to = wholeRows ? g.outW : g.interiorColHi;
            boolean contiguous = contiguous(g) && to - from <= g.inW;
            runs(g, contiguous, x, xBase, xStride, channels, w, wBase, bias, y, yBase, bandFrom, bandTo,
                    from, to);
            if (!wholeRows) {
                for (int r = bandFrom; r < bandTo; r++) {
                    borderColumns(g, x, xBase, xStride, channels, w, wBase, bias, y, yBase, r);
                }
            }
        }
        for (int oh = Math.max(bandTo, rowFrom); oh < rowTo; oh++) {
            tapByTapRow(g, x, xBase, xStride, channels, w, wBase, bias, y, yBase + oh * g.outW, oh);
        }
    }

    /** True if a run is one stretch of the input (stride 1 both ways); otherwise each run row is gathered. */
    private static boolean contiguous(PlaneGeometry g) {
        return g.strideH == 1 && g.strideW == 1;
    }

    /** The columns outside {@code [interiorColLo, interiorColHi)} of output row {@code oh}, one by one. */
    private static void borderColumns(PlaneGeometry g, float[] x, int xBase, int xStride, int channels, float[] w,
                                      int wBase, float bias, float[] y, int yBase, int oh) {
        int yo = yBase + oh * g.outW;
        for (int ow = 0; ow < g.interiorColLo; ow++) {
            y[yo + ow] = bias + window(g, x, xBase, xStride, channels, w, wBase, oh, ow);
        }
        for (int ow = g.interiorColHi; ow < g.outW; ow++) {
            y[yo + ow] = bias + window(g, x, xBase, xStride, channels, w, wBase, oh, ow);
        }
    }

    /**
     * Columns {@code [colFrom, colTo)} of interior rows {@code [rowFrom, rowTo)} at stride 1, in long
     * vectorised runs.
     *
     * <p>Why copies: C2 (JDK 17) vectorises a loop only when every array access in it has the same index
     * expression; {@code y[o] += w * x[o + a]} with an offset between the store and a load stays scalar
     * (measured: docs/direct.md#what-c2-vectorises). So each tap's inputs are first copied
     * ({@code System.arraycopy}, itself vectorised) into a buffer indexed like the accumulator, and the sums
     * run as {@code acc[q] += w0*t0[q] + w1*t1[q] + w2*t2[q]} (at most three taps per loop: larger bodies
     * exceed C2's unrolling budget and stay scalar).
     *
     * <p>Why long: rows are processed as one run with the input's pitch: position {@code q} of the run is
     * output row {@code rowFrom + q / inW}, column {@code colFrom + q % inW}, and its tap {@code (i, j)}
     * reads input element {@code origin(i, j) + q}, one offset for the whole run because at stride 1 the
     * next output row reads the next input row. Positions past {@code colTo - colFrom} in a row are computed
     * from whatever the copies hold there and never copied out. A tap position that reads padding (a column
     * outside the tap's {@code [colLo, colHi)}) is set to zero in the copy, so it adds {@code w * 0}, exactly
     * the zero-padding term (the caller uses whole rows only when that term is right). Runs are cut at
     * {@link DirectTuning#RUN_ELEMENTS} so that the buffers stay in the L1 cache.
     *
     * <p>At a stride above 1 the next output row does not read the next input row (nor the next column
     * the next column), so each row of a run is gathered on its own ({@link #gatherTap}, scalar strided
     * loads, pitch = the run's width), and the sums are the same vectorised loops; so are rows wider than
     * the input ({@code contiguous} false).
     */
    private static void runs(PlaneGeometry g, boolean contiguous, float[] x, int xBase, int xStride, int channels,
                             float[] w, int wBase, float bias, float[] y, int yBase, int rowFrom, int rowTo,
                             int colFrom, int colTo) {
        Scratch scratch = Scratch.get();
        int width = colTo - colFrom;
        int pitch = contiguous ? g.inW : width;
        int taps = g.kernelH * g.kernelW;
        int runRows = Math.max(1, DirectTuning.RUN_ELEMENTS / pitch);
        int planeSize = g.inH * g.inW;
        for (int first = rowFrom; first < rowTo; first += runRows) {
            int rows = Math.min(rowTo, first + runRows) - first;
            int len = (rows - 1) * pitch + width;
            float[] acc = scratch.row(Scratch.ACC, len);
            float[] t0 = scratch.row(Scratch.TAP, len);
            float[] t1 = scratch.row(Scratch.TAP + 1, len);
            float[] t2 = scratch.row(Scratch.TAP + 2, len);
            boolean accumulating = false;
            for (int c = 0; c < channels; c++) {
                int plane = xBase + c * xStride;
                int origin = plane + g.inputRow(first, 0) * g.inW + g.inputCol(colFrom, 0);
                int wc = wBase + c * taps;
                for (int t = 0; t < taps; t += 3) {
                    int n = Math.min(3, taps - t);
                    tap(g, contiguous, x, origin, plane, planeSize, t, t0, len, first, rows, colFrom, colTo);
                    float w0 = w[wc + t];
                    float w1 = 0f;
                    float w2 = 0f;
                    if (n > 1) {
                        tap(g, contiguous, x, origin, plane, planeSize, t + 1, t1, len, first, rows, colFrom, colTo);
                        w1 = w[wc + t + 1];
                    }
                    if (n > 2) {
                        tap(g, contiguous, x, origin, plane, planeSize, t + 2, t2, len, first, rows, colFrom, colTo);
                        w2 = w[wc + t + 2];
                    }
                    if (!accumulating) {
                        // the first group also sets the accumulator, which saves a pass that fills it with the bias
                        set(acc, bias, t0, t1, t2, w0, w1, w2, n, len);
                        accumulating = true;
                    } else if (n == 3) {
                        add3(acc, t0, t1, t2, w0, w1, w2, len);
                    } else if (n == 2) {
                        add2(acc, t0, t1, w0, w1, len);
                    } else {
                        add1(acc, t0, w0, len);
                    }
                }
            }
            if (width == g.outW && width == pitch) {
                System.arraycopy(acc, 0, y, yBase + first * g.outW, len);
            } else {
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(acc, r * pitch, y, yBase + (first + r) * g.outW + colFrom, width);
                }
            }
        }
    }

    private static void tap(PlaneGeometry g, boolean contiguous, float[] x, int origin, int plane, int planeSize,
                            int tap,
                            float[] t, int len, int first, int rows, int colFrom, int colTo) {
        if (contiguous) {
            copyTap(g, x, origin, plane, planeSize, tap, t, len, rows, colFrom, colTo);
        } else {
            gatherTap(g, x, plane, tap, t, first, rows, colFrom, colTo);
        }
    }

    /**
     * Any stride: {@code t[r*width + v] = xpad[plane, inputRow(first + r, i), inputCol(colFrom + v, j)]} for
     * {@code r < rows}, {@code v < width = colTo - colFrom}, with 0 where the column reads padding (the rows
     * are interior, so every row is inside).
     */
    private static void gatherTap(PlaneGeometry g, float[] x, int plane, int tap, float[] t, int first, int rows,
                                  int colFrom, int colTo) {
        int i = tap / g.kernelW;
        int j = tap - i * g.kernelW;
        int width = colTo - colFrom;
        int vLo = Math.min(width, Math.max(0, g.colLo[j] - colFrom));
        int vHi = Math.max(vLo, Math.min(width, g.colHi[j] - colFrom));
        int sw = g.strideW;
        for (int r = 0; r < rows; r++) {
            int row = r * width;
            int src = plane + g.inputRow(first + r, i) * g.inW + g.inputCol(colFrom, j);
            for (int v = 0; v < vLo; v++) {
                t[row + v] = 0f;
            }
            if (sw == 1) {
                System.arraycopy(x, src + vLo, t, row + vLo, vHi - vLo);
            } else {
                for (int v = vLo; v < vHi; v++) {
                    t[row + v] = x[src + v * sw];
                }
            }
            for (int v = vHi; v < width; v++) {
                t[row + v] = 0f;
            }
        }
    }

    /**
     * {@code t[q] = x[origin + i*dh*inW + j*dw + q]} for {@code q < len}, tap {@code (i, j) = (tap / kW, tap % kW)},
     * then zero at every position whose column (in each of the {@code rows} rows of pitch {@code inW},
     * starting at column {@code colFrom}) reads padding for kernel column {@code j}.
     */
    private static void copyTap(PlaneGeometry g, float[] x, int origin, int plane, int planeSize, int tap, float[] t,
                                int len, int rows, int colFrom, int colTo) {
        int i = tap / g.kernelW;
        int j = tap - i * g.kernelW;
        copyClamped(x, origin + i * g.dilationH * g.inW + j * g.dilationW, plane, plane + planeSize, t, len);
        int zeroTo = Math.min(colTo, g.colLo[j]) - colFrom;
        int zeroFrom = Math.max(colFrom, g.colHi[j]) - colFrom;
        int width = colTo - colFrom;
        if (zeroTo > 0 || zeroFrom < width) {
            for (int r = 0; r < rows; r++) {
                int row = r * g.inW;
                for (int v = 0; v < zeroTo; v++) {
                    t[row + v] = 0f;
                }
                for (int v = zeroFrom; v < width; v++) {
                    t[row + v] = 0f;
                }
            }
        }
    }

    /** {@code t[q] = x[from + q]} where {@code from + q} lies in {@code [lo, hi)}, else 0, for {@code q < len}. */
    static void copyClamped(float[] x, int from, int lo, int hi, float[] t, int len) {
        int head = Math.min(len, Math.max(0, lo - from));
        int end = Math.max(head, Math.min(len, hi - from));
        if (head > 0) {
            Arrays.fill(t, 0, head, 0f);
        }
        if (end > head) {
            System.arraycopy(x, from + head, t, head, end - head);
        }
        if (end < len) {
            Arrays.fill(t, end, len, 0f);
        }
    }

    /** {@code acc[q] = bias + w0*t0[q] (+ w1*t1[q] (+ w2*t2[q]))} for the first {@code n} taps. */
    private static void set(float[] acc, float bias, float[] t0, float[] t1, float[] t2, float w0, float w1, float w2,
                            int n, int len) {
        if (n == 3) {
            for (int q = 0; q < len; q++) {
                acc[q] = bias + w0 * t0[q] + w1 * t1[q] + w2 * t2[q];
            }
        } else if (n == 2) {
            for (int q = 0; q < len; q++) {
                acc[q] = bias + w0 * t0[q] + w1 * t1[q];
            }
        } else {
            for (int q = 0; q < len; q++) {
                acc[q] = bias + w0 * t0[q];
            }
        }
    }

    /** {@code acc[q] += w0*t0[q]}: every access indexed alike, so C2 vectorises it. */
    static void add1(float[] acc, float[] t0, float w0, int len) {
        for (int q = 0; q < len; q++) {
            acc[q] += w0 * t0[q];
        }
    }

    /** {@code acc[q] += w0*t0[q] + w1*t1[q]}. */
    static void add2(float[] acc, float[] t0, float[] t1, float w0, float w1, int len) {
        for (int q = 0; q < len; q++) {
            acc[q] += w0 * t0[q] + w1 * t1[q];
        }
    }

    /** {@code acc[q] += w0*t0[q] + w1*t1[q] + w2*t2[q]}. */
    static void add3(float[] acc, float[] t0, float[] t1, float[] t2, float w0, float w1, float w2, int len) {
        for (int q = 0; q < len; q++) {
            acc[q] += w0 * t0[q] + w1 * t1[q] + w2 * t2[q];
        }
    }

    /** One output row (starting at {@code y[yo]}) as one pass per tap over the columns where it is inside. */
    private static void tapByTapRow(PlaneGeometry g, float[] x, int xBase, int xStride, int channels,
                                    float[] w, int wBase, float bias, float[] y, int yo, int oh) {
        Arrays.fill(y, yo, yo + g.outW, bias);
        int taps = g.kernelH * g.kernelW;
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < g.kernelH; i++) {
                int ih = g.inputRow(oh, i);
                boolean inside = g.rowInside(ih);
                for (int j = 0; j < g.kernelW; j++) {
                    float wv = w[wBase + c * taps + i * g.kernelW + j];
                    int lo = inside ? g.colLo[j] : g.outW;
                    int hi = inside ? g.colHi[j] : g.outW;
                    if (lo < hi) {
                        int xo = xBase + c * xStride + ih * g.inW + g.inputCol(lo, j);
                        if (g.strideW == 1) {
                            axpy(y, yo + lo, x, xo, wv, hi - lo);
                        } else {
                            axpyStrided(y, yo + lo, x, xo, g.strideW, wv, hi - lo);
                        }
                    }
                    if (g.zeroPadding && !Float.isFinite(wv)) {
                        // wv * 0 is NaN: every output whose tap (i, j) reads padding becomes NaN
                        float padTerm = wv * 0f;
                        addConstant(y, yo, inside ? g.colLo[j] : g.outW, padTerm);
                        if (inside) {
                            addConstant(y, yo + g.colHi[j], g.outW - g.colHi[j], padTerm);
                        }
                    }
                }
            }
        }
    }

    /**
     * The window sum of one output element, tap by tap, in float: the border columns of the runs when
     * those cannot cover whole rows.
     * Padding taps add {@code w * 0} under {@link PlaneGeometry#zeroPadding} and nothing otherwise.
     */
    static float window(PlaneGeometry g, float[] x, int xBase, int xStride, int channels, float[] w, int wBase,
                        int oh, int ow) {
        float acc = 0f;
        int taps = g.kernelH * g.kernelW;
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < g.kernelH; i++) {
                int ih = g.inputRow(oh, i);
                boolean rowIn = g.rowInside(ih);
                for (int j = 0; j < g.kernelW; j++) {
                    int iw = g.inputCol(ow, j);
                    float wv = w[wBase + c * taps + i * g.kernelW + j];
                    if (rowIn && iw >= 0 && iw < g.inW) {
                        acc += wv * x[xBase + c * xStride + ih * g.inW + iw];
                    } else if (g.zeroPadding) {
                        acc += wv * 0f;
                    }
                }
            }
        }
        return acc;
    }

    /** {@code y[yo + o] += a * x[xo + o]} for {@code o < len} (an offset between store and load: scalar code). */
    static void axpy(float[] y, int yo, float[] x, int xo, float a, int len) {
        for (int o = 0; o < len; o++) {
            y[yo + o] += a * x[xo + o];
        }
    }

    /** {@code y[yo + o] += a * x[xo + o*stride]} for {@code o < len} (strided loads: scalar code). */
    static void axpyStrided(float[] y, int yo, float[] x, int xo, int stride, float a, int len) {
        for (int o = 0; o < len; o++) {
            y[yo + o] += a * x[xo + o * stride];
        }
    }

    private static void addConstant(float[] y, int yo, int len, float v) {
        for (int o = 0; o < len; o++) {
            y[yo + o] += v;
        }
    }
}
