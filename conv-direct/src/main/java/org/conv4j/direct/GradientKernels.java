package org.conv4j.direct;

import java.util.Arrays;

/**
 * The parts of the backward pass that are not a forward-style correlation: the input gradient at a
 * stride above 1 (a scatter), the weight gradient (a correlation of an input plane with a {@code dL/dy}
 * plane, summed over the batch), and the flipped weights of the stride-1 input gradient. Layouts are NCHW
 * and OIHW, flat, with the offsets given; the geometry is the forward pass's ({@link PlaneGeometry}).
 */
final class GradientKernels {

    private GradientKernels() {
    }

    /**
     * The flipped, transposed weights that turn the stride-1 input gradient into a correlation of
     * {@code dL/dy}: with {@code Kg = K/groups}, {@code Cg = C/groups}, {@code c = g*Cg + cc},
     * <pre>
     *   flipped[((c*Kg + kk)*kH + (kH-1-i))*kW + (kW-1-j)] = w[(((g*Kg + kk)*Cg + cc)*kH + i)*kW + j]
     * </pre>
     * i.e. a weight tensor {@code (C, Kg, kH, kW)} whose "filter" {@code c} reads the {@code Kg} planes of
     * {@code dL/dy} of its group.
     */
    static float[] flippedTransposed(float[] w, int filters, int channelsPerGroup, int groups, int kernelH,
                                     int kernelW) {
        int kg = filters / groups;
        int taps = kernelH * kernelW;
        float[] out = new float[w.length];
        for (int k = 0; k < filters; k++) {
            int g = k / kg;
            int kk = k - g * kg;
            for (int cc = 0; cc < channelsPerGroup; cc++) {
                int c = g * channelsPerGroup + cc;
                int from = (k * channelsPerGroup + cc) * taps;
                int to = (c * kg + kk) * taps;
                for (int t = 0; t < taps; t++) {
                    out[to + taps - 1 - t] = w[from + t];
                }
            }
        }
        return out;
    }

    /**
     * Adds to one input-gradient plane (starting at {@code dx[dxBase]}) the terms of one filter:
     * {@code dx[ih, iw] += dy[oh, ow] * w[i, j]} for every tap with {@code ih = oh*sh - padTop + i*dh},
     * {@code iw = ow*sw - padLeft + j*dw} inside the input. Taps that read padding have no input element and
     * add nothing (the reference drops them too). Any stride; stores are strided, so this is scalar code.
     */
    static void scatterFilter(PlaneGeometry g, float[] dy, int dyBase, float[] w, int wBase, float[] dx, int dxBase) {
        for (int oh = 0; oh < g.outH; oh++) {
            int dyRow = dyBase + oh * g.outW;
            for (int i = 0; i < g.kernelH; i++) {
                int ih = g.inputRow(oh, i);
                if (!g.rowInside(ih)) {
                    continue;
                }
                for (int j = 0; j < g.kernelW; j++) {
                    int lo = g.colLo[j];
                    int len = g.colHi[j] - lo;
                    if (len <= 0) {
                        continue;
                    }
                    float wv = w[wBase + i * g.kernelW + j];
                    int dxo = dxBase + ih * g.inW + g.inputCol(lo, j);
                    int dyo = dyRow + lo;
                    int sw = g.strideW;
                    for (int o = 0; o < len; o++) {
                        dx[dxo + o * sw] += wv * dy[dyo + o];
                    }
                }
            }
        }
    }

