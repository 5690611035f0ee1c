package org.conv4j.im2col;

import java.nio.FloatBuffer;

/**
 * The im2col and col2im kernels, one row of the column matrix at a time, over plain arrays with offsets.
 *
 * <p><b>The column matrix</b> of one image and one group, for output rows {@code oh0 <= oh < oh1} (a band;
 * the whole image when {@code oh0 = 0, oh1 = outH}), has {@code Cg*kH*kW} rows and
 * {@code (oh1 - oh0)*outW} columns, row-major:
 * <pre>
 *   row    r = (c*kH + i)*kW + j            (input channel c of the group, kernel tap (i, j))
 *   column q = (oh - oh0)*outW + ow         (output position)
 *   cols[r][q] = x[c, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw]   or 0 where that is outside the input
 * </pre>
 * so that {@code W (K/g x Cg*kH*kW) * cols} is the band of the output, with the weight {@code (K, Cg, kH, kW)}
 * read as it is stored (row {@code k}, column {@code r}). {@link #im2colRow} fills one row {@code r}
 * (one channel plane, one tap) in the native buffer; {@link #col2imRow} is its exact mirror: it <em>adds</em> every element of
 * the row back to the input element it was copied from and drops the padding, so that col2im applied to
 * {@code W^T * dY} is the input gradient.
 *
 * <p>The bounds are computed once per row, not tested per element: for tap {@code j} the input column is
 * {@code iw = iw0 + ow*sw} with {@code iw0 = j*dw - padLeft}, increasing in {@code ow}, so the outputs that
 * read inside the input form one range {@code [owLo, owHi)}, left of it is left padding and right of it is
 * right padding. Rows {@code ih} outside {@code [0, H)} are all padding. This is Caffe's loop with its
 * per-element test hoisted out; positions that can exceed an int (absurd paddings) are computed in long.
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
        int outW = g.outW;
        long iw0 = (long) j * g.dilationW - g.padLeft;
        int owLo = firstAtLeast(iw0, g.strideW, 0, outW);
        int owHi = Math.max(owLo, firstAtLeast(iw0, g.strideW, inW, outW));
        int inside = owHi - owLo;
        for (int oh = oh0; oh < oh1; oh++) {
            int d = dstOffset + (oh - oh0) * outW;
            long ih = (long) oh * g.strideH - g.padTop + (long) i * g.dilationH;
            if (ih < 0 || ih >= inH || inside == 0) {
                zero(dst, d, outW);
                continue;
            }
            zero(dst, d, owLo);
            int s = plane + (int) ih * inW + (int) (iw0 + (long) owLo * g.strideW);
            if (g.strideW == 1) {
                dst.put(d + owLo, x, s, inside);
            } else {
                int sw = g.strideW;
                for (int t = 0; t < inside; t++) {
                    dst.put(d + owLo + t, x[s + t * sw]);
                }
            }
            zero(dst, d + owHi, outW - owHi);
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
        int outW = g.outW;
        long iw0 = (long) j * g.dilationW - g.padLeft;
        int owLo = firstAtLeast(iw0, g.strideW, 0, outW);
        int owHi = Math.max(owLo, firstAtLeast(iw0, g.strideW, inW, outW));
        int inside = owHi - owLo;
        if (inside == 0) {
            return;
        }
        int sw = g.strideW;
        for (int oh = oh0; oh < oh1; oh++) {
            long ih = (long) oh * g.strideH - g.padTop + (long) i * g.dilationH;
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

    /**
     * The smallest {@code t >= 0} with {@code start + t*step >= bound}, capped at {@code cap}.
     * ({@code step >= 1}; long arithmetic so that no padding can overflow it.)
     */
    static int firstAtLeast(long start, int step, long bound, int cap) {
        if (start >= bound) {
            return 0;
        }
        long t = (bound - start + step - 1) / step;
        return (int) Math.min(t, cap);
    }

    /** The convolution geometry the kernels need, copied once from {@link org.conv4j.api.ConvShape}. */
    static final class Geometry {
        final int strideH;
        final int strideW;
        final int padTop;
        final int padLeft;
        final int dilationH;
        final int dilationW;
        final int outW;

        Geometry(int strideH, int strideW, int padTop, int padLeft, int dilationH, int dilationW, int outW) {
            this.strideH = strideH;
            this.strideW = strideW;
            this.padTop = padTop;
            this.padLeft = padLeft;
            this.dilationH = dilationH;
            this.dilationW = dilationW;
            this.outW = outW;
        }
    }
}
