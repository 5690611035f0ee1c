package org.conv4j.testkit;

import org.conv4j.api.AbstractConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

/**
 * A second, independently written reference, against which the kit checks the naive backend itself (comparing
 * the reference with itself would prove nothing). It shares no arithmetic with {@code NaiveBackend}: the
 * padding is materialised (the input is copied into a zero-bordered array {@code xp} of
 * {@code (N, C, H + padTop + padBottom, W + padLeft + padRight)}, so no bounds are tested), the loops run tap
 * by tap ({@code (k, c, i, j)} outermost, output positions innermost), and the input gradient is scattered
 * into a padded array and cropped. Sums in double, rounded to float once. Not a backend users can select (it
 * is not registered with {@link java.util.ServiceLoader}); slow, for the kit's small cases only.
 */
final class PaddedReference extends AbstractConvBackend {

    @Override
    public String name() {
        return "padded-reference";
    }

    /** The padded geometry: {@code xp[n, c, ph, pw]} at {@code ((n*C + c)*pH + ph)*pW + pw}. */
    private record Padded(ConvShape s, int ph, int pw) {
        Padded(ConvShape s) {
            this(s, s.inH() + s.params().padTop() + s.params().padBottom(),
                    s.inW() + s.params().padLeft() + s.params().padRight());
        }

        int at(int n, int c, int h, int w) {
            return ((n * s.inChannels() + c) * ph + h) * pw + w;
        }

        /** Calls {@code f} with every input element's index in {@code x} and in {@code xp}. */
        void forEachInput(IndexPair f) {
            ConvParams p = s.params();
            int e = 0;
            for (int n = 0; n < s.batch(); n++) {
                for (int c = 0; c < s.inChannels(); c++) {
                    for (int h = 0; h < s.inH(); h++) {
                        for (int w = 0; w < s.inW(); w++) {
                            f.visit(e++, at(n, c, h + p.padTop(), w + p.padLeft()));
                        }
                    }
                }
            }
        }

        double[] pad(float[] x) {
            double[] xp = new double[s.batch() * s.inChannels() * ph * pw];
            forEachInput((xi, pi) -> xp[pi] = x[xi]);
            return xp;
        }

        /** Calls {@code tap} for every (n, k, input channel c, tap i, j, output oh, ow) with its xp and y indices. */
        void forEachProduct(TapVisitor tap) {
            ConvParams p = s.params();
            int cg = s.inChannelsPerGroup();
            for (int k = 0; k < s.outChannels(); k++) {
                int c0 = (k / s.outChannelsPerGroup()) * cg;
                for (int c = 0; c < cg; c++) {
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int wAt = ((k * cg + c) * s.kernelH() + i) * s.kernelW() + j;
                            for (int n = 0; n < s.batch(); n++) {
                                for (int oh = 0; oh < s.outH(); oh++) {
                                    for (int ow = 0; ow < s.outW(); ow++) {
                                        tap.visit(wAt, at(n, c0 + c, oh * p.strideH() + i * p.dilationH(),
                                                ow * p.strideW() + j * p.dilationW()),
                                                ((n * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private interface IndexPair {
        void visit(int inputIndex, int paddedIndex);
    }

    private interface TapVisitor {
        void visit(int weightIndex, int paddedInputIndex, int outputIndex);
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        Padded g = new Padded(s);
        double[] xp = g.pad(input.data());
        float[] w = weight.data();
        double[] y = new double[output.size()];
        g.forEachProduct((wi, xi, yi) -> y[yi] += (double) w[wi] * xp[xi]);
        for (int e = 0; e < y.length; e++) {
            output.data()[e] = (float) (y[e] + (bias == null ? 0.0 : bias[e / s.outPlane() % s.outChannels()]));
        }
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Padded g = new Padded(s);
        double[] xp = g.pad(input.data());
        float[] w = weight.data();
        float[] dy = gradOutput.data();
        double[] dxp = new double[xp.length];
        double[] dw = new double[weight.size()];
        double[] db = new double[s.outChannels()];
        g.forEachProduct((wi, xi, yi) -> {
            dxp[xi] += (double) dy[yi] * w[wi];
            dw[wi] += (double) dy[yi] * xp[xi];
        });
        for (int e = 0; e < dy.length; e++) {
            db[e / s.outPlane() % s.outChannels()] += dy[e];
        }
        Tensor4D dx = s.newInput();
        g.forEachInput((xi, pi) -> dx.data()[xi] = (float) dxp[pi]);
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
