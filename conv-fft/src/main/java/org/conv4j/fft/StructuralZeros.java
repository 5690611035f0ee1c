package org.conv4j.fft;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvShape;

import java.util.Arrays;

/**
 * Result elements whose sum has no term at all, set exactly. A transform spreads its rounding error over
 * every position, so without this an output whose window lies entirely in the padding would come out as
 * {@code bias + 1e-8}-sized noise instead of exactly {@code bias}; likewise an input position that no
 * window reads (a stride larger than the kernel) would get a non-zero gradient, and a kernel tap that
 * only ever reads padding a non-zero weight gradient. Which elements are structurally empty is a property
 * of each axis separately: the element is empty if its row or its column (in 3D: or its slice) is.
 *
 * <p>Runs before {@link NonFinite}, which may still turn such an element non-finite (a padded zero times
 * an infinite weight is NaN in the reference too).
 */
final class StructuralZeros {

    private StructuralZeros() {
    }

    /** Outputs whose taps all read padding: no tap's range {@code [firstOutput, endOutput)} holds them. */
    static boolean[] emptyOutputs(ConvAxis a) {
        boolean[] empty = new boolean[a.out()];
        Arrays.fill(empty, true);
        for (int t = 0; t < a.kernel(); t++) {
            Arrays.fill(empty, a.firstOutput(t), a.endOutput(t), false);
        }
        return empty;
    }

    /** Input positions that no tap of any output reads. */
    static boolean[] unreadInputs(ConvAxis a) {
        boolean[] unread = new boolean[a.in()];
        Arrays.fill(unread, true);
        for (int t = 0; t < a.kernel(); t++) {
            for (int o = a.firstOutput(t); o < a.endOutput(t); o++) {
                unread[(int) a.inputIndex(o, t)] = false;
            }
        }
        return unread;
    }

    /** Taps that read only padding, for every output: their range of outputs is empty. */
    static boolean[] paddingOnlyTaps(ConvAxis a) {
        boolean[] empty = new boolean[a.kernel()];
        for (int t = 0; t < a.kernel(); t++) {
            empty[t] = a.firstOutput(t) == a.endOutput(t);
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
     * Sets to {@code value(plane)} every element of the {@code planes} volumes of {@code depth x rows x cols} in
     * {@code data} whose slice, row or column is flagged (a 2D plane is a volume of depth 1, its flag false).
     */
    private static void set(float[] data, int planes, boolean[] sliceFlag, boolean[] rowFlag, boolean[] colFlag,
                            java.util.function.IntToDoubleFunction value) {
        if (!any(sliceFlag) && !any(rowFlag) && !any(colFlag)) {
            return;
        }
        int depth = sliceFlag.length;
        int rows = rowFlag.length;
        int cols = colFlag.length;
        for (int p = 0; p < planes; p++) {
            float v = (float) value.applyAsDouble(p);
            for (int z = 0; z < depth; z++) {
                for (int r = 0; r < rows; r++) {
                    int base = ((p * depth + z) * rows + r) * cols;
                    for (int c = 0; c < cols; c++) {
                        if (sliceFlag[z] || rowFlag[r] || colFlag[c]) {
                            data[base + c] = v;
                        }
                    }
                }
            }
        }
    }

    private static final boolean[] FLAT = {false};

    /** Forward: outputs whose window lies in the padding are exactly the bias. */
    static void forward(ConvShape s, float[] bias, float[] y) {
        int k = s.outChannels();
        set(y, s.batch() * k, FLAT, emptyOutputs(s.rows()), emptyOutputs(s.cols()),
                plane -> bias == null ? 0f : bias[plane % k]);
    }

    /** Input gradient: positions no window reads are exactly zero. */
    static void inputGradient(ConvShape s, float[] dx) {
        set(dx, s.batch() * s.inChannels(), FLAT, unreadInputs(s.rows()), unreadInputs(s.cols()), plane -> 0);
    }

    /** Weight gradient: taps that only ever read padding are exactly zero. */
    static void weightGradient(ConvShape s, float[] dw) {
        set(dw, s.outChannels() * s.inChannelsPerGroup(), FLAT, paddingOnlyTaps(s.rows()),
                paddingOnlyTaps(s.cols()), plane -> 0);
    }

    /** {@link #forward(ConvShape, float[], float[])} in 3D (NCDHW). */
    static void forward(Conv3dShape s, float[] bias, float[] y) {
        int k = s.outChannels();
        set(y, s.batch() * k, emptyOutputs(s.depth()), emptyOutputs(s.rows()), emptyOutputs(s.cols()),
                plane -> bias == null ? 0f : bias[plane % k]);
    }

    /** {@link #inputGradient(ConvShape, float[])} in 3D (NCDHW). */
    static void inputGradient(Conv3dShape s, float[] dx) {
        set(dx, s.batch() * s.inChannels(), unreadInputs(s.depth()), unreadInputs(s.rows()), unreadInputs(s.cols()),
                plane -> 0);
    }

    /** {@link #weightGradient(ConvShape, float[])} in 3D (weights {@code (K, C/groups, kD, kH, kW)}). */
    static void weightGradient(Conv3dShape s, float[] dw) {
        set(dw, s.outChannels() * s.inChannelsPerGroup(), paddingOnlyTaps(s.depth()), paddingOnlyTaps(s.rows()),
                paddingOnlyTaps(s.cols()), plane -> 0);
    }
}
