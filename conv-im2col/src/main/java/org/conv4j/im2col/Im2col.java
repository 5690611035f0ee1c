package org.conv4j.im2col;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvShape;

import java.nio.FloatBuffer;

/**
 * The im2col and col2im kernels, one row of the column matrix at a time, over plain arrays with offsets, and
 * their 3D counterparts {@link #vol2colRow} and {@link #col2volRow}, built on them one depth slice at a time.
 *
 * <p><b>The column matrix</b> of one image and one group, for output rows {@code oh0 <= oh < oh1} (a band;
 * the whole image when {@code oh0 = 0, oh1 = outH}), has {@code Cg*kH*kW} rows and
 * {@code (oh1 - oh0)*outW} columns, row-major:
 * <pre>
 *   row    r = (c*kH + i)*kW + j            (input channel c of the group, kernel tap (i, j))
 *   column q = (oh - oh0)*outW + ow         (output position)
 *   cols[r][q] = x[c, rows.inputIndex(oh, i), cols.inputIndex(ow, j)]   or 0 where that is outside the input
 * </pre>
 * so that {@code W (K/g x Cg*kH*kW) * cols} is the band of the output, with the weight {@code (K, Cg, kH, kW)}
 * read as it is stored (row {@code k}, column {@code r}). {@link #im2colRow} fills one row {@code r}
 * (one channel plane, one tap) in the native buffer; {@link #col2imRow} is its exact mirror: it <em>adds</em> every element of
 * the row back to the input element it was copied from and drops the padding, so that col2im applied to
 * {@code W^T * dY} is the input gradient.
 *
 * (with {@code rows}, {@code cols} the {@link ConvAxis} geometries of {@link ConvShape#rows()} and
 * {@link ConvShape#cols()}).
 *
 * <p>The bounds are computed once per row, not tested per element: for tap {@code j} the input column is
 * {@code iw = iw0 + ow*sw} with {@code iw0 = cols.inputIndex(0, j)}, increasing in {@code ow}, so the outputs
 * that read inside the input form one range {@code [owLo, owHi) = [cols.firstOutput(j), cols.endOutput(j))},
 * left of it is left padding and right of it is right padding. Rows {@code ih} outside {@code [0, H)} are all
 * padding. This is Caffe's loop with its per-element test hoisted out; positions that can exceed an int
 * (absurd paddings) are computed in long.
 */
final class Im2col {

    private Im2col() {
    }

    /**
     * Writes row {@code (i, j)} of one channel's block of the column matrix (see the class comment):
     * {@code (oh1 - oh0)*outW} floats at {@code dst[dstOffset..]}, absolute indexing only (the buffer's
     * position is neither used nor moved, so threads may fill disjoint rows of one buffer).
     *
     * <p>The destination is a buffer rather than an array because the column matrix lives in native memory
     * for OpenBLAS: writing it there directly took 0.51 ms per ResNet image against 0.67-0.78 ms for an
     * array row plus a bulk copy, in a probe under load (docs/im2col.md). Stride-1 runs are bulk copies.
     *
     * @param x      the input
     * @param plane  offset of the channel's {@code H x W} plane in {@code x}
     * @param inH    H
     * @param inW    W
     * @param i      kernel row
     * @param j      kernel column
     * @param g      the geometry (strides, paddings, dilations, output width)
     * @param oh0    first output row of the band
     * @param oh1    end (exclusive) of the band
     */
    static void im2colRow(float[] x, int plane, int inH, int inW, int i, int j, Geometry g, int oh0, int oh1,
                          FloatBuffer dst, int dstOffset) {
        ConvAxis cols = g.cols();
        int outW = cols.out();
        long iw0 = cols.inputIndex(0, j);
        int owLo = cols.firstOutput(j);
        int owHi = cols.endOutput(j);
        int inside = owHi - owLo;
        int sw = cols.stride();
        for (int oh = oh0; oh < oh1; oh++) {
            int d = dstOffset + (oh - oh0) * outW;
            long ih = g.rows().inputIndex(oh, i);
            if (ih < 0 || ih >= inH || inside == 0) {
                zero(dst, d, outW);
                continue;
            }
            zero(dst, d, owLo);
            int s = plane + (int) ih * inW + (int) (iw0 + (long) owLo * sw);
            if (sw == 1) {
                dst.put(d + owLo, x, s, inside);
            } else {
                for (int t = 0; t < inside; t++) {
                    dst.put(d + owLo + t, x[s + t * sw]);
                }
            }
            zero(dst, d + owHi, outW - owHi);
        }
    }

