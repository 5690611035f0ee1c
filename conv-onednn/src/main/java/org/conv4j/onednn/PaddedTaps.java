package org.conv4j.onednn;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.ParallelChunks;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Restores conv4j's meaning of zero padding where oneDNN's kernels differ from it.
 *
 * <p>In conv4j a padded position is a real zero that takes part in the sums ({@code docs/architecture.md}):
 * a tap of the window that falls on padding contributes {@code w * 0}, which is NaN when {@code w} is
 * infinite or NaN. oneDNN's kernels skip padded taps instead, which gives the same result for finite values
 * and a finite result where conv4j's is NaN. Two sums contain such products:
 * <ul>
 *   <li>the forward pass, {@code w[k,c,i,j] * xpad}: with a non-finite weight at tap {@code (i, j)} of filter
 *       {@code k}, every output of filter {@code k} whose window puts that tap on padding is NaN;</li>
 *   <li>{@code dL/dw[k,c,i,j] = sum dy[n,k,oh,ow] * xpad}: a non-finite {@code dy[n,k,oh,ow]} whose window
 *       puts tap {@code (i, j)} on padding makes {@code dL/dw[k,c,i,j]} NaN for every channel {@code c}.</li>
 * </ul>
 * {@code dL/dx} sums only taps that read a real input element in conv4j, but oneDNN's backward-data kernels
 * also multiply the weights by the zeros around and between the positions of {@code dL/dy} (a convolution of
 * the zero-stuffed {@code dL/dy}), so a non-finite weight spreads NaN further there: {@link #inputGradient}
 * handles it. {@code dL/db} has no padding. Both fixes look for non-finite values first (one pass over the weights or over {@code dy})
 * and do nothing more in the usual case where there are none, or when there is no padding.
 *
 * <p>Which output positions put a tap on padding: along each axis, the input position of output {@code o} through
 * tap {@code t} is {@code o*stride - padBefore + t*dilation} ({@link ConvAxis#inputIndex}), inside the input for
 * {@code o} in {@code [firstOutput(t), endOutput(t))} ({@link ConvAxis#firstOutput}); an output reads padding at
 * a tap of the window when it lies outside that range along at least one axis.
 *
 * <p>The same code serves 2D and 3D layers, NC[D]HW arrays with weights {@code (K, C/groups, [kD,] kH, kW)}: a 2D
 * layer is a 3D one with a unit depth axis ({@link Layer}).
 */
final class PaddedTaps {

    private PaddedTaps() {
    }

    /** True if some element of {@code a} is NaN or infinite ({@link ParallelChunks#allFinite(float[])}). */
    static boolean hasNonFinite(float[] a) {
        return !ParallelChunks.allFinite(a);
    }

    /**
     * The weights oneDNN's backward-data primitive gets: {@code w} itself if it is all finite, else a copy with
     * every non-finite weight set to 0. The zeroed taps' share of {@code dL/dx} is then added by
     * {@link #inputGradient}.
     */
    static float[] finiteWeights(float[] w) {
        if (!hasNonFinite(w)) {
            return w;
        }
        float[] copy = w.clone();
        for (int i = 0; i < copy.length; i++) {
            if (!Float.isFinite(copy[i])) {
                copy[i] = 0f;
            }
        }
        return copy;
    }

    /**
     * The dimensions the repairs read: batch, channels, filters, groups and three spatial axes (depth, rows,
     * columns), arrays in NCDHW order; a 2D layer has a depth axis of one position, one tap, no padding.
     */
    record Layer(int batch, int channels, int filters, int groups, ConvAxis depth, ConvAxis rows, ConvAxis cols) {

        /** The axis of a 2D layer's depth: one position read by one tap. */
        static final ConvAxis UNIT = new ConvAxis(1, 1, 1, 0, 0, 1, 1);

        static Layer of(ConvShape s) {
            return new Layer(s.batch(), s.inChannels(), s.outChannels(), s.params().groups(), UNIT, s.rows(),
                    s.cols());
        }

        static Layer of(Conv3dShape s) {
            return new Layer(s.batch(), s.inChannels(), s.outChannels(), s.params().groups(), s.depth(), s.rows(),
                    s.cols());
        }

        boolean padded() {
            return padded(depth) || padded(rows) || padded(cols);
        }

        private static boolean padded(ConvAxis a) {
            return a.padBefore() > 0 || a.padAfter() > 0;
        }

        int taps() {
            return depth.kernel() * rows.kernel() * cols.kernel();
        }

        int outVolume() {
            return depth.out() * rows.out() * cols.out();
        }

        /** Whether every output has, along every axis, a tap inside the input. */
        boolean everyWindowReadsInput() {
            return !depth.hasPaddingOnlyOutputs() && !rows.hasPaddingOnlyOutputs() && !cols.hasPaddingOnlyOutputs();
        }

        /** Whether output {@code o} along {@code a} reads padding through tap {@code t}. */
        static boolean outside(ConvAxis a, int o, int t) {
            return o < a.firstOutput(t) || o >= a.endOutput(t);
        }
    }

    /**
     * Completes {@code dL/dx} computed with {@link #finiteWeights} in place of {@code w}: adds
     * {@code dy[n,k,oh,ow] * w[k,c,i,j]} for every non-finite weight and every output whose tap {@code (i, j)}
     * reads a real input element, exactly the products conv4j's sum has and the zeroed weights left out. Where
     * {@code dL/dy} also holds non-finite values, a zeroed weight met one of them ({@code 0 * Inf} is NaN where
     * the true product is infinite), so {@code dx} is recomputed from zero with every weight. Nothing to do if
     * {@code finite} is {@code w} itself.
     */
    static void inputGradient(ConvShape s, float[] w, float[] finite, float[] dy, float[] dx) {
        inputGradient(Layer.of(s), w, finite, dy, dx);
    }

    /** {@link #inputGradient(ConvShape, float[], float[], float[], float[])} of a 3D layer (taps {@code (a, i, j)}). */
    static void inputGradient(Conv3dShape s, float[] w, float[] finite, float[] dy, float[] dx) {
        inputGradient(Layer.of(s), w, finite, dy, dx);
    }

    private static void inputGradient(Layer s, float[] w, float[] finite, float[] dy, float[] dx) {
        if (finite == w) {
            return;
        }
        boolean every = hasNonFinite(dy);
        if (every) {
            Arrays.fill(dx, 0f);
        }
        ConvAxis depth = s.depth();
        ConvAxis rows = s.rows();
        ConvAxis cols = s.cols();
        int taps = s.taps();
        int cg = s.channels() / s.groups();
        int kg = s.filters() / s.groups();
        for (int k = 0; k < s.filters(); k++) {
            int g = k / kg;
            for (int c = 0; c < cg; c++) {
                for (int t = 0; t < taps; t++) {
                    float wv = w[(k * cg + c) * taps + t];
                    if (!every && Float.isFinite(wv)) {
                        continue;
                    }
                    int a = t / (rows.kernel() * cols.kernel());
                    int i = t / cols.kernel() % rows.kernel();
                    int j = t % cols.kernel();
                    int odEnd = depth.endOutput(a);
                    int ohEnd = rows.endOutput(i);
                    int owFirst = cols.firstOutput(j);
                    int owEnd = cols.endOutput(j);
                    for (int n = 0; n < s.batch(); n++) {
                        int xVolume = (n * s.channels() + g * cg + c) * depth.in();
                        int yVolume = (n * s.filters() + k) * depth.out();
                        for (int od = depth.firstOutput(a); od < odEnd; od++) {
                            int xPlane = (xVolume + (int) depth.inputIndex(od, a)) * rows.in();
                            int yPlane = (yVolume + od) * rows.out();
                            for (int oh = rows.firstOutput(i); oh < ohEnd; oh++) {
                                int xRow = (xPlane + (int) rows.inputIndex(oh, i)) * cols.in();
                                int yRow = (yPlane + oh) * cols.out();
                                for (int ow = owFirst; ow < owEnd; ow++) {
                                    dx[xRow + (int) cols.inputIndex(ow, j)] += dy[yRow + ow] * wv;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** Sets NaN in every output whose window puts a non-finite weight on padding (see the class comment). */
    static void forward(ConvShape s, float[] w, float[] y) {
        forward(Layer.of(s), w, y);
    }

    /** {@link #forward(ConvShape, float[], float[])} of a 3D layer. */
    static void forward(Conv3dShape s, float[] w, float[] y) {
        forward(Layer.of(s), w, y);
    }

    private static void forward(Layer s, float[] w, float[] y) {
        if (!s.padded() || !hasNonFinite(w)) {
            return;
        }
        ConvAxis depth = s.depth();
        ConvAxis rows = s.rows();
        ConvAxis cols = s.cols();
        int taps = s.taps();
        int cg = s.channels() / s.groups();
        int outW = cols.out();
        for (int k = 0; k < s.filters(); k++) {
            for (int t = 0; t < taps; t++) {
                if (!nonFiniteAtTap(w, k, cg, taps, t)) {
                    continue;
                }
                int a = t / (rows.kernel() * cols.kernel());
                int i = t / cols.kernel() % rows.kernel();
                int j = t % cols.kernel();
                for (int n = 0; n < s.batch(); n++) {
                    int volume = (n * s.filters() + k) * depth.out();
                    for (int od = 0; od < depth.out(); od++) {
                        boolean depthOutside = Layer.outside(depth, od, a);
                        int plane = (volume + od) * rows.out();
                        for (int oh = 0; oh < rows.out(); oh++) {
                            int row = (plane + oh) * outW;
                            if (depthOutside || Layer.outside(rows, oh, i)) {
                                Arrays.fill(y, row, row + outW, Float.NaN);
                            } else {
                                Arrays.fill(y, row, row + cols.firstOutput(j), Float.NaN);
                                Arrays.fill(y, row + cols.endOutput(j), row + outW, Float.NaN);
                            }
                        }
                    }
                }
            }
        }
    }

    /** True if {@code w[k, c, tap]} is non-finite for some channel {@code c} of the filter. */
    private static boolean nonFiniteAtTap(float[] w, int k, int cg, int taps, int tap) {
        for (int c = 0; c < cg; c++) {
            if (!Float.isFinite(w[(k * cg + c) * taps + tap])) {
                return true;
            }
        }
        return false;
    }

    /** Sets NaN in {@code dw[k, c, i, j]} (every c) where a non-finite {@code dy} meets padding at tap (i, j). */
    static void weightGradient(ConvShape s, float[] dy, float[] dw) {
        weightGradient(Layer.of(s), dy, dw);
    }

    /**
     * {@link #weightGradient(ConvShape, float[], float[])} for a {@code dL/dy} that is not a heap NCHW array (a native
     * tensor read in place): {@code dy} gives it as one, asked only where the test on {@code dw} cannot clear it.
     */
    static void weightGradient(ConvShape s, Supplier<float[]> dy, float[] dw) {
        weightGradient(Layer.of(s), dy, dw);
    }

    /** {@link #weightGradient(ConvShape, float[], float[])} of a 3D layer. */
    static void weightGradient(Conv3dShape s, float[] dy, float[] dw) {
        weightGradient(Layer.of(s), () -> dy, dw);
    }

    /**
     * {@link #weightGradient(Conv3dShape, float[], float[])} for a {@code dL/dy} that is not a heap NCDHW array (a
     * native tensor read in place): {@code dy} gives it as one, and is asked only where the test on {@code dw} cannot
     * clear it (see below), so a call with finite values never copies it.
     */
    static void weightGradient(Conv3dShape s, Supplier<float[]> dy, float[] dw) {
        weightGradient(Layer.of(s), dy, dw);
    }

    /** Whether the 3D layer {@code s} has padding on some side (where oneDNN skips taps that conv4j multiplies). */
    static boolean padded(Conv3dShape s) {
        return Layer.of(s).padded();
    }

    private static void weightGradient(Layer s, float[] dy, float[] dw) {
        weightGradient(s, () -> dy, dw);
    }

    private static void weightGradient(Layer s, Supplier<float[]> gradOutput, float[] dw) {
        if (!s.padded()) {
            return;
        }
        // A non-finite dy[n,k,oh,ow] whose window reads at least one input element reaches oneDNN's own
        // dw[k,c,i,j] at such a tap: times any x the product is NaN or infinite, and so is every float sum that
        // contains it. So where every window reads the input, a finite dw proves dy finite, and the small dw is
        // scanned in place of dy (on the ResNet-50 layer, 37 thousand floats instead of 1.6 million).
        if (s.everyWindowReadsInput() && !hasNonFinite(dw)) {
            return;
        }
        float[] dy = gradOutput.get();
        if (!hasNonFinite(dy)) {
            return;
        }
        int taps = s.taps();
        int cg = s.channels() / s.groups();
        int volume = s.outVolume();
        int plane = s.rows().out() * s.cols().out();
        Inside inside = new Inside(s);
        boolean[] nan = new boolean[taps];
        for (int k = 0; k < s.filters(); k++) {
            Arrays.fill(nan, false);
            for (int n = 0; n < s.batch(); n++) {
                int start = (n * s.filters() + k) * volume;
                for (int o = 0; o < volume; o++) {
                    if (!Float.isFinite(dy[start + o])) {
                        inside.markPaddedTaps(o / plane, o / s.cols().out() % s.rows().out(), o % s.cols().out(),
                                nan);
                    }
                }
            }
            for (int t = 0; t < taps; t++) {
                if (nan[t]) {
                    for (int c = 0; c < cg; c++) {
                        dw[(k * cg + c) * taps + t] = Float.NaN;
                    }
                }
            }
        }
    }

    /**
     * Per axis and tap, the outputs {@code [first, end)} whose tap reads inside the input ({@link
     * ConvAxis#firstOutput}), computed once for a scan of {@code dL/dy}.
     */
    private static final class Inside {
        private final int[][] first = new int[3][];
        private final int[][] end = new int[3][];
        private final int kH;
        private final int kW;

        Inside(Layer s) {
            ConvAxis[] axes = {s.depth(), s.rows(), s.cols()};
            for (int a = 0; a < 3; a++) {
                first[a] = new int[axes[a].kernel()];
                end[a] = new int[axes[a].kernel()];
                for (int t = 0; t < axes[a].kernel(); t++) {
                    first[a][t] = axes[a].firstOutput(t);
                    end[a][t] = axes[a].endOutput(t);
                }
            }
            kH = s.rows().kernel();
            kW = s.cols().kernel();
        }

        private boolean outside(int axis, int o, int tap) {
            return o < first[axis][tap] || o >= end[axis][tap];
        }

        /** Marks every tap that output {@code (od, oh, ow)} reads from padding. */
        void markPaddedTaps(int od, int oh, int ow, boolean[] marks) {
            for (int t = 0; t < marks.length; t++) {
                if (outside(0, od, t / (kH * kW)) || outside(1, oh, t / kW % kH) || outside(2, ow, t % kW)) {
                    marks[t] = true;
                }
            }
        }
    }
}