    /**
     * The weight gradient of one (filter, channel) pair, every tap:
     * <pre>
     *   dw[dwBase + i*kW + j] = sum_{n, oh, ow} dy[dyBase(n) + oh*outW + ow] * xpad[xBase(n) + ih*inW + iw]
     * </pre>
     * with {@code dyBase(n) = dyBase + n*dyImageStride} and {@code xBase(n) = xBase + n*xImageStride}. Per tap,
     * the products are accumulated lane-wise ({@code lanes[o] += dy[o] * x[o + a]}, a form C2 vectorises)
     * over every image and output row, in a fixed order, and the lanes are then summed in double: the result
     * depends on nothing but the data, and float rounding grows only with {@code N*outH}, not with
     * {@code N*outH*outW}.
     *
     * <p>Padded positions contribute {@code dy * 0}: zero, unless {@code dy} is not finite. They are added
     * only when {@code dyFinite} is false (the caller knows from the bias gradient whether this filter's
     * {@code dL/dy} holds a non-finite value).
     *
     * @param lanes scratch of at least {@code outW} floats
     */
    static void weightGradient(PlaneGeometry g, int batch, float[] x, int xBase, int xImageStride,
                               float[] dy, int dyBase, int dyImageStride, boolean dyFinite,
                               float[] dw, int dwBase, float[] lanes) {
        for (int i = 0; i < g.kernelH; i++) {
            for (int j = 0; j < g.kernelW; j++) {
                int lo = g.colLo[j];
                int len = g.colHi[j] - lo;
                double sum = 0;
                if (len > 0) {
                    Arrays.fill(lanes, 0, len, 0f);
                    for (int n = 0; n < batch; n++) {
                        int xImage = xBase + n * xImageStride;
                        int dyImage = dyBase + n * dyImageStride;
                        for (int oh = 0; oh < g.outH; oh++) {
                            int ih = g.inputRow(oh, i);
                            if (!g.rowInside(ih)) {
                                continue;
                            }
                            int xo = xImage + ih * g.inW + g.inputCol(lo, j);
                            int dyo = dyImage + oh * g.outW + lo;
                            if (g.strideW == 1) {
                                multiplyAdd(lanes, dy, dyo, x, xo, len);
                            } else {
                                multiplyAddStrided(lanes, dy, dyo, x, xo, g.strideW, len);
                            }
                        }
                    }
                    for (int o = 0; o < len; o++) {
                        sum += lanes[o];
                    }
                }
                if (!dyFinite) {
                    sum += paddingTerms(g, batch, dy, dyBase, dyImageStride, i, j);
                }
                dw[dwBase + i * g.kernelW + j] = (float) sum;
            }
        }
    }

    /**
     * As {@link #weightGradient}, at stride 1 with {@code outW <= inW}, in long vectorised runs: the rows of
     * a run are laid out with the input's pitch ({@code q = r*inW + ow}), {@code dL/dy} is copied into that
     * layout once per run (zeros past {@code outW}), and for each kernel column {@code j} the input run
     * {@code x[origin(i, j) + q]} is copied (one {@code System.arraycopy}), its positions whose column
     * reads padding set to zero, and {@code lanes_j[q] += d[q] * t[q]} accumulated: every access indexed
     * alike, which C2 needs to vectorise (docs/direct.md#what-c2-vectorises). A padded position thus
     * contributes {@code dy * 0}, as in the reference. Lanes are summed in double per tap at the end;
     * the order of every sum is fixed by the shape alone.
     */
    static void weightGradientRuns(PlaneGeometry g, int batch, float[] x, int xBase, int xImageStride,
                                   float[] dy, int dyBase, int dyImageStride, boolean dyFinite,
                                   float[] dw, int dwBase) {
        Scratch scratch = Scratch.get();
        int pitch = g.inW;
        int runRows = Math.max(1, DirectTuning.RUN_ELEMENTS / pitch);
        int runLength = Math.min(runRows, g.outH) * pitch;
        float[] d = scratch.row(Scratch.DY, runLength);
        float[] t = scratch.row(Scratch.TAP, runLength);
        float[][] lanes = scratch.lanes(g.kernelW, runLength);
        int planeSize = g.inH * g.inW;
        for (int i = 0; i < g.kernelH; i++) {
            for (int j = 0; j < g.kernelW; j++) {
                Arrays.fill(lanes[j], 0, runLength, 0f);
            }
            int rowLo = Math.max(0, g.padTop - i * g.dilationH);
            int rowHi = Math.min(g.outH, g.inH + g.padTop - i * g.dilationH);
            for (int n = 0; n < batch; n++) {
                int xImage = xBase + n * xImageStride;
                int dyImage = dyBase + n * dyImageStride;
                for (int first = rowLo; first < rowHi; first += runRows) {
                    int rows = Math.min(rowHi, first + runRows) - first;
                    int len = rows * pitch;
                    copyRows(dy, dyImage + first * g.outW, g.outW, rows, d, pitch);
                    int origin = xImage + g.inputRow(first, i) * pitch - g.padLeft;
                    for (int j = 0; j < g.kernelW; j++) {
                        CorrelationKernels.copyClamped(x, origin + j * g.dilationW, xImage, xImage + planeSize, t, len);
                        zeroOutside(t, rows, pitch, g.colLo[j], g.colHi[j]);
                        multiplyAdd(lanes[j], d, t, len);
                    }
                }
            }
            for (int j = 0; j < g.kernelW; j++) {
                double sum = 0;
                float[] lane = lanes[j];
                for (int q = 0; q < runLength; q++) {
                    sum += lane[q];
                }
                if (!dyFinite) {
                    sum += paddingTerms(g, batch, dy, dyBase, dyImageStride, i, j);
                }
                dw[dwBase + i * g.kernelW + j] = (float) sum;
            }
        }
    }

