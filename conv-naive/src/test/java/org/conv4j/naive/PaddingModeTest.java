package org.conv4j.naive;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reference's padding modes: hand-computed rows, and gradients against finite differences. */
class PaddingModeTest {

    private static final NaiveBackend NAIVE = new NaiveBackend();

    /** The row {@code [1 2 3]} padded by 2 on each side, read through a 1x1 identity kernel. */
    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void aPaddedRowHoldsTheModesCopies(PaddingMode mode) {
        Tensor4D x = Tensor4D.wrap(new float[] {1, 2, 3}, 1, 1, 1, 3);
        Tensor4D w = Tensor4D.wrap(new float[] {1}, 1, 1, 1, 1);
        ConvParams p = ConvParams.builder().padding(0, 0, 2, 2).paddingMode(mode).build();
        float[] expected;
        float[] copies; // how many padded positions hold each input element: dL/dx for dL/dy = 1
        switch (mode) {
            case REFLECT: expected = new float[] {3, 2, 1, 2, 3, 2, 1}; copies = new float[] {2, 3, 2}; break;
            case REPLICATE: expected = new float[] {1, 1, 1, 2, 3, 3, 3}; copies = new float[] {3, 1, 3}; break;
            case CIRCULAR: expected = new float[] {2, 3, 1, 2, 3, 1, 2}; copies = new float[] {2, 3, 2}; break;
            default: expected = new float[] {0, 0, 1, 2, 3, 0, 0}; copies = new float[] {1, 1, 1}; break;
        }
        assertArrayEquals(expected, NAIVE.forward(x, w, null, p).data());
        ConvGradients g = NAIVE.backward(x, w, Tensor4D.filled(1, 1, 1, 1, 7), p);
        assertArrayEquals(copies, g.input().data());
        assertEquals(expected[0] + expected[1] + expected[2] + expected[3] + expected[4] + expected[5] + expected[6],
                g.weight().data()[0], 1e-6);
    }

    static Stream<ConvParams> params() {
        return Stream.of(PaddingMode.REFLECT, PaddingMode.REPLICATE, PaddingMode.CIRCULAR).flatMap(m -> Stream.of(
                ConvParams.builder().padding(2, 1, 1, 2).paddingMode(m).build(),
                ConvParams.builder().stride(2).dilation(2, 1).padding(3, 2, 0, 1).paddingMode(m).build(),
                ConvParams.builder().groups(2).samePadding(5, 6, 3, 2).paddingMode(m).build()));
    }

    /**
     * {@code L = sum(dy * conv(pad(x), w))} with the padded input built here by concatenating mirrored, repeated
     * or wrapped slices, and the convolution done with no padding; its central differences are exact up to
     * double rounding (L is linear in each variable).
     */
    @ParameterizedTest
    @MethodSource("params")
    void gradientsMatchFiniteDifferencesOfThePaddedConvolution(ConvParams p) {
        Tensor4D x = Tensor4D.random(21, 2, 4, 5, 6);
        Tensor4D w = Tensor4D.random(22, 4, 4 / p.groups(), 3, 2);
        ConvShape s = ConvShape.forward(x, w, null, p);
        Tensor4D dy = Tensor4D.random(23, s.batch(), s.outChannels(), s.outH(), s.outW());
        ConvGradients g = NAIVE.backward(x, w, dy, p);
        double[] xd = toDouble(x.data());
        double[] wd = toDouble(w.data());
        final double h = 1e-3;
        for (int pass = 0; pass < 2; pass++) {
            double[] v = pass == 0 ? xd : wd;
            float[] analytic = pass == 0 ? g.input().data() : g.weight().data();
            for (int i = 0; i < v.length; i++) {
                double saved = v[i];
                v[i] = saved + h;
                double plus = loss(s, xd, wd, dy.data());
                v[i] = saved - h;
                double minus = loss(s, xd, wd, dy.data());
                v[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                assertEquals(numeric, analytic[i], 1e-5 * Math.max(1, Math.abs(numeric)),
                        (pass == 0 ? "dx[" : "dw[") + i + "] for " + p);
            }
        }
        // and the forward pass is the padded convolution
        float[] y = NAIVE.forward(x, w, null, p).data();
        double[] yd = convolvePadded(s, xd, wd);
        for (int i = 0; i < y.length; i++) {
            assertEquals(yd[i], y[i], 1e-5, "y[" + i + "] for " + p);
        }
    }

    private static double loss(ConvShape s, double[] x, double[] w, float[] dy) {
        double[] y = convolvePadded(s, x, w);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += dy[i] * y[i];
        }
        return l;
    }

