package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.ParallelChunks;
import org.conv4j.api.Tensor4D;

import java.util.Arrays;
import java.util.stream.IntStream;

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
 * <p>Which output positions put tap {@code i} on padding: the input row is
 * {@code oh*sh - padTop + i*dh}, inside the input for {@code first(i) <= oh <= last(i)} (see
 * {@link #firstInside}); every other output row, and likewise every column outside the corresponding range,
 * reads padding at that tap.
 */
final class PaddedTaps {

    private PaddedTaps() {
    }

    /**
     * True if some element of {@code a} is NaN or infinite ({@link Tensor4D#allFinite(float[], int, int)}), large
     * arrays scanned in {@link ParallelChunks}.
     */
    static boolean hasNonFinite(float[] a) {
        int chunks = ParallelChunks.count(a.length);
        if (chunks <= 1) {
            return !Tensor4D.allFinite(a, 0, a.length);
        }
        return IntStream.range(0, chunks).parallel().anyMatch(c -> !Tensor4D.allFinite(a,
                ParallelChunks.start(a.length, c, chunks), ParallelChunks.start(a.length, c + 1, chunks)));
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
     * Completes {@code dL/dx} computed with {@link #finiteWeights} in place of {@code w}: adds
     * {@code dy[n,k,oh,ow] * w[k,c,i,j]} for every non-finite weight and every output whose tap {@code (i, j)}
     * reads a real input element, exactly the products conv4j's sum has and the zeroed weights left out. Where
     * {@code dL/dy} also holds non-finite values, a zeroed weight met one of them ({@code 0 * Inf} is NaN where
     * the true product is infinite), so {@code dx} is recomputed from zero with every weight. Nothing to do if
     * {@code finite} is {@code w} itself.
     */
    static void inputGradient(ConvShape s, float[] w, float[] finite, float[] dy, float[] dx) {
        if (finite == w) {
            return;
        }
        boolean every = hasNonFinite(dy);
        if (every) {
            Arrays.fill(dx, 0f);
        }
        int taps = s.kernelH() * s.kernelW();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        var rows = s.rows();
        var cols = s.cols();
        for (int k = 0; k < s.outChannels(); k++) {
            int g = k / kg;
            for (int c = 0; c < cg; c++) {
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        float wv = w[(k * cg + c) * taps + i * s.kernelW() + j];
                        if (!every && Float.isFinite(wv)) {
                            continue;
                        }
                        for (int n = 0; n < s.batch(); n++) {
                            int xPlane = (n * s.inChannels() + g * cg + c) * s.inH();
                            int yPlane = (n * s.outChannels() + k) * s.outH();
                            for (int oh = rows.firstOutput(i); oh < rows.endOutput(i); oh++) {
                                int xRow = (xPlane + (int) rows.inputIndex(oh, i)) * s.inW();
                                int yRow = (yPlane + oh) * s.outW();
                                for (int ow = cols.firstOutput(j); ow < cols.endOutput(j); ow++) {
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
        if (!s.params().isPadded() || !hasNonFinite(w)) {
            return;
        }
        Ranges r = new Ranges(s);
        int taps = s.kernelH() * s.kernelW();
        int cg = s.inChannelsPerGroup();
        for (int k = 0; k < s.outChannels(); k++) {
            for (int t = 0; t < taps; t++) {
                if (!nonFiniteAtTap(w, k, cg, taps, t)) {
                    continue;
                }
                int i = t / s.kernelW();
                int j = t % s.kernelW();
                for (int n = 0; n < s.batch(); n++) {
                    int plane = (n * s.outChannels() + k) * s.outPlane();
                    for (int oh = 0; oh < s.outH(); oh++) {
                        int row = plane + oh * s.outW();
                        if (oh < r.firstRow[i] || oh > r.lastRow[i]) {
                            Arrays.fill(y, row, row + s.outW(), Float.NaN);
                        } else {
                            Arrays.fill(y, row, row + Math.min(r.firstCol[j], s.outW()), Float.NaN);
                            Arrays.fill(y, row + Math.max(r.lastCol[j] + 1, 0), row + s.outW(), Float.NaN);
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
        if (!s.params().isPadded()) {
            return;
        }
        Ranges r = new Ranges(s);
        // A non-finite dy[n,k,oh,ow] whose window reads at least one input element reaches oneDNN's own
        // dw[k,c,i,j] at such a tap: times any x the product is NaN or infinite, and so is every float sum that
        // contains it. So where every window reads the input, a finite dw proves dy finite, and the small dw is
        // scanned in place of dy (on the ResNet-50 layer, 37 thousand floats instead of 1.6 million).
        if (r.everyWindowReadsInput() && !hasNonFinite(dw)) {
            return;
        }
        if (!hasNonFinite(dy)) {
            return;
        }
        int taps = s.kernelH() * s.kernelW();
        int cg = s.inChannelsPerGroup();
        boolean[] nan = new boolean[taps];
        for (int k = 0; k < s.outChannels(); k++) {
            Arrays.fill(nan, false);
            for (int n = 0; n < s.batch(); n++) {
                int plane = (n * s.outChannels() + k) * s.outPlane();
                for (int o = 0; o < s.outPlane(); o++) {
                    if (!Float.isFinite(dy[plane + o])) {
                        markPaddedTaps(r, o / s.outW(), o % s.outW(), s.kernelW(), nan);
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

    /** Marks every tap that output {@code (oh, ow)} reads from padding. */
    private static void markPaddedTaps(Ranges r, int oh, int ow, int kernelW, boolean[] marks) {
        for (int t = 0; t < marks.length; t++) {
            int i = t / kernelW;
            int j = t % kernelW;
            if (oh < r.firstRow[i] || oh > r.lastRow[i] || ow < r.firstCol[j] || ow > r.lastCol[j]) {
                marks[t] = true;
            }
        }
    }

    /**
     * The smallest output index {@code o >= 0} whose tap at {@code offset = i*d} reads inside the input,
     * {@code o*stride - pad + offset >= 0}, i.e. {@code ceil((pad - offset) / stride)}.
     */
    static long firstInside(long pad, long offset, long stride) {
        return Math.max(0, Math.floorDiv(pad - offset + stride - 1, stride));
    }

    /** The largest output index whose tap at {@code offset} reads inside the input of size {@code in}: {@code floor((in - 1 + pad - offset) / stride)}. */
    static long lastInside(long in, long pad, long offset, long stride) {
        return Math.floorDiv(in - 1 + pad - offset, stride);
    }

    /**
     * Per tap row {@code i} and tap column {@code j}: the output rows {@code firstRow[i] .. lastRow[i]} and
     * columns {@code firstCol[j] .. lastCol[j]} that read inside the input, clamped to the output (an empty
     * range where none does).
     */
    private static final class Ranges {
        final int[] firstRow;
        final int[] lastRow;
        final int[] firstCol;
        final int[] lastCol;
        final int outH;
        final int outW;

        Ranges(ConvShape s) {
            ConvParams p = s.params();
            outH = s.outH();
            outW = s.outW();
            firstRow = new int[s.kernelH()];
            lastRow = new int[s.kernelH()];
            for (int i = 0; i < s.kernelH(); i++) {
                long offset = (long) i * p.dilationH();
                firstRow[i] = (int) Math.min(s.outH(), firstInside(p.padTop(), offset, p.strideH()));
                lastRow[i] = clampLast(lastInside(s.inH(), p.padTop(), offset, p.strideH()), s.outH());
            }
            firstCol = new int[s.kernelW()];
            lastCol = new int[s.kernelW()];
            for (int j = 0; j < s.kernelW(); j++) {
                long offset = (long) j * p.dilationW();
                firstCol[j] = (int) Math.min(s.outW(), firstInside(p.padLeft(), offset, p.strideW()));
                lastCol[j] = clampLast(lastInside(s.inW(), p.padLeft(), offset, p.strideW()), s.outW());
            }
        }

        /** Whether every output position has a tap row and a tap column inside the input. */
        boolean everyWindowReadsInput() {
            return covers(firstRow, lastRow, outH) && covers(firstCol, lastCol, outW);
        }

        /** Whether the ranges {@code first[t] .. last[t]} together cover {@code 0 .. size - 1}. */
        private static boolean covers(int[] first, int[] last, int size) {
            boolean[] covered = new boolean[size];
            for (int t = 0; t < first.length; t++) {
                for (int o = first[t]; o <= last[t]; o++) {
                    covered[o] = true;
                }
            }
            for (boolean c : covered) {
                if (!c) {
                    return false;
                }
            }
            return true;
        }

        /** A last index limited to {@code [-1, size - 1]} (-1: no output reads inside), as an int. */
        private static int clampLast(long v, int size) {
            return (int) Math.max(-1, Math.min(size - 1, v));
        }
    }
}