    /** {@code rows} rows of {@code width} floats from {@code src[from]} into {@code d} at a pitch, zeros between. */
    private static void copyRows(float[] src, int from, int width, int rows, float[] d, int pitch) {
        if (width == pitch) {
            System.arraycopy(src, from, d, 0, rows * pitch);
            return;
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(src, from + r * width, d, r * pitch, width);
            Arrays.fill(d, r * pitch + width, (r + 1) * pitch, 0f);
        }
    }

    /** Zeroes, in each of {@code rows} rows of pitch {@code pitch}, the columns outside {@code [lo, hi)}. */
    private static void zeroOutside(float[] t, int rows, int pitch, int lo, int hi) {
        if (lo == 0 && hi == pitch) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            int row = r * pitch;
            for (int v = 0; v < lo; v++) {
                t[row + v] = 0f;
            }
            for (int v = hi; v < pitch; v++) {
                t[row + v] = 0f;
            }
        }
    }

    /** {@code lanes[q] += d[q] * t[q]}: every access indexed alike, so C2 vectorises it. */
    private static void multiplyAdd(float[] lanes, float[] d, float[] t, int len) {
        for (int q = 0; q < len; q++) {
            lanes[q] += d[q] * t[q];
        }
    }

    /** {@code lanes[o] += dy[dyo + o] * x[xo + o]} for {@code o < len}. */
    private static void multiplyAdd(float[] lanes, float[] dy, int dyo, float[] x, int xo, int len) {
        for (int o = 0; o < len; o++) {
            lanes[o] += dy[dyo + o] * x[xo + o];
        }
    }

    /** {@code lanes[o] += dy[dyo + o] * x[xo + o*stride]} for {@code o < len}. */
    private static void multiplyAddStrided(float[] lanes, float[] dy, int dyo, float[] x, int xo, int stride, int len) {
        for (int o = 0; o < len; o++) {
            lanes[o] += dy[dyo + o] * x[xo + o * stride];
        }
    }

    /** {@code sum dy * 0} over the outputs whose tap {@code (i, j)} reads padding: NaN if one is not finite. */
    private static double paddingTerms(PlaneGeometry g, int batch, float[] dy, int dyBase, int dyImageStride,
                                       int i, int j) {
        double sum = 0;
        for (int n = 0; n < batch; n++) {
            for (int oh = 0; oh < g.outH; oh++) {
                boolean rowIn = g.rowInside(g.inputRow(oh, i));
                int dyo = dyBase + n * dyImageStride + oh * g.outW;
                for (int ow = 0; ow < g.outW; ow++) {
                    if (!rowIn || ow < g.colLo[j] || ow >= g.colHi[j]) {
                        sum += dy[dyo + ow] * 0.0;
                    }
                }
            }
        }
        return sum;
    }
}
