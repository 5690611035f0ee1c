package org.conv4j.direct;

import java.util.Arrays;

/**
 * The path for narrow outputs (fewer columns than one vector holds, {@link DirectTuning#NARROW_OUTPUT_WIDTH}),
 * where a vectorised run would be mostly overhead. Per output position {@code o = oh*outW + ow} the window of
 * one group is read as a patch, element {@code p = (c*kH + i)*kW + j} of which is
 * <pre>
 *   xpad[n, g*Cg + c, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw]
 * </pre>
 * OIHW weights are already in patch order per filter. A position whose window lies inside the input reads
 * its patch straight from the input through an offset table ({@code src[base + offsets[p]]}); any other
 * position first gathers its patch, with zeros in the padding, so that a padded tap adds {@code w * 0}
 * exactly as the reference does, and is then read through the identity table.
 */
final class PatchKernels {

    private PatchKernels() {
    }

    /** Where one output position's patch is read from: {@code src[base + table[p]]}. */
    private static final class Window {
        float[] src;
        int base;
        int[] table;
        boolean inside;
    }

    /**
     * The tables of one geometry: {@code offsets[p] = c*inPlane + i*dh*inW + j*dw} and the identity, in
     * per-thread scratch.
     */
    static final class Tables {
        final int[] offsets;
        final int[] identity;
        final int size;