    /**
     * Writes row {@code (a, i, j)} of one channel's block of a 3D column matrix: its columns are the output rows
     * {@code r0 <= r < r1} of the volume, numbered {@code r = od*outH + oh}, each of {@code outW} positions,
     * so {@code (r1 - r0)*outW} floats at {@code dst[dstOffset..]}:
     * <pre>
     *   cols[(c*kD + a)*kH*kW + i*kW + j][(r - r0)*outW + ow]
     *       = x[c, depth.inputIndex(od, a), rows.inputIndex(oh, i), cols.inputIndex(ow, j)]   or 0 outside the input
     * </pre>
     * Within one output depth slice {@code od} this is {@link #im2colRow} over the input slice
     * {@code depth.inputIndex(od, a)} (all zeros where that slice is padding); a 2D column row is the case
     * {@code outD = 1} with an undilated, unpadded depth of one.
     *
     * @param x      the input
     * @param volume offset of the channel's {@code D x H x W} volume in {@code x}
     * @param inD    D
     * @param inH    H
     * @param inW    W
     * @param a      kernel depth tap
     * @param i      kernel row
     * @param j      kernel column
     * @param g      the geometry
     * @param r0     first output row of the band
     * @param r1     end (exclusive) of the band
     */
    static void vol2colRow(float[] x, int volume, int inD, int inH, int inW, int a, int i, int j, VolumeGeometry g,
                           int r0, int r1, FloatBuffer dst, int dstOffset) {
        int outH = g.plane().rows().out();
        int outW = g.plane().cols().out();
        for (int od = r0 / outH; od * outH < r1; od++) {
            int lo = Math.max(r0, od * outH);
            int hi = Math.min(r1, (od + 1) * outH);
            int d = dstOffset + (lo - r0) * outW;
            long id = g.depth().inputIndex(od, a);
            if (id < 0 || id >= inD) {
                zero(dst, d, (hi - lo) * outW);
                continue;
            }
            im2colRow(x, volume + (int) id * inH * inW, inH, inW, i, j, g.plane(), lo - od * outH, hi - od * outH,
                    dst, d);
        }
    }

    /**
     * The mirror of {@link #vol2colRow}: adds each element of row {@code (a, i, j)}, read from
     * {@code src[srcOffset..]}, to the input element {@link #vol2colRow} copied it from ({@link #col2imRow} per
     * depth slice); padding positions are dropped.
     */
    static void col2volRow(float[] src, int srcOffset, int a, int i, int j, VolumeGeometry g, int r0, int r1,
                           float[] dx, int volume, int inD, int inH, int inW) {
        int outH = g.plane().rows().out();
        int outW = g.plane().cols().out();
        for (int od = r0 / outH; od * outH < r1; od++) {
            int lo = Math.max(r0, od * outH);
            int hi = Math.min(r1, (od + 1) * outH);
            long id = g.depth().inputIndex(od, a);
            if (id < 0 || id >= inD) {
                continue;
            }
            col2imRow(src, srcOffset + (lo - r0) * outW, i, j, g.plane(), lo - od * outH, hi - od * outH, dx,
                    volume + (int) id * inH * inW, inH, inW);
        }
    }

    private static final float[] ZEROS = new float[1024];