    /** Pads every plane by slices, then convolves with no padding. */
    private static double[] convolvePadded(ConvShape s, double[] x, double[] w) {
        ConvParams p = s.params();
        int ph = s.inH() + p.padTop() + p.padBottom();
        int pw = s.inW() + p.padLeft() + p.padRight();
        double[] padded = new double[s.batch() * s.inChannels() * ph * pw];
        for (int plane = 0; plane < s.batch() * s.inChannels(); plane++) {
            double[][] rows = new double[s.inH()][];
            for (int r = 0; r < s.inH(); r++) {
                double[] row = new double[s.inW()];
                System.arraycopy(x, (plane * s.inH() + r) * s.inW(), row, 0, s.inW());
                rows[r] = extend(p.paddingMode(), row, p.padLeft(), p.padRight());
            }
            double[][] all = extendRows(p.paddingMode(), rows, p.padTop(), p.padBottom());
            for (int r = 0; r < ph; r++) {
                System.arraycopy(all[r], 0, padded, (plane * ph + r) * pw, pw);
            }
        }
        int cg = s.inChannelsPerGroup();
        double[] y = new double[s.batch() * s.outChannels() * s.outPlane()];
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                int c0 = k / s.outChannelsPerGroup() * cg;
                for (int oh = 0; oh < s.outH(); oh++) {
                    for (int ow = 0; ow < s.outW(); ow++) {
                        double acc = 0;
                        for (int c = 0; c < cg; c++) {
                            for (int i = 0; i < s.kernelH(); i++) {
                                for (int j = 0; j < s.kernelW(); j++) {
                                    int r = oh * p.strideH() + i * p.dilationH();
                                    int q = ow * p.strideW() + j * p.dilationW();
                                    acc += w[((k * cg + c) * s.kernelH() + i) * s.kernelW() + j]
                                            * padded[(((n * s.inChannels() + c0 + c) * ph) + r) * pw + q];
                                }
                            }
                        }
                        y[((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** {@code left} and {@code right} elements added to a row with the mode's slices. */
    private static double[] extend(PaddingMode mode, double[] row, int left, int right) {
        int n = row.length;
        double[] out = new double[left + n + right];
        System.arraycopy(row, 0, out, left, n);
        for (int k = 1; k <= left; k++) {
            out[left - k] = mode == PaddingMode.REFLECT ? row[k] : mode == PaddingMode.REPLICATE ? row[0] : row[n - k];
        }
        for (int k = 1; k <= right; k++) {
            out[left + n - 1 + k] = mode == PaddingMode.REFLECT ? row[n - 1 - k]
                    : mode == PaddingMode.REPLICATE ? row[n - 1] : row[k - 1];
        }
        return out;
    }

    /** The same along the rows of a plane. */
    private static double[][] extendRows(PaddingMode mode, double[][] rows, int top, int bottom) {
        int n = rows.length;
        double[][] out = new double[top + n + bottom][];
        System.arraycopy(rows, 0, out, top, n);
        for (int k = 1; k <= top; k++) {
            out[top - k] = mode == PaddingMode.REFLECT ? rows[k] : mode == PaddingMode.REPLICATE ? rows[0] : rows[n - k];
        }
        for (int k = 1; k <= bottom; k++) {
            out[top + n - 1 + k] = mode == PaddingMode.REFLECT ? rows[n - 1 - k]
                    : mode == PaddingMode.REPLICATE ? rows[n - 1] : rows[k - 1];
        }
        return out;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
