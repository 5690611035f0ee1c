package org.conv4j.naive;

import org.conv4j.api.AbstractConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

/**
 * The reference backend: the convolution sums written out as plain loops, one output (or one gradient
 * element) at a time, exactly as {@link org.conv4j.api.ConvBackend} defines them. Deliberately not optimised; every other
 * backend is tested against this one.
 *
 * <p>Two choices make it a good reference:
 * <ul>
 *   <li>Sums are accumulated in {@code double} and rounded to float once, so its own rounding error is
 *       far below that of any float32 backend.</li>
 *   <li>Zero padding is real: a padded position contributes {@code 0 * w}, not nothing, so a non-finite
 *       weight yields NaN in every output it multiplies, as it does in a GEMM over a zero-padded column
 *       matrix. A dilation hole is not part of the window and contributes nothing.</li>
 * </ul>
 * Stateless and therefore thread-safe.
 */
public final class NaiveBackend extends AbstractConvBackend {

    @Override
    public String name() {
        return "naive";
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        float[] y = output.data();
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                for (int oh = 0; oh < s.outH(); oh++) {
                    for (int ow = 0; ow < s.outW(); ow++) {
                        double acc = bias == null ? 0.0 : bias[k];
                        acc += windowDot(s, input.data(), weight.data(), n, k, oh, ow);
                        y[s.outputIndex(n, k, oh, ow)] = (float) acc;
                    }
                }
            }
        }
        return output;
    }

    /** {@code sum_{c, i, j} w[k, c, i, j] * xpad[n, g*Cg + c, rows.inputIndex(oh, i), cols.inputIndex(ow, j)]}. */
    private static double windowDot(ConvShape s, float[] x, float[] w, int n, int k, int oh, int ow) {
        int firstChannel = firstChannel(s, k);
        double acc = 0.0;
        for (int c = 0; c < s.inChannelsPerGroup(); c++) {
            for (int i = 0; i < s.kernelH(); i++) {
                long ih = s.rows().inputIndex(oh, i);
                for (int j = 0; j < s.kernelW(); j++) {
                    double wv = w[s.weightIndex(k, c, i, j)];
                    acc += wv * paddedInput(s, x, n, firstChannel + c, ih, s.cols().inputIndex(ow, j));
                }
            }
        }
        return acc;
    }

    /** The first input channel filter {@code k} reads: {@code (k / (K/groups)) * C/groups}. */
    private static int firstChannel(ConvShape s, int k) {
        return (k / s.outChannelsPerGroup()) * s.inChannelsPerGroup();
    }

    /** {@code x[n, c, ih, iw]}, or 0 where {@code (ih, iw)} falls in the padding. */
    private static float paddedInput(ConvShape s, float[] x, int n, int c, long ih, long iw) {
        if (!s.rows().contains(ih) || !s.cols().contains(iw)) {
            return 0f;
        }
        return x[s.inputIndex(n, c, (int) ih, (int) iw)];
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        return new ConvGradients(inputGradient(s, weight, gradOutput), weightGradient(s, input, gradOutput),
                referenceBiasGradient(s, gradOutput));
    }

    /**
     * {@code db[k] = sum_{n, oh, ow} dy[n, k, oh, ow]}, written out here rather than taken from
     * {@link AbstractConvBackend#biasGradient}, so that the reference shares no arithmetic with the backends
     * it checks.
     */
    private static float[] referenceBiasGradient(ConvShape s, Tensor4D gradOutput) {
        float[] dy = gradOutput.data();
        float[] db = new float[s.outChannels()];
        for (int k = 0; k < s.outChannels(); k++) {
            double acc = 0.0;
            for (int n = 0; n < s.batch(); n++) {
                int base = s.outputIndex(n, k, 0, 0);
                for (int o = 0; o < s.outPlane(); o++) {
                    acc += dy[base + o];
                }
            }
            db[k] = (float) acc;
        }
        return db;
    }

    /** {@code dw[k, c, i, j] = sum_{n, oh, ow} dy[n, k, oh, ow] * xpad[n, g*Cg + c, rows.inputIndex(oh, i), cols.inputIndex(ow, j)]}. */
    private static Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        float[] x = input.data();
        float[] dy = gradOutput.data();
        Tensor4D dw = s.newWeight();
        for (int k = 0; k < s.outChannels(); k++) {
            for (int c = 0; c < s.inChannelsPerGroup(); c++) {
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        double acc = 0.0;
                        for (int n = 0; n < s.batch(); n++) {
                            for (int oh = 0; oh < s.outH(); oh++) {
                                long ih = s.rows().inputIndex(oh, i);
                                for (int ow = 0; ow < s.outW(); ow++) {
                                    double g = dy[s.outputIndex(n, k, oh, ow)];
                                    acc += g * paddedInput(s, x, n, firstChannel(s, k) + c, ih, s.cols().inputIndex(ow, j));
                                }
                            }
                        }
                        dw.data()[s.weightIndex(k, c, i, j)] = (float) acc;
                    }
                }
            }
        }
        return dw;
    }

    /**
     * {@code dx[n, ch, ih, iw] = sum of dy[n, k, oh, ow] * w[k, c, i, j]} over every filter {@code k} of
     * the channel's group and every tap with {@code rows.inputIndex(oh, i) == ih} and
     * {@code cols.inputIndex(ow, j) == iw}: each forward product scattered back to the input element it
     * read. Taps that read padding have no input element and are dropped.
     */
    private static Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        float[] w = weight.data();
        float[] dy = gradOutput.data();
        double[] dx = new double[s.batch() * s.inChannels() * s.inPlane()];
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                for (int oh = 0; oh < s.outH(); oh++) {
                    for (int ow = 0; ow < s.outW(); ow++) {
                        double g = dy[s.outputIndex(n, k, oh, ow)];
                        for (int c = 0; c < s.inChannelsPerGroup(); c++) {
                            for (int i = 0; i < s.kernelH(); i++) {
                                long ih = s.rows().inputIndex(oh, i);
                                if (!s.rows().contains(ih)) {
                                    continue;
                                }
                                for (int j = 0; j < s.kernelW(); j++) {
                                    long iw = s.cols().inputIndex(ow, j);
                                    if (s.cols().contains(iw)) {
                                        double wv = w[s.weightIndex(k, c, i, j)];
                                        dx[s.inputIndex(n, firstChannel(s, k) + c, (int) ih, (int) iw)] += g * wv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Tensor4D result = s.newInput();
        for (int e = 0; e < dx.length; e++) {
            result.data()[e] = (float) dx[e];
        }
        return result;
    }
}
