package org.conv4j.internal;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.spi.AbstractConvBackend;

/**
 * Padding done before the convolution: the shared implementation of the {@link PaddingMode}s other than zeros,
 * for every backend that does not handle them itself ({@link AbstractConvBackend#handlesPaddingModes()}), and of
 * zero padding for a backend that asks for it on some shapes ({@link AbstractConvBackend#padsExplicitly}): pad
 * the input once (with copies of itself, or zeros), convolve the padded input with no padding, and for the
 * backward pass fold the padded input's gradient back onto the input, summing where several padded positions
 * copy one input element (a zero pad copies none).
 *
 * <p>Layouts: the padded input is NCHW {@code (N, C, H + padTop + padBottom, W + padLeft + padRight)}; its
 * element {@code (n, c, r, q)} is input element {@code (n, c, source(r - padTop, H), source(q - padLeft, W))},
 * or zero where a source is -1.
 */
public final class ModePadding {

    private ModePadding() {
    }

    /**
     * The input position that padded position {@code i} reads along an axis of length {@code n}, for
     * {@code -pad <= i < n + pad}; -1 for {@link PaddingMode#ZEROS} outside the input. One reflection or wrap
     * suffices because {@link ConvShape} limits a reflected pad to less than {@code n} and a circular one to at
     * most {@code n}; replicated pads have no limit and clamp.
     */
    static int source(PaddingMode mode, int i, int n) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (mode) {
            case REFLECT:
                return i < 0 ? -i : 2 * (n - 1) - i;
            case REPLICATE:
                return i < 0 ? 0 : n - 1;
            case CIRCULAR:
                return i < 0 ? i + n : i - n;
            default:
                return -1;
        }
    }

    /** The input padded with its mode: a new tensor (layout in the class comment). */
    public static Tensor4D pad(ConvShape s, Tensor4D input) {
        ConvParams p = s.params();
        int h = s.inH();
        int w = s.inW();
        checkPaddedSize(s);
        int ph = (int) s.paddedH();
        int pw = (int) s.paddedW();
        Tensor4D padded = Tensor4D.zeros(s.batch(), s.inChannels(), ph, pw);
        float[] x = input.data();
        float[] out = padded.data();
        int[] cols = sources(p.paddingMode(), p.padLeft(), w, pw);
        for (int plane = 0; plane < s.batch() * s.inChannels(); plane++) {
            for (int r = 0; r < ph; r++) {
                int row = source(p.paddingMode(), r - p.padTop(), h);
                if (row < 0) {
                    continue; // a zero-padded row: the new tensor's zeros
                }
                int src = (plane * h + row) * w;
                int dst = (plane * ph + r) * pw;
                for (int q = 0; q < p.padLeft(); q++) {
                    out[dst + q] = cols[q] < 0 ? 0f : x[src + cols[q]];
                }
                System.arraycopy(x, src, out, dst + p.padLeft(), w);
                for (int q = p.padLeft() + w; q < pw; q++) {
                    out[dst + q] = cols[q] < 0 ? 0f : x[src + cols[q]];
                }
            }
        }
        return padded;
    }

    /**
     * The input's gradient from the padded input's: {@code dx[n, c, y, x]} is the sum of
     * {@code dpadded[n, c, r, q]} over every {@code (r, q)} that copies {@code (y, x)}.
     */
    public static Tensor4D fold(ConvShape s, Tensor4D paddedGradient) {
        ConvParams p = s.params();
        int h = s.inH();
        int w = s.inW();
        int ph = paddedGradient.h();
        int pw = paddedGradient.w();
        Tensor4D dx = s.newInput();
        float[] g = paddedGradient.data();
        float[] out = dx.data();
        int[] cols = sources(p.paddingMode(), p.padLeft(), w, pw);
        for (int plane = 0; plane < s.batch() * s.inChannels(); plane++) {
            for (int r = 0; r < ph; r++) {
                int row = source(p.paddingMode(), r - p.padTop(), h);
                if (row < 0) {
                    continue; // a zero pad copies no input element
                }
                int dst = (plane * h + row) * w;
                int src = (plane * ph + r) * pw;
                for (int q = 0; q < pw; q++) {
                    if (cols[q] >= 0) {
                        out[dst + cols[q]] += g[src + q];
                    }
                }
            }
        }
        return dx;
    }

    /** The input column each padded column reads. */
    private static int[] sources(PaddingMode mode, int padBefore, int n, int paddedLength) {
        int[] cols = new int[paddedLength];
        for (int q = 0; q < paddedLength; q++) {
            cols[q] = source(mode, q - padBefore, n);
        }
        return cols;
    }

    /** The padded input must be a tensor: at most {@code Integer.MAX_VALUE} elements. */
    private static void checkPaddedSize(ConvShape s) {
        PaddingMode mode = s.params().paddingMode();
        if (s.paddedH() > Integer.MAX_VALUE || s.paddedW() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding: expected a padded input of at most " + Integer.MAX_VALUE
                    + " rows and columns for " + mode + " padding, got " + s.paddedH() + " x " + s.paddedW());
        }
        Tensor4D.checkedSize("input padded with " + mode, s.batch(), s.inChannels(), (int) s.paddedH(),
                (int) s.paddedW());
    }

    /** The geometry of the convolution of the padded input: the same parameters and output, no padding. */
    public static ConvShape inner(ConvShape s, Tensor4D weight) {
        checkPaddedSize(s);
        ConvParams unpadded = s.params().toBuilder().padding(0).paddingMode(PaddingMode.ZEROS).build();
        return Access.shapes().of(unpadded, s.batch(), s.inChannels(), (int) s.paddedH(), (int) s.paddedW(), weight,
                s.outH(), s.outW());
    }

    /**
     * The 3D input padded with its mode: a new heap NCDHW tensor {@code (N, C, D + front + back, H + top + bottom,
     * W + left + right)} whose element {@code (n, c, q, r, t)} is input element
     * {@code (n, c, source(q - front, D), source(r - top, H), source(t - left, W))}, or zero where a source is -1.
     */
    public static Tensor5D pad(Conv3dShape s, Tensor5D input) {
        return copies(s, input, padded(s), true);
    }

    /**
     * The 3D input's gradient from the padded input's: {@code dx} at an input element is the sum of the padded
     * gradient over every padded position that copies it.
     */
    public static Tensor5D fold(Conv3dShape s, Tensor5D paddedGradient) {
        return copies(s, s.newInput(), paddedGradient, false);
    }

    /** A zero heap NCDHW tensor of the padded input's shape, after checking that it is a tensor. */
    private static Tensor5D padded(Conv3dShape s) {
        long d = s.depth().padded();
        long h = s.rows().padded();
        long w = s.cols().padded();
        if (d > Integer.MAX_VALUE || h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("padding: expected a padded input of at most " + Integer.MAX_VALUE
                    + " per axis for " + s.params().paddingMode() + " padding, got " + d + " x " + h + " x " + w);
        }
        return Tensor5D.zeros(s.batch(), s.inChannels(), (int) d, (int) h, (int) w);
    }

    /**
     * Walks every padded position that copies an input element: {@code padding} copies the element into
     * {@code padded} (and returns {@code padded}); otherwise the padded gradient is summed into {@code input}
     * (which it returns).
     */
    private static Tensor5D copies(Conv3dShape s, Tensor5D input, Tensor5D padded, boolean padding) {
        PaddingMode mode = s.params().paddingMode();
        ConvAxis ad = s.depth();
        ConvAxis ah = s.rows();
        ConvAxis aw = s.cols();
        int pd = padded.d();
        int ph = padded.h();
        int pw = padded.w();
        int[] cols = sources(mode, aw.padBefore(), aw.in(), pw);
        float[] x = input.data();
        float[] p = padded.data();
        for (int plane = 0; plane < s.batch() * s.inChannels(); plane++) {
            for (int q = 0; q < pd; q++) {
                int depth = source(mode, q - ad.padBefore(), ad.in());
                for (int r = 0; r < ph && depth >= 0; r++) {
                    int row = source(mode, r - ah.padBefore(), ah.in());
                    if (row < 0) {
                        continue; // a zero pad copies no input element
                    }
                    int src = ((plane * ad.in() + depth) * ah.in() + row) * aw.in();
                    int dst = ((plane * pd + q) * ph + r) * pw;
                    for (int t = 0; t < pw; t++) {
                        if (cols[t] < 0) {
                            continue;
                        }
                        if (padding) {
                            p[dst + t] = x[src + cols[t]];
                        } else {
                            x[src + cols[t]] += p[dst + t];
                        }
                    }
                }
            }
        }
        return padding ? padded : input;
    }
}
