package org.conv4j.fft;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;

/**
 * Exact treatment of NaN and infinities, which a Fourier transform would spread to every output.
 *
 * <p>The transforms see every non-finite operand replaced by zero; this class then adds the missing
 * terms to exactly the outputs (or gradient elements) whose sum contains a non-finite operand. Why adding
 * only the non-finite terms is exact: every such term is itself non-finite ({@code Inf * 0 = NaN},
 * {@code Inf * finite = +-Inf}, {@code NaN * anything = NaN}), and a sum holding at least one non-finite
 * term is NaN if any term is NaN or if terms of both infinite signs occur, and otherwise the infinity of
 * that sign, whatever the finite terms are. So the reference's value of such an output is determined by
 * its non-finite terms alone, and {@code fftValue + term1 + term2 + ...} in float gives exactly that:
 * the finite FFT value does not matter, float addition over {+Inf, -Inf, NaN} is commutative, and it is
 * idempotent, so a term counted twice (a non-finite input times a non-finite weight is visited from both
 * sides) changes nothing. Outputs with no non-finite term are untouched.
 *
 * <p>Cost: per non-finite input element, its {@code K/groups * kH * kW} products; per non-finite weight,
 * the {@code N * outH * outW} outputs of its filter (all of which it reaches, through the zero padding
 * too: the reference multiplies padding as a real zero, and {@code 0 * NaN = NaN}).
 * Layouts are NCHW / OIHW as in {@link org.conv4j.api.Tensor4D}.
 */
final class NonFinite {

    private NonFinite() {
    }

