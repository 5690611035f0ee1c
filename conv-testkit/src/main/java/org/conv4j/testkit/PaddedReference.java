package org.conv4j.testkit;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;

/**
 * A second, independently written reference, against which the kit checks the naive backend itself (comparing
 * the reference with itself would prove nothing). It shares no arithmetic with {@code NaiveBackend}: the
 * padding is materialised (the input is copied into a zero-bordered array {@code xp} of
 * {@code (N, C, H + padTop + padBottom, W + padLeft + padRight)}, so no bounds are tested), the loops run tap
 * by tap ({@code (k, c, i, j)} outermost, output positions innermost), and the input gradient is scattered
 * into a padded array and cropped. Sums in double, rounded to float once. Not registered with
 * {@link java.util.ServiceLoader}; slow, for the kit's small cases only.
 */
final class PaddedReference extends AbstractConvBackend {

    @Override
    public String name() {
        return "padded-reference";
    }

    /** Called with one term's weight index, padded-input index and output index. */
    private interface Term {
        void visit(int wi, int xpi, int yi);
    }

    /** {@code xp[n, c, h, w]} is at {@code ((n*C + c)*pH + h)*pW + w}, {@code pH = H + padTop + padBottom}. */
    private static int padded(ConvShape s, int n, int c, int h, int w) {
        ConvParams p = s.params();
        return ((n * s.inChannels() + c) * (int) s.paddedH() + h + p.padTop()) * (int) s.paddedW() + w + p.padLeft();
    }

    /** Every term of every output sum, tap by tap. */
    private static void forEachTerm(ConvShape s, Term term) {
        ConvParams p = s.params();
        int cg = s.inChannelsPerGroup();
        for (int k = 0; k < s.outChannels(); k++) {
            for (int c = 0; c < cg; c++) {
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        int wi = ((k * cg + c) * s.kernelH() + i) * s.kernelW() + j;
                        for (int n = 0; n < s.batch(); n++) {
                            for (int oh = 0; oh < s.outH(); oh++) {
                                for (int ow = 0; ow < s.outW(); ow++) {
                                    term.visit(wi, padded(s, n, (k / s.outChannelsPerGroup()) * cg + c,
                                            oh * p.strideH() + i * p.dilationH() - p.padTop(),
                                            ow * p.strideW() + j * p.dilationW() - p.padLeft()),
                                            ((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Calls {@code f(index in x, index in xp)} for every input element. */
    private static void forEachInput(ConvShape s, java.util.function.BiConsumer<Integer, Integer> f) {
        int e = 0;
        for (int n = 0; n < s.batch(); n++) {
            for (int c = 0; c < s.inChannels(); c++) {
                for (int h = 0; h < s.inH(); h++) {
                    for (int w = 0; w < s.inW(); w++) {
                        f.accept(e++, padded(s, n, c, h, w));
                    }
                }
            }
        }
    }

    private static double[] pad(ConvShape s, float[] x) {
        double[] xp = new double[(int) (s.batch() * s.inChannels() * s.paddedH() * s.paddedW())];
        forEachInput(s, (xi, pi) -> xp[pi] = x[xi]);
        return xp;
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        double[] xp = pad(s, input.data());
        float[] w = weight.data();
        double[] y = new double[output.size()];
        forEachTerm(s, (wi, xi, yi) -> y[yi] += (double) w[wi] * xp[xi]);
        for (int e = 0; e < y.length; e++) {
            output.data()[e] = (float) (y[e] + (bias == null ? 0.0 : bias[e / s.outPlane() % s.outChannels()]));
        }
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        double[] xp = pad(s, input.data());
        float[] w = weight.data();
        float[] dy = gradOutput.data();
        double[] dxp = new double[xp.length];
        double[] dw = new double[weight.size()];
        double[] db = new double[s.outChannels()];
        forEachTerm(s, (wi, xi, yi) -> {
            dxp[xi] += (double) dy[yi] * w[wi];
            dw[wi] += (double) dy[yi] * xp[xi];
        });
        for (int e = 0; e < dy.length; e++) {
            db[e / s.outPlane() % s.outChannels()] += dy[e];
        }
        Tensor4D dx = s.newInput();
        forEachInput(s, (xi, pi) -> dx.data()[xi] = (float) dxp[pi]);
        return new ConvGradients(dx, Tensor4D.wrap(toFloats(dw), weight.n(), weight.c(), weight.h(), weight.w()),
                toFloats(db));
    }

    private static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
