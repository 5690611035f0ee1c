package org.conv4j.naive;

import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.TransposedShape;
import org.conv4j.spi.AbstractConvBackend;

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
 * It is also the 3D reference ({@link Conv3dBackend}, in {@link Naive3d}), with the same two choices.
 * Stateless and therefore thread-safe.
 */
public final class NaiveBackend extends AbstractConvBackend implements Conv3dBackend {

    /**
     * Multiply-adds per nanosecond of these loops, about 0.3-0.5 (0.6-1 GFLOP/s on the catalogue's layers,
     * docs/benchmarks.md); only used so that {@link #estimateNanos} ranks the reference last.
     */
    static final double MACS_PER_NS = 0.4;

    /** The reference backend ({@link java.util.ServiceLoader} creates it through this constructor). */
    public NaiveBackend() {
    }

    @Override
    public String name() {
        return "naive";
    }

    /** The reference: {@link org.conv4j.api.Conv2d} runs it only when no other backend supports a shape. */
    @Override
    public boolean isReference() {
        return true;
    }

    /** One multiply-add at a time, single-threaded; backward is two forward passes' worth of work. */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        return (pass == ConvPass.FORWARD ? 1 : 2) * shape.macs() / MACS_PER_NS;
    }

    /** The 3D forward pass, plain loops ({@link Naive3d}). */
    @Override
    public Tensor5D forward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, float[] bias) {
        return Naive3d.forward(shape, input, weight, bias);
    }

    /** The 3D backward pass, plain loops ({@link Naive3d}). */
    @Override
    public Conv3dGradients backward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        return Naive3d.backward(shape, input, weight, gradOutput);
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

    /**
     * {@code x[n, c, ih, iw]} where {@code (ih, iw)} is inside the input; in the padding, 0 for zero padding,
     * else the element that position copies ({@link #copied}).
     */
    private static float paddedInput(ConvShape s, float[] x, int n, int c, long ih, long iw) {
        int r = copied(s.params().paddingMode(), ih, s.inH());
        int q = copied(s.params().paddingMode(), iw, s.inW());
        if (r < 0 || q < 0) {
            return 0f;
        }
        return x[s.inputIndex(n, c, r, q)];
    }

    /**
     * The input index that padded index {@code i} holds along an axis of {@code size} elements, written out
     * from {@link PaddingMode}'s definitions: -1 (a zero) outside the input for zero padding; the mirror image
     * without repeating the edge, the nearest edge, or the index modulo the size for the other modes.
     */
    private static int copied(PaddingMode mode, long i, int size) {
        if (i >= 0 && i < size) {
            return (int) i;
        }
        switch (mode) {
            case REFLECT:
                if (size == 1) {
                    return 0; // unreachable (a reflected pad must be smaller than the size), kept total
                }
                long period = 2L * (size - 1);
                int m = (int) Math.floorMod(i, period);
                return m < size ? m : (int) (period - m);
            case REPLICATE:
                return (int) Math.max(0, Math.min(size - 1, i));
            case CIRCULAR:
                return (int) Math.floorMod(i, (long) size);
            default:
                return -1;
        }
    }

    /** Every padding mode is computed by these loops directly, so that the shared padding is checked against them. */
    @Override
    protected boolean handlesPaddingModes() {
        return true;
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
        return referenceChannelSums(gradOutput.data(), s.batch(), s.outChannels(), s.outPlane());
    }

    /** {@code sums[k] = sum_{n, e} dy[(n*channels + k)*plane + e]}, summed in double in that order. */
    private static float[] referenceChannelSums(float[] dy, int batch, int channels, int plane) {
        float[] sums = new float[channels];
        for (int k = 0; k < channels; k++) {
            double acc = 0.0;
            for (int n = 0; n < batch; n++) {
                int base = (n * channels + k) * plane;
                for (int e = 0; e < plane; e++) {
                    acc += dy[base + e];
                }
            }
            sums[k] = (float) acc;
        }
        return sums;
    }

    /** {@code dw[k, c, i, j] = sum_{n, oh, ow} dy[n, k, oh, ow] * xpad[n, g*Cg + c, rows.inputIndex(oh, i), cols.inputIndex(ow, j)]}. */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
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
     * read. Taps that read zero padding have no input element and are dropped; taps that read a copy (the
     * other padding modes) are added to the element copied.
     */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        PaddingMode mode = s.params().paddingMode();
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
                                int ih = copied(mode, s.rows().inputIndex(oh, i), s.inH());
                                if (ih < 0) {
                                    continue;
                                }
                                for (int j = 0; j < s.kernelW(); j++) {
                                    int iw = copied(mode, s.cols().inputIndex(ow, j), s.inW());
                                    if (iw >= 0) {
                                        double wv = w[s.weightIndex(k, c, i, j)];
                                        dx[s.inputIndex(n, firstChannel(s, k) + c, ih, iw)] += g * wv;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return rounded(dx, s.newInput());
    }

    /** {@code into}, its elements set to {@code sums} rounded to float. */
    private static Tensor4D rounded(double[] sums, Tensor4D into) {
        float[] data = into.data();
        for (int e = 0; e < sums.length; e++) {
            data[e] = (float) sums[e];
        }
        return into;
    }

    // ---------------------------------------------------------------- transposed convolution

    /**
     * {@code y[n, co, oh, ow] = b[co] + sum x[n, ci, h, w] * w[ci, co - g*Cog, i, j]} over the input channels
     * {@code ci} of output channel {@code co}'s group {@code g} and every {@code (h, w, i, j)} with
     * {@code h*sh - padTop + i*dh == oh} and {@code w*sw - padLeft + j*dw == ow}: each input element scattered
     * through the kernel, written out directly rather than through the convolution's gradient.
     */
    @Override
    protected Tensor4D transposedForward(TransposedShape t, Tensor4D input, Tensor4D weight, float[] bias) {
        float[] x = input.data();
        float[] w = weight.data();
        double[] y = new double[t.batch() * t.outChannels() * t.outH() * t.outW()];
        forEachTransposedTerm(t, weight.h(), weight.w(), (xi, wi, yi) -> {
            if (yi >= 0) {
                y[yi] += (double) x[xi] * w[wi];
            }
        });
        Tensor4D out = t.newOutput();
        int plane = t.outH() * t.outW();
        for (int e = 0; e < y.length; e++) {
            out.data()[e] = (float) (y[e] + (bias == null ? 0 : bias[(e / plane) % t.outChannels()]));
        }
        return out;
    }

    /** One term {@code x[xi] * w[wi]} of the transposed sum, added to {@code y[yi]}; {@code yi = -1} if cropped. */
    @FunctionalInterface
    private interface TransposedTerm {
        void at(int xi, int wi, int yi);
    }

    /**
     * Visits every term of the transposed sum in a fixed order: input element {@code (n, ci, h, w)}, output channel
     * {@code co = g*Cog + c} of its group, tap {@code (i, j)}, at output position
     * {@code (h*sh - padTop + i*dh, w*sw - padLeft + j*dw)} ({@code yi = -1} where the padding crops that position
     * off).
     */
    private static void forEachTransposedTerm(TransposedShape t, int kh, int kw, TransposedTerm term) {
        ConvParams p = t.params();
        int cig = t.inChannels() / p.groups();
        int cog = t.outChannels() / p.groups();
        for (int n = 0; n < t.batch(); n++) {
            for (int ci = 0; ci < t.inChannels(); ci++) {
                int g = ci / cig;
                for (int h = 0; h < t.inH(); h++) {
                    for (int v = 0; v < t.inW(); v++) {
                        int xi = ((n * t.inChannels() + ci) * t.inH() + h) * t.inW() + v;
                        for (int c = 0; c < cog; c++) {
                            int co = g * cog + c;
                            for (int i = 0; i < kh; i++) {
                                int oh = h * p.strideH() - p.padTop() + i * p.dilationH();
                                for (int j = 0; j < kw; j++) {
                                    int ow = v * p.strideW() - p.padLeft() + j * p.dilationW();
                                    boolean cropped = oh < 0 || oh >= t.outH() || ow < 0 || ow >= t.outW();
                                    term.at(xi, ((ci * cog + c) * kh + i) * kw + j,
                                            cropped ? -1 : ((n * t.outChannels() + co) * t.outH() + oh) * t.outW() + ow);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The gradients of {@link #transposedForward(TransposedShape, Tensor4D, Tensor4D, float[])}, each read off
     * its sum: {@code dx[n, ci, h, w] = sum dy[n, co, oh, ow] * w[ci, c, i, j]} and
     * {@code dw[ci, c, i, j] = sum x[n, ci, h, w] * dy[n, co, oh, ow]} over the same index pairs, and
     * {@code db[co] = sum dy[n, co, :, :]}. A pair whose output position the padding crops off has gradient 0
     * there, and that 0 still multiplies (as the convolution's zero padding does, and as PyTorch computes it): a
     * non-finite weight or input value gives NaN through it.
     */
    @Override
    protected ConvGradients transposedBackward(TransposedShape t, Tensor4D input, Tensor4D weight,
                                               Tensor4D gradOutput) {
        float[] x = input.data();
        float[] w = weight.data();
        float[] dy = gradOutput.data();
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        forEachTransposedTerm(t, weight.h(), weight.w(), (xi, wi, yi) -> {
            // a position cropped off the output has gradient 0, which still multiplies
            double g0 = yi < 0 ? 0.0 : dy[yi];
            dx[xi] += g0 * w[wi];
            dw[wi] += g0 * x[xi];
        });
        Tensor4D dxt = rounded(dx, Tensor4D.zeros(input.n(), input.c(), input.h(), input.w()));
        Tensor4D dwt = rounded(dw, Tensor4D.zeros(weight.n(), weight.c(), weight.h(), weight.w()));
        return new ConvGradients(dxt, dwt, referenceChannelSums(dy, t.batch(), t.outChannels(), t.outH() * t.outW()));
    }
}
