package org.conv4j.naive;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks the naive backward pass against central finite differences of the scalar loss
 * {@code L = sum(dy * conv(x, w, b))}, evaluated in double precision by an independent formulation of
 * the forward pass (a loop over input positions rather than over windows). L is linear in each of x, w and
 * b, so the central difference is exact up to double rounding and the tolerance can be tight.
 */
class FiniteDifferenceTest {

    static Stream<ConvParams> params() {
        return Stream.of(
                ConvParams.DEFAULT,
                ConvParams.builder().stride(2, 3).padding(1, 2, 0, 1).build(),
                ConvParams.builder().dilation(2, 1).padding(2).build(),
                ConvParams.builder().groups(2).stride(2).padding(1, 0, 1, 0).build());
    }

    @ParameterizedTest
    @MethodSource("params")
    void gradientsMatchFiniteDifferences(ConvParams params) {
        Tensor4D x = Tensor4D.random(11, 2, 4, 7, 6);
        Tensor4D w = Tensor4D.random(12, 4, 4 / params.groups(), 3, 2);
        float[] b = {0.1f, -0.2f, 0.3f, 0.4f};
        ConvShape s = ConvShape.forward(x, w, b, params);
        Tensor4D dy = Tensor4D.random(13, s.batch(), s.outChannels(), s.outH(), s.outW());
        ConvGradients g = new NaiveBackend().backward(x, w, dy, params);

        double[] xd = toDouble(x.data());
        double[] wd = toDouble(w.data());
        double[] bd = toDouble(b);
        assertMatches("dx", g.input().data(), xd, () -> loss(s, xd, wd, bd, dy.data()));
        assertMatches("dw", g.weight().data(), wd, () -> loss(s, xd, wd, bd, dy.data()));
        assertMatches("db", g.bias(), bd, () -> loss(s, xd, wd, bd, dy.data()));
    }

    /** Each analytic derivative equals the central difference of {@code loss} in that variable. */
    static void assertMatches(String what, float[] analytic, double[] variable,
                                      java.util.function.DoubleSupplier loss) {
        final double h = 1e-3;
        for (int i = 0; i < variable.length; i++) {
            double saved = variable[i];
            variable[i] = saved + h;
            double plus = loss.getAsDouble();
            variable[i] = saved - h;
            double minus = loss.getAsDouble();
            variable[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            assertEquals(numeric, analytic[i], 1e-5 * Math.max(1, Math.abs(numeric)), what + "[" + i + "]");
        }
    }

    /**
     * {@code L = sum_{n,k,oh,ow} dy * (b[k] + sum w * x)}, accumulated by scattering each input element's
     * products into the outputs that read it.
     */
    private static double loss(ConvShape s, double[] x, double[] w, double[] b, float[] dy) {
        ConvParams p = s.params();
        double[] y = new double[s.batch() * s.outChannels() * s.outPlane()];
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                for (int o = 0; o < s.outPlane(); o++) {
                    y[(n * s.outChannels() + k) * s.outPlane() + o] = b[k];
                }
            }
        }
        int cg = s.inChannelsPerGroup();
        for (int n = 0; n < s.batch(); n++) {
            for (int ch = 0; ch < s.inChannels(); ch++) {
                int g = ch / cg;
                for (int ih = 0; ih < s.inH(); ih++) {
                    for (int iw = 0; iw < s.inW(); iw++) {
                        double xv = x[((n * s.inChannels() + ch) * s.inH() + ih) * s.inW() + iw];
                        for (int i = 0; i < s.kernelH(); i++) {
                            int rowNum = ih + p.padTop() - i * p.dilationH();
                            if (rowNum < 0 || rowNum % p.strideH() != 0 || rowNum / p.strideH() >= s.outH()) {
                                continue;
                            }
                            for (int j = 0; j < s.kernelW(); j++) {
                                int colNum = iw + p.padLeft() - j * p.dilationW();
                                if (colNum < 0 || colNum % p.strideW() != 0 || colNum / p.strideW() >= s.outW()) {
                                    continue;
                                }
                                for (int k = g * s.outChannelsPerGroup(); k < (g + 1) * s.outChannelsPerGroup(); k++) {
                                    double wv = w[((k * cg + ch - g * cg) * s.kernelH() + i) * s.kernelW() + j];
                                    y[((n * s.outChannels() + k) * s.outH() + rowNum / p.strideH()) * s.outW()
                                            + colNum / p.strideW()] += wv * xv;
                                }
                            }
                        }
                    }
                }
            }
        }
        double loss = 0;
        for (int i = 0; i < y.length; i++) {
            loss += dy[i] * y[i];
        }
        return loss;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
