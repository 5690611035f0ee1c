package org.conv4j.fft;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;

import java.util.Arrays;

/**
 * Result elements whose sum has no term at all, set exactly. A transform spreads its rounding error over
 * every position, so without this an output whose window lies entirely in the padding would come out as
 * {@code bias + 1e-8}-sized noise instead of exactly {@code bias}; likewise an input position that no
 * window reads (a stride larger than the kernel) would get a non-zero gradient, and a kernel tap that
 * only ever reads padding a non-zero weight gradient. Which elements are structurally empty is a property
 * of each axis separately: the element is empty if its row or its column is.
 *
 * <p>Runs before {@link NonFinite}, which may still turn such an element non-finite (a padded zero times
 * an infinite weight is NaN in the reference too).
 */
final class StructuralZeros {

    private StructuralZeros() {
    }

    /** Outputs {@code o < outSize} whose taps {@code o*s - pad + i*d} all fall outside {@code [0, in)}. */
    static boolean[] emptyOutputs(int outSize, int in, int stride, int pad, int dilation, int kernel) {
        boolean[] empty = new boolean[outSize];
        for (int o = 0; o < outSize; o++) {
            empty[o] = true;
            for (int i = 0; i < kernel && empty[o]; i++) {
                long pos = (long) o * stride - pad + (long) i * dilation;
                empty[o] = pos < 0 || pos >= in;
            }
        }
        return empty;
    }

    /** Input positions {@code x < in} that no tap of any output reads. */
    static boolean[] unreadInputs(int in, int outSize, int stride, int pad, int dilation, int kernel) {
        boolean[] unread = new boolean[in];
        Arrays.fill(unread, true);
        for (int o = 0; o < outSize; o++) {
            for (int i = 0; i < kernel; i++) {
                long pos = (long) o * stride - pad + (long) i * dilation;
                if (pos >= 0 && pos < in) {
                    unread[(int) pos] = false;
                }
            }
        }
        return unread;
    }

    /** Taps {@code i < kernel} that read only padding, for every output. */
    static boolean[] paddingOnlyTaps(int kernel, int in, int outSize, int stride, int pad, int dilation) {
        boolean[] empty = new boolean[kernel];
        for (int i = 0; i < kernel; i++) {
            empty[i] = true;
            for (int o = 0; o < outSize && empty[i]; o++) {
                long pos = (long) o * stride - pad + (long) i * dilation;
                empty[i] = pos < 0 || pos >= in;
            }
        }
        return empty;
    }

    private static boolean any(boolean[] a) {
        for (boolean b : a) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sets to {@code value(plane)} every element of the {@code planes} planes of {@code rows x cols} in
     * {@code data} whose row or column is flagged.
     */
    private static void set(float[] data, int planes, int rows, int cols, boolean[] rowFlag, boolean[] colFlag,
                            java.util.function.IntToDoubleFunction value) {
        if (!any(rowFlag) && !any(colFlag)) {
            return;
        }
        for (int p = 0; p < planes; p++) {
            float v = (float) value.applyAsDouble(p);
            int base = p * rows * cols;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    if (rowFlag[r] || colFlag[c]) {
                        data[base + r * cols + c] = v;
                    }
                }
            }
        }
    }

    /** Forward: outputs whose window lies in the padding are exactly the bias. */
    static void forward(ConvShape s, float[] bias, float[] y) {
        ConvParams p = s.params();
        boolean[] rows = emptyOutputs(s.outH(), s.inH(), p.strideH(), p.padTop(), p.dilationH(), s.kernelH());
        boolean[] cols = emptyOutputs(s.outW(), s.inW(), p.strideW(), p.padLeft(), p.dilationW(), s.kernelW());
        int k = s.outChannels();
        set(y, s.batch() * k, s.outH(), s.outW(), rows, cols, plane -> bias == null ? 0f : bias[plane % k]);
    }

    /** Input gradient: positions no window reads are exactly zero. */
    static void inputGradient(ConvShape s, float[] dx) {
        ConvParams p = s.params();
        boolean[] rows = unreadInputs(s.inH(), s.outH(), p.strideH(), p.padTop(), p.dilationH(), s.kernelH());
        boolean[] cols = unreadInputs(s.inW(), s.outW(), p.strideW(), p.padLeft(), p.dilationW(), s.kernelW());
        set(dx, s.batch() * s.inChannels(), s.inH(), s.inW(), rows, cols, plane -> 0);
    }

    /** Weight gradient: taps that only ever read padding are exactly zero. */
    static void weightGradient(ConvShape s, float[] dw) {
        ConvParams p = s.params();
        boolean[] rows = paddingOnlyTaps(s.kernelH(), s.inH(), s.outH(), p.strideH(), p.padTop(), p.dilationH());
        boolean[] cols = paddingOnlyTaps(s.kernelW(), s.inW(), s.outW(), p.strideW(), p.padLeft(), p.dilationW());
        set(dw, s.outChannels() * s.inChannelsPerGroup(), s.kernelH(), s.kernelW(), rows, cols, plane -> 0);
    }
}