    /** True if {@code a} holds a NaN or an infinity. */
    static boolean any(float[] a) {
        for (float v : a) {
            if (!Float.isFinite(v)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The 4-D position {@code (a, b, r, t)} of flat index {@code e} in a row-major tensor whose last three
     * dimensions are {@code (d1, d2, d3)}: NCHW for inputs and outputs, OIHW for weights.
     */
    private static int[] position(int e, int d1, int d2, int d3) {
        return new int[] {e / (d1 * d2 * d3), (e / (d2 * d3)) % d1, (e / d3) % d2, e % d3};
    }

    /** The input element {@code x[n, c, ih, iw]}, or 0 in the padding. */
    private static float padded(ConvShape s, float[] x, int n, int c, int ih, int iw) {
        if (ih < 0 || ih >= s.inH() || iw < 0 || iw >= s.inW()) {
            return 0f;
        }
        return x[((n * s.inChannels() + c) * s.inH() + ih) * s.inW() + iw];
    }

    /**
     * The output row read by tap {@code i} at input row {@code ih}: {@code oh} with
     * {@code oh*stride - pad + i*dilation == ih}, or -1 if there is none.
     */
    private static int outputFor(int ih, int i, int stride, int pad, int dilation, int outSize) {
        int num = ih + pad - i * dilation;
        if (num < 0 || num % stride != 0) {
            return -1;
        }
        int o = num / stride;
        return o < outSize ? o : -1;
    }

    /** Adds to {@code y} the non-finite terms of the forward sums. */
    static void forward(ConvShape s, float[] x, float[] w, float[] y) {
        ConvParams p = s.params();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int kh = s.kernelH();
        int kw = s.kernelW();
        for (int e = 0; e < x.length; e++) {
            float xv = x[e];
            if (Float.isFinite(xv)) {
                continue;
            }
            int[] at = position(e, s.inChannels(), s.inH(), s.inW());
            int n = at[0];
            int c = at[1];
            int ih = at[2];
            int iw = at[3];
            int g = c / cg;
            for (int k = g * kg; k < (g + 1) * kg; k++) {
                for (int i = 0; i < kh; i++) {
                    int oh = outputFor(ih, i, p.strideH(), p.padTop(), p.dilationH(), s.outH());
                    if (oh < 0) {
                        continue;
                    }
                    for (int j = 0; j < kw; j++) {
                        int ow = outputFor(iw, j, p.strideW(), p.padLeft(), p.dilationW(), s.outW());
                        if (ow >= 0) {
                            y[((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow]
                                    += xv * w[((k * cg + c - g * cg) * kh + i) * kw + j];
                        }
                    }
                }
            }
        }
        for (int e = 0; e < w.length; e++) {
            float wv = w[e];
            if (Float.isFinite(wv)) {
                continue;
            }
            int[] at = position(e, cg, kh, kw);
            int k = at[0];
            int cl = at[1];
            int i = at[2];
            int j = at[3];
            int c = (k / kg) * cg + cl;
            for (int n = 0; n < s.batch(); n++) {
                for (int oh = 0; oh < s.outH(); oh++) {
                    int ih = oh * p.strideH() - p.padTop() + i * p.dilationH();
                    for (int ow = 0; ow < s.outW(); ow++) {
                        int iw = ow * p.strideW() - p.padLeft() + j * p.dilationW();
                        y[((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow]
                                += wv * padded(s, x, n, c, ih, iw);
                    }
                }
            }
        }
    }

    /**
     * Adds to {@code dx} the non-finite terms of
     * {@code dx[n,c,ih,iw] = sum dy[n,k,oh,ow] * w[k,c,i,j]} over the taps that read {@code (ih, iw)}
     * (taps that read padding have no input element, as in the reference).
     */
    static void inputGradient(ConvShape s, float[] w, float[] dy, float[] dx) {
        ConvParams p = s.params();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int kh = s.kernelH();
        int kw = s.kernelW();
        for (int e = 0; e < dy.length; e++) {
            float g = dy[e];
            if (Float.isFinite(g)) {
                continue;
            }
            int[] at = position(e, s.outChannels(), s.outH(), s.outW());
            int n = at[0];
            int k = at[1];
            int oh = at[2];
            int ow = at[3];
            int first = (k / kg) * cg;
            for (int cl = 0; cl < cg; cl++) {
                for (int i = 0; i < kh; i++) {
                    int ih = oh * p.strideH() - p.padTop() + i * p.dilationH();
                    if (ih < 0 || ih >= s.inH()) {
                        continue;
                    }
                    for (int j = 0; j < kw; j++) {
                        int iw = ow * p.strideW() - p.padLeft() + j * p.dilationW();
                        if (iw >= 0 && iw < s.inW()) {
                            dx[((n * s.inChannels() + first + cl) * s.inH() + ih) * s.inW() + iw]
                                    += g * w[((k * cg + cl) * kh + i) * kw + j];
                        }
                    }
                }
            }
        }
        for (int e = 0; e < w.length; e++) {
            float wv = w[e];
            if (Float.isFinite(wv)) {
                continue;
            }
            int[] at = position(e, cg, kh, kw);
            int k = at[0];
            int cl = at[1];
            int i = at[2];
            int j = at[3];
            int c = (k / kg) * cg + cl;
            for (int n = 0; n < s.batch(); n++) {
                for (int oh = 0; oh < s.outH(); oh++) {
                    int ih = oh * p.strideH() - p.padTop() + i * p.dilationH();
                    if (ih < 0 || ih >= s.inH()) {
                        continue;
                    }
                    for (int ow = 0; ow < s.outW(); ow++) {
                        int iw = ow * p.strideW() - p.padLeft() + j * p.dilationW();
                        if (iw >= 0 && iw < s.inW()) {
                            dx[((n * s.inChannels() + c) * s.inH() + ih) * s.inW() + iw]
                                    += wv * dy[((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow];
                        }
                    }
                }
            }
        }
    }

    /**
     * Adds to {@code dw} the non-finite terms of
     * {@code dw[k,c,i,j] = sum_{n,oh,ow} dy[n,k,oh,ow] * xpad[n, g*Cg + c, oh*sh - pt + i*dh, ow*sw - pl + j*dw]}
     * (padding is a real zero, so a non-finite gradient reaches every tap of its filter).
     */
    static void weightGradient(ConvShape s, float[] x, float[] dy, float[] dw) {
        ConvParams p = s.params();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int kh = s.kernelH();
        int kw = s.kernelW();
        for (int e = 0; e < dy.length; e++) {
            float g = dy[e];
            if (Float.isFinite(g)) {
                continue;
            }
            int[] at = position(e, s.outChannels(), s.outH(), s.outW());
            int n = at[0];
            int k = at[1];
            int oh = at[2];
            int ow = at[3];
            int first = (k / kg) * cg;
            for (int cl = 0; cl < cg; cl++) {
                for (int i = 0; i < kh; i++) {
                    int ih = oh * p.strideH() - p.padTop() + i * p.dilationH();
                    for (int j = 0; j < kw; j++) {
                        int iw = ow * p.strideW() - p.padLeft() + j * p.dilationW();
                        dw[((k * cg + cl) * kh + i) * kw + j] += g * padded(s, x, n, first + cl, ih, iw);
                    }
                }
            }
        }
        for (int e = 0; e < x.length; e++) {
            float xv = x[e];
            if (Float.isFinite(xv)) {
                continue;
            }
            int[] at = position(e, s.inChannels(), s.inH(), s.inW());
            int n = at[0];
            int c = at[1];
            int ih = at[2];
            int iw = at[3];
            int gr = c / cg;
            int cl = c - gr * cg;
            for (int k = gr * kg; k < (gr + 1) * kg; k++) {
                for (int i = 0; i < kh; i++) {
                    int oh = outputFor(ih, i, p.strideH(), p.padTop(), p.dilationH(), s.outH());
                    if (oh < 0) {
                        continue;
                    }
                    for (int j = 0; j < kw; j++) {
                        int ow = outputFor(iw, j, p.strideW(), p.padLeft(), p.dilationW(), s.outW());
                        if (ow >= 0) {
                            dw[((k * cg + cl) * kh + i) * kw + j]
                                    += xv * dy[((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow];
                        }
                    }
                }
            }
        }
    }
}