    /** Sets {@code length} floats from {@code at} to zero (a bulk copy of a zero array when long). */
    private static void zero(FloatBuffer dst, int at, int length) {
        if (length <= 8) {
            for (int t = at; t < at + length; t++) {
                dst.put(t, 0f);
            }
            return;
        }
        for (int done = 0; done < length; done += ZEROS.length) {
            dst.put(at + done, ZEROS, 0, Math.min(ZEROS.length, length - done));
        }
    }

    /**
     * The mirror of {@link #im2colRow}: adds each element of row {@code (i, j)}, read from
     * {@code src[srcOffset..]}, to the input element {@link #im2colRow} copied it from; padding positions
     * are dropped.
     */
    static void col2imRow(float[] src, int srcOffset, int i, int j, Geometry g, int oh0, int oh1,
                          float[] dx, int plane, int inH, int inW) {
        ConvAxis cols = g.cols();
        int outW = cols.out();
        long iw0 = cols.inputIndex(0, j);
        int owLo = cols.firstOutput(j);
        int inside = cols.endOutput(j) - owLo;
        if (inside == 0) {
            return;
        }
        int sw = cols.stride();
        for (int oh = oh0; oh < oh1; oh++) {
            long ih = g.rows().inputIndex(oh, i);
            if (ih < 0 || ih >= inH) {
                continue;
            }
            int d = srcOffset + (oh - oh0) * outW + owLo;
            int s = plane + (int) ih * inW + (int) (iw0 + (long) owLo * sw);
            if (sw == 1) { // the common case, in the simplest form so that the JIT vectorises it
                for (int t = 0; t < inside; t++) {
                    dx[s + t] += src[d + t];
                }
            } else {
                for (int t = 0; t < inside; t++) {
                    dx[s + t * sw] += src[d + t];
                }
            }
        }
    }

    // ------------------------------------------------------------------ col2im by shifted rows

    /*
     * col2im for "same-width" convolutions (stride 1 and outW == inW, i.e. padLeft + padRight == (kW-1)*dW:
     * ResNet's 3x3 with padding 1, every "same" convolution), arranged so that the additions vectorise.
     * HotSpot's C2 (JDK 17) vectorises `a[k] += b[k]` but not `a[d + t] += b[s + t]` with two different
     * offsets (it cannot rule out that a and b are one array): 0.11-0.16 ns per addition against 0.5-0.6 ns
     * measured. With stride 1 and outW == inW, row (i, j) of the column matrix maps to the input by one
     * shift: entry q = (oh - oh0)*outW + ow came from input element (ih, iw) = (oh - padTop + i*dH,
     * ow - padLeft + j*dW), whose index in an accumulator of input rows lo.. is
     *   k = (ih - lo)*inW + iw = q + delta,   delta = (oh0 - padTop + i*dH - lo)*inW + j*dW - padLeft.
     * So the row's entries [qStart, qEnd) that come from inside the input are copied in one piece to
     * `shifted` at [qStart + delta, qEnd + delta), the padding entries between two output rows (which would
     * land on the neighbouring input row) are set to zero, and `acc[k] += shifted[k]` runs over that range
     * with a single index. The accumulator's sum goes into dx once per channel.
     */

    /** True if {@code s} has the geometry {@link #shiftedRun} needs: stride 1 and {@code outW == inW}. */
    static boolean sameWidth(ConvShape s) {
        return s.params().strideH() == 1 && s.params().strideW() == 1 && s.outW() == s.inW();
    }

    /**
     * The input rows a band of output rows {@code [oh0, oh1)} reads, clipped to the input: {@code [lo, hi)}
     * with {@code lo = max(0, rows.inputIndex(oh0, 0))} and {@code hi = min(inH, rows.inputIndex(oh1-1, kH-1) + 1)}
     * ({@code hi <= lo} when the band reads padding only). Long arithmetic: paddings and dilations may be
     * large.
     */
    static int[] bandInputRows(Geometry g, int oh0, int oh1, int kernelH, int inH) {
        long lo = Math.max(0, g.rows().inputIndex(oh0, 0));
        long hi = Math.min(inH, g.rows().inputIndex(oh1 - 1, kernelH - 1) + 1);
        return new int[] {(int) lo, (int) Math.max(lo, hi)};
    }

