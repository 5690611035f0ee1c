package org.conv4j.naive;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.TransposedShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The reference's transposed convolution: hand-computed rows, and gradients against finite differences. */
class TransposedTest {

    private static final NaiveBackend NAIVE = new NaiveBackend();

    /**
     * {@code x = [1 2]} through the kernel {@code [1 1 1]} at stride 2: each input element spreads over three
     * outputs, overlapping in one, {@code [1 1 3 2 2]}; padding 1 crops one from each end, {@code [1 3 2]}; output
     * padding 1 keeps one more at the end, {@code [1 3 2 2]}.
     */
    @Test
    void aRowSpreadsThroughTheKernel() {
        Tensor4D x = Tensor4D.wrap(new float[] {1, 2}, 1, 1, 1, 2);
        Tensor4D w = Tensor4D.wrap(new float[] {1, 1, 1}, 1, 1, 1, 3);
        assertArrayEquals(new float[] {1, 1, 3, 2, 2},
                NAIVE.transposedForward(x, w, null, ConvParams.builder().stride(1, 2).build()).data());
        assertArrayEquals(new float[] {1, 3, 2},
                NAIVE.transposedForward(x, w, null, ConvParams.builder().stride(1, 2).padding(0, 0, 1, 1).build()).data());
        assertArrayEquals(new float[] {1.5f, 3.5f, 2.5f, 2.5f}, NAIVE.transposedForward(x, w, new float[] {0.5f},
                ConvParams.builder().stride(1, 2).padding(0, 0, 1, 1).outputPadding(0, 1).build()).data());
    }

    static Stream<ConvParams> params() {
        return Stream.of(
                ConvParams.builder().stride(2).padding(1).outputPadding(1).build(),
                ConvParams.builder().stride(3, 2).padding(0, 2, 1, 0).outputPadding(2, 1).build(),
                ConvParams.builder().dilation(3, 1).padding(1, 0, 0, 1).outputPadding(2, 0).build(),
                ConvParams.builder().groups(2).stride(2).build());
    }

    /**
     * {@code L = sum(dy * convT(x, w, b))} with the transposed convolution computed here by gathering (each
     * output reads the inputs that reach it), not scattering as the backend does; L is linear in each variable,
     * so central differences are exact up to double rounding.
     */
    @ParameterizedTest
    @MethodSource("params")
    void gradientsMatchFiniteDifferences(ConvParams p) {
        Tensor4D x = Tensor4D.random(31, 2, 4, 4, 5);
        Tensor4D w = Tensor4D.random(32, 4, 6 / p.groups(), 3, 2);
        float[] b = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
        TransposedShape t = TransposedShape.forward(x, w, b, p);
        Tensor4D dy = Tensor4D.random(33, t.batch(), t.outChannels(), t.outH(), t.outW());
        ConvGradients g = NAIVE.transposedBackward(x, w, dy, p);
        double[][] vars = {toDouble(x.data()), toDouble(w.data()), toDouble(b)};
        float[][] analytic = {g.input().data(), g.weight().data(), g.bias()};
        final double h = 1e-3;
        for (int v = 0; v < 3; v++) {
            for (int i = 0; i < vars[v].length; i++) {
                double saved = vars[v][i];
                vars[v][i] = saved + h;
                double plus = loss(t, vars, dy.data());
                vars[v][i] = saved - h;
                double minus = loss(t, vars, dy.data());
                vars[v][i] = saved;
                double numeric = (plus - minus) / (2 * h);
                assertEquals(numeric, analytic[v][i], 1e-5 * Math.max(1, Math.abs(numeric)),
                        "gradient " + v + " [" + i + "] for " + p);
            }
        }
        float[] y = NAIVE.transposedForward(x, w, b, p).data();
        double[] yd = gather(t, vars);
        for (int i = 0; i < y.length; i++) {
            assertEquals(yd[i], y[i], 1e-5, "y[" + i + "] for " + p);
        }
    }

    private static double loss(TransposedShape t, double[][] vars, float[] dy) {
        double[] y = gather(t, vars);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += dy[i] * y[i];
        }
        return l;
    }

    /** {@code y[n, co, oh, ow] = b[co] + sum x[n, ci, h, w] * w[ci, c, i, j]} over {@code h*s - pad + i*d == oh}. */
    private static double[] gather(TransposedShape t, double[][] vars) {
        double[] x = vars[0];
        double[] w = vars[1];
        double[] b = vars[2];
        ConvParams p = t.params();
        int cig = t.inChannels() / p.groups();
        int cog = t.outChannels() / p.groups();
        int kh = 3;
        int kw = 2;
        double[] y = new double[t.batch() * t.outChannels() * t.outH() * t.outW()];
        for (int n = 0; n < t.batch(); n++) {
            for (int co = 0; co < t.outChannels(); co++) {
                int g = co / cog;
                for (int oh = 0; oh < t.outH(); oh++) {
                    for (int ow = 0; ow < t.outW(); ow++) {
                        double acc = b[co];
                        for (int ci = g * cig; ci < (g + 1) * cig; ci++) {
                            for (int i = 0; i < kh; i++) {
                                int rh = oh + p.padTop() - i * p.dilationH();
                                if (rh < 0 || rh % p.strideH() != 0 || rh / p.strideH() >= t.inH()) {
                                    continue;
                                }
                                for (int j = 0; j < kw; j++) {
                                    int rw = ow + p.padLeft() - j * p.dilationW();
                                    if (rw < 0 || rw % p.strideW() != 0 || rw / p.strideW() >= t.inW()) {
                                        continue;
                                    }
                                    acc += x[((n * t.inChannels() + ci) * t.inH() + rh / p.strideH()) * t.inW()
                                            + rw / p.strideW()] * w[((ci * cog + co - g * cog) * kh + i) * kw + j];
                                }
                            }
                        }
                        y[((n * t.outChannels() + co) * t.outH() + oh) * t.outW() + ow] = acc;
                    }
                }
            }
        }
        return y;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
