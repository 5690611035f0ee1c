package org.conv4j.naive;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.Tensor5D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.DoubleSupplier;
import java.util.stream.Stream;

/**
 * Checks the naive 3D backward pass against central finite differences of the scalar loss
 * {@code L = sum(dy * conv3d(x, w, b))}, evaluated in double precision by an independent formulation of the forward
 * pass: a loop over input positions that scatters each one's products into the outputs that read it, rather than the
 * reference's loop over windows. L is linear in each of x, w and b, so the central difference is exact up to double
 * rounding and the tolerance can be tight.
 */
class Conv3dFiniteDifferenceTest {

    static Stream<Conv3dParams> params() {
        return Stream.of(
                Conv3dParams.DEFAULT,
                Conv3dParams.builder().stride(2, 1, 3).padding(1, 0, 2, 1, 0, 1).build(),
                Conv3dParams.builder().dilation(2, 1, 2).padding(1).build(),
                Conv3dParams.builder().groups(2).stride(2).padding(1, 1, 0, 1, 1, 0).build());
    }

    @ParameterizedTest
    @MethodSource("params")
    void gradientsMatchFiniteDifferences(Conv3dParams params) {
        Tensor5D x = Tensor5D.random(21, 2, 4, 5, 4, 6);
        Tensor5D w = Tensor5D.random(22, 4, 4 / params.groups(), 2, 3, 2);
        float[] b = {0.1f, -0.2f, 0.3f, 0.4f};
        Conv3dShape s = Conv3dShape.forward(x, w, b, params);
        Tensor5D dy = Tensor5D.random(23, s.batch(), s.outChannels(), s.depth().out(), s.rows().out(), s.cols().out());
        Conv3dGradients g = Conv3d.on(new NaiveBackend()).backward(x, w, dy, params);

        double[] xd = FiniteDifferenceTest.toDouble(x.data());
        double[] wd = FiniteDifferenceTest.toDouble(w.data());
        double[] bd = FiniteDifferenceTest.toDouble(b);
        DoubleSupplier loss = () -> loss(s, xd, wd, bd, dy.data());
        FiniteDifferenceTest.assertMatches("dx", g.input().data(), xd, loss);
        FiniteDifferenceTest.assertMatches("dw", g.weight().data(), wd, loss);
        FiniteDifferenceTest.assertMatches("db", g.bias(), bd, loss);
    }

    /** The output index that input position {@code in} reaches through tap {@code t}, or -1. */
    private static int reached(ConvAxis a, int in, int t) {
        int num = in + a.padBefore() - t * a.dilation();
        return num < 0 || num % a.stride() != 0 || num / a.stride() >= a.out() ? -1 : num / a.stride();
    }

    /** {@code L = sum dy * (b[k] + sum w * x)}, each input element's products scattered into the outputs reading it. */
    private static double loss(Conv3dShape s, double[] x, double[] w, double[] b, float[] dy) {
        ConvAxis ad = s.depth();
        ConvAxis ah = s.rows();
        ConvAxis aw = s.cols();
        int outVolume = ad.out() * ah.out() * aw.out();
        double[] y = new double[s.batch() * s.outChannels() * outVolume];
        for (int i = 0; i < y.length; i++) {
            y[i] = b[(i / outVolume) % s.outChannels()];
        }
        int cg = s.inChannelsPerGroup();
        int xi = 0;
        for (int n = 0; n < s.batch(); n++) {
            for (int ch = 0; ch < s.inChannels(); ch++) {
                int g = ch / cg;
                for (int id = 0; id < ad.in(); id++) {
                    for (int ih = 0; ih < ah.in(); ih++) {
                        for (int iw = 0; iw < aw.in(); iw++, xi++) {
                            for (int a = 0; a < ad.kernel(); a++) {
                                int od = reached(ad, id, a);
                                for (int i = 0; i < ah.kernel() && od >= 0; i++) {
                                    int oh = reached(ah, ih, i);
                                    for (int j = 0; j < aw.kernel() && oh >= 0; j++) {
                                        int ow = reached(aw, iw, j);
                                        if (ow < 0) {
                                            continue;
                                        }
                                        for (int k = g * s.outChannelsPerGroup(); k < (g + 1) * s.outChannelsPerGroup(); k++) {
                                            double wv = w[(((k * cg + ch - g * cg) * ad.kernel() + a) * ah.kernel() + i)
                                                    * aw.kernel() + j];
                                            y[(((n * s.outChannels() + k) * ad.out() + od) * ah.out() + oh) * aw.out()
                                                    + ow] += wv * x[xi];
                                        }
                                    }
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
}