    /**
     * The part of row {@code (i, j)} of a band's column matrix that comes from inside the input, for a
     * same-width geometry ({@link #sameWidth}): entries {@code [qStart, qEnd)} map to accumulator indices
     * {@code q + delta} (see the comment above); {@code null} if the row holds padding only. The accumulator
     * holds input rows {@code lo..} of {@link #bandInputRows}.
     */
    static ShiftedRun shiftedRun(int i, int j, Geometry g, int oh0, int oh1, int inH, int inW, int lo) {
        long rowShift = g.rows().inputIndex(0, i); // ih = oh + rowShift (stride 1)
        int ohLo = (int) Math.max(oh0, -rowShift);
        int ohHi = (int) Math.min(oh1, inH - rowShift);
        ConvAxis cols = g.cols();
        long iw0 = cols.inputIndex(0, j);
        int owLo = cols.firstOutput(j);
        int owHi = cols.endOutput(j);
        if (ohLo >= ohHi || owLo >= owHi) {
            return null;
        }
        int outW = cols.out();
        int qStart = (ohLo - oh0) * outW + owLo;
        int qEnd = (ohHi - 1 - oh0) * outW + owHi;
        int delta = (int) ((oh0 + rowShift - lo) * inW + iw0);
        return new ShiftedRun(qStart, qEnd, delta, owLo, owHi, outW);
    }

    /**
     * Entries {@code [qStart, qEnd)} of a column-matrix row, to be added at {@code q + delta}; within that
     * range, the entries of each output row outside {@code [owLo, owHi)} are padding.
     */
    record ShiftedRun(int qStart, int qEnd, int delta, int owLo, int owHi, int outW) {
        int length() {
            return qEnd - qStart;
        }
    }

    /**
     * With {@code shifted[qStart + delta .. qEnd + delta)} holding the run's entries (copied there by the
     * caller), zeroes the padding entries between output rows and adds the range into {@code acc}.
     */
    static void addShiftedRun(float[] shifted, ShiftedRun r, float[] acc) {
        int from = r.qStart() + r.delta();
        int to = r.qEnd() + r.delta();
        // the padding entries between two output rows: [owHi, outW) of one and [0, owLo) of the next
        for (int gap = from - r.owLo() + r.owHi(); gap < to; gap += r.outW()) {
            java.util.Arrays.fill(shifted, gap, gap + r.outW() - r.owHi() + r.owLo(), 0f);
        }
        for (int k = from; k < to; k++) { // one index for both arrays: the JIT vectorises it
            acc[k] += shifted[k];
        }
    }

    /** Adds {@code rows} input rows of an accumulator (from input row {@code firstRow}) to the plane of {@code dx}. */
    static void addRowsToPlane(float[] acc, int firstRow, int rows, float[] dx, int plane, int inW) {
        int to = plane + firstRow * inW;
        for (int k = 0; k < rows * inW; k++) { // two offsets: not vectorised, but once per channel, not per tap
            dx[to + k] += acc[k];
        }
    }

    /**
     * The convolution geometry the kernels need: the two axes of a {@link ConvShape} ({@link #of}), or, in
     * tests, of a hand-made geometry.
     */
    record Geometry(ConvAxis rows, ConvAxis cols) {
        static Geometry of(ConvShape s) {
            return new Geometry(s.rows(), s.cols());
        }
    }

    /** The geometry of the 3D kernels: the depth axis and the plane's two axes, from a {@link Conv3dShape}. */
    record VolumeGeometry(ConvAxis depth, Geometry plane) {
        static VolumeGeometry of(Conv3dShape s) {
            return new VolumeGeometry(s.depth(), new Geometry(s.rows(), s.cols()));
        }
    }
}