        Tables(PlaneGeometry g, int channels, int inPlane) {
            size = channels * g.kernelH * g.kernelW;
            offsets = new int[size];
            identity = new int[size];
            int p = 0;
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < g.kernelH; i++) {
                    for (int j = 0; j < g.kernelW; j++, p++) {
                        offsets[p] = c * inPlane + i * g.dilationH * g.inW + j * g.dilationW;
                        identity[p] = p;
                    }
                }
            }
        }
    }

    /** Points {@code win} at position {@code o}'s patch, gathered into {@code patch} if it touches the padding. */
    private static void locate(PlaneGeometry g, Tables t, int channels, int inPlane, float[] x, int xBase, int o,
                               float[] patch, Window win) {
        int oh = o / g.outW;
        int ow = o - oh * g.outW;
        if (g.interiorRow(oh) && ow >= g.interiorColLo && ow < g.interiorColHi) {
            win.src = x;
            win.base = xBase + g.inputRow(oh, 0) * g.inW + g.inputCol(ow, 0);
            win.table = t.offsets;
            win.inside = true;
            return;
        }
        int p = 0;
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < g.kernelH; i++) {
                int ih = g.inputRow(oh, i);
                boolean rowIn = g.rowInside(ih);
                int row = xBase + c * inPlane + ih * g.inW;
                for (int j = 0; j < g.kernelW; j++) {
                    int iw = g.inputCol(ow, j);
                    patch[p++] = rowIn && iw >= 0 && iw < g.inW ? x[row + iw] : 0f;
                }
            }
        }
        win.src = patch;
        win.base = 0;
        win.table = t.identity;
        win.inside = false;
    }

    /**
     * Forward, one image and group: {@code y[yBase + kk*outPlane + o] = bias[k0 + kk] + w[k0 + kk] . patch(o)}
     * for the {@code filters} filters {@code k0 ..} and every output position. Positions go in pairs (an odd
     * last one is paired with itself) and filters in blocks of four, so that up to eight independent sums
     * run at once: a single dot product would wait on the latency of each addition.
     */
    static void forward(PlaneGeometry g, Tables t, int channels, int inPlane, float[] x, int xBase, float[] w, int k0,
                        int filters, float[] bias, float[] y, int yBase, float[] patchA, float[] patchB) {
        int size = t.size;
        int outPlane = g.outH * g.outW;
        Window a = new Window();
        Window b = new Window();
        for (int o = 0; o < outPlane; o += 2) {
            int oB = Math.min(o + 1, outPlane - 1);
            locate(g, t, channels, inPlane, x, xBase, o, patchA, a);
            locate(g, t, channels, inPlane, x, xBase, oB, patchB, b);
            int kk = 0;
            for (; kk + 4 <= filters; kk += 4) {
                dot4x2(w, (k0 + kk) * size, size, a, b, bias, k0 + kk, y, yBase + kk * outPlane, outPlane, o, oB);
            }
            if (kk + 2 <= filters) {
                dot2x2(w, (k0 + kk) * size, size, a, b, bias, k0 + kk, y, yBase + kk * outPlane, outPlane, o, oB);
                kk += 2;
            }
            for (; kk < filters; kk++) {
                int w0 = (k0 + kk) * size;
                float sa = 0f;
                float sb = 0f;
                for (int p = 0; p < size; p++) {
                    sa += w[w0 + p] * a.src[a.base + a.table[p]];
                    sb += w[w0 + p] * b.src[b.base + b.table[p]];
                }
                float bk = biasOf(bias, k0 + kk);
                y[yBase + kk * outPlane + o] = bk + sa;
                y[yBase + kk * outPlane + oB] = bk + sb;
            }
        }
    }

    /** Four filters (weights from {@code w[w0]}, {@code size} apart) at two positions: eight independent sums. */
    private static void dot4x2(float[] w, int w0, int size, Window a, Window b, float[] bias, int k,
                               float[] y, int yo, int outPlane, int o, int oB) {
        int w1 = w0 + size;
        int w2 = w1 + size;
        int w3 = w2 + size;
        float[] srcA = a.src;
        float[] srcB = b.src;
        int[] tabA = a.table;
        int[] tabB = b.table;
        int baseA = a.base;
        int baseB = b.base;
        float a0 = 0f;
        float a1 = 0f;
        float a2 = 0f;
        float a3 = 0f;
        float b0 = 0f;
        float b1 = 0f;
        float b2 = 0f;
        float b3 = 0f;
        for (int p = 0; p < size; p++) {
            float u = srcA[baseA + tabA[p]];
            float v = srcB[baseB + tabB[p]];
            float x0 = w[w0 + p];
            float x1 = w[w1 + p];
            float x2 = w[w2 + p];
            float x3 = w[w3 + p];
            a0 += x0 * u;
            a1 += x1 * u;
            a2 += x2 * u;
            a3 += x3 * u;
            b0 += x0 * v;
            b1 += x1 * v;
            b2 += x2 * v;
            b3 += x3 * v;
        }
        y[yo + o] = biasOf(bias, k) + a0;
        y[yo + outPlane + o] = biasOf(bias, k + 1) + a1;
        y[yo + 2 * outPlane + o] = biasOf(bias, k + 2) + a2;
        y[yo + 3 * outPlane + o] = biasOf(bias, k + 3) + a3;
        y[yo + oB] = biasOf(bias, k) + b0;
        y[yo + outPlane + oB] = biasOf(bias, k + 1) + b1;
        y[yo + 2 * outPlane + oB] = biasOf(bias, k + 2) + b2;
        y[yo + 3 * outPlane + oB] = biasOf(bias, k + 3) + b3;
    }

    /**
     * Two filters at two positions: four independent sums. {@link #dot4x2} cut down to two filters rather than
     * one method over a filter count: the sums must be separate locals, which C2 keeps in registers, and an
     * array of sums or a loop over filters inside the tap loop would put them back in memory.
     */
    private static void dot2x2(float[] w, int w0, int size, Window a, Window b, float[] bias, int k,
                               float[] y, int yo, int outPlane, int o, int oB) {
        int w1 = w0 + size;
        float[] srcA = a.src;
        float[] srcB = b.src;
        int[] tabA = a.table;
        int[] tabB = b.table;
        int baseA = a.base;
        int baseB = b.base;
        float a0 = 0f;
        float a1 = 0f;
        float b0 = 0f;
        float b1 = 0f;
        for (int p = 0; p < size; p++) {
            float u = srcA[baseA + tabA[p]];
            float v = srcB[baseB + tabB[p]];
            float x0 = w[w0 + p];
            float x1 = w[w1 + p];
            a0 += x0 * u;
            a1 += x1 * u;
            b0 += x0 * v;
            b1 += x1 * v;
        }
        y[yo + o] = biasOf(bias, k) + a0;
        y[yo + outPlane + o] = biasOf(bias, k + 1) + a1;
        y[yo + oB] = biasOf(bias, k) + b0;
        y[yo + outPlane + oB] = biasOf(bias, k + 1) + b1;
    }

    private static float biasOf(float[] bias, int k) {
        return bias == null ? 0f : bias[k];
    }

    /**
     * Input gradient, one image and group: per output position, {@code grad[p] = sum_k dy[k, o] * w[k0 + k, p]}
     * over the group's filters, then each {@code grad[p]} whose tap lies inside the input is added to
     * {@code dx} (a tap in the padding has no input element: dropped, as in the reference).
     */
    static void inputGradient(PlaneGeometry g, Tables t, int channels, int inPlane, float[] w, int k0, int filters,
                              float[] dy, int dyBase, float[] dx, int dxBase, float[] grad) {
        int size = t.size;
        int outPlane = g.outH * g.outW;
        for (int o = 0; o < outPlane; o++) {
            Arrays.fill(grad, 0, size, 0f);
            for (int kk = 0; kk < filters; kk++) {
                float d = dy[dyBase + kk * outPlane + o];
                int wo = (k0 + kk) * size;
                for (int p = 0; p < size; p++) {
                    grad[p] += d * w[wo + p];
                }
            }
            int oh = o / g.outW;
            int ow = o - oh * g.outW;
            if (g.interiorRow(oh) && ow >= g.interiorColLo && ow < g.interiorColHi) {
                int base = dxBase + g.inputRow(oh, 0) * g.inW + g.inputCol(ow, 0);
                int[] offsets = t.offsets;
                for (int p = 0; p < size; p++) {
                    dx[base + offsets[p]] += grad[p];
                }
                continue;
            }
            int p = 0;
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < g.kernelH; i++) {
                    int ih = g.inputRow(oh, i);
                    boolean rowIn = g.rowInside(ih);
                    int row = dxBase + c * inPlane + ih * g.inW;
                    for (int j = 0; j < g.kernelW; j++, p++) {
                        int iw = g.inputCol(ow, j);
                        if (rowIn && iw >= 0 && iw < g.inW) {
                            dx[row + iw] += grad[p];
                        }
                    }
                }
            }
        }
    }

    /**
     * Weight gradient of one group, summed over every image and position in that order (so the result
     * does not depend on threads), in float: {@code dw[k0 + k, p] = sum_{n, o} dy[n, k, o] * patch_n(o)[p]};
     * padded taps contribute {@code dy * 0} as in the reference. {@code acc} holds {@code filters * size} floats.
     */
    static void weightGradient(PlaneGeometry g, Tables t, int batch, int channels, int inPlane, float[] x, int xBase,
                               int xImageStride, int k0, int filters, float[] dy, int dyBase, int dyImageStride,
                               float[] dw, float[] patch, float[] acc) {
        int size = t.size;
        int outPlane = g.outH * g.outW;
        Arrays.fill(acc, 0, filters * size, 0f);
        Window win = new Window();
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < outPlane; o++) {
                locate(g, t, channels, inPlane, x, xBase + n * xImageStride, o, patch, win);
                float[] src = win.src;
                int base = win.base;
                int[] table = win.table;
                int dyo = dyBase + n * dyImageStride + o;
                for (int kk = 0; kk < filters; kk++) {
                    float d = dy[dyo + kk * outPlane];
                    int a = kk * size;
                    for (int p = 0; p < size; p++) {
                        acc[a + p] += d * src[base + table[p]];
                    }
                }
            }
        }
        for (int e = 0; e < filters * size; e++) {
            dw[k0 * size + e] = acc[e];
        }
    }
}
