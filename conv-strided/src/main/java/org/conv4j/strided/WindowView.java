package org.conv4j.strided;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;

import java.util.Arrays;
import java.util.Objects;

/**
 * The geometry of a strided view: a shape, a stride per axis (in elements) and a start offset into a flat
 * buffer. Element {@code (i0, i1, ..., i_{d-1})} of the view is buffer element
 * <pre>
 *   offset + i0*stride[0] + i1*stride[1] + ... + i_{d-1}*stride[d-1]
 * </pre>
 * exactly as numpy's {@code as_strided} and ND4J's
 * {@code Nd4j.create(DataBuffer, long[] shape, long[] stride, long offset, char order)} read it (ND4J counts
 * strides in elements, as here; numpy in bytes). Nothing is copied: several view elements may map to the same
 * buffer element (overlapping windows), which is the point.
 *
 * <p><b>The convolution window view.</b> Over a padded input {@code xpad} of shape {@code (N, C, Hp, Wp)}
 * in NCHW order ({@code Hp = H + padTop + padBottom}, {@code Wp = W + padLeft + padRight}),
 * {@link #windows} is the 6-D view {@code (N, C, outH, outW, kH, kW)} with strides
 * <pre>
 *   (C*Hp*Wp, Hp*Wp, sh*Wp, sw, dh*Wp, dw)
 * </pre>
 * so that view element {@code (n, c, oh, ow, i, j)} is {@code xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]}: the
 * input tap {@code (i, j)} of output {@code (oh, ow)}, which is what the convolution sum multiplies by
 * {@code w[k, c, i, j]}. Stride and dilation are nothing but other strides.
 *
 * <p><b>Safety.</b> A wrong stride does not fail by itself: it silently reads other memory (the danger of
 * {@code as_strided}). Every view this module creates goes through {@link #checkFits} first,
 * which proves that every element of the view lies inside the buffer. With non-negative strides the lowest
 * reachable element is {@code offset} and the highest is {@link #maxReachableOffset}.
 *
 * @param shape  the size of each axis, each at least 1
 * @param stride the step of each axis in buffer elements, each at least 0 (0 repeats an element)
 * @param offset the buffer element of view element {@code (0, ..., 0)}, at least 0
 */
public record WindowView(long[] shape, long[] stride, long offset) {

    /**
     * A view, checked for consistency (not against a buffer: see {@link #checkFits}).
     *
     * @param shape the size of each axis, each at least 1
     * @param stride the step of each axis in buffer elements, each at least 0
     * @param offset the buffer element of view element {@code (0, ..., 0)}, at least 0
     */
    public WindowView {
        Objects.requireNonNull(shape, "shape must not be null");
        Objects.requireNonNull(stride, "stride must not be null");
        if (shape.length != stride.length) {
            throw new IllegalArgumentException("stride: expected one stride per axis (" + shape.length
                    + "), got " + stride.length);
        }
        for (int a = 0; a < shape.length; a++) {
            if (shape[a] < 1) {
                throw new IllegalArgumentException("shape: expected every size >= 1, got " + Arrays.toString(shape));
            }
            if (stride[a] < 0) {
                throw new IllegalArgumentException("stride: expected every stride >= 0, got " + Arrays.toString(stride));
            }
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset: expected >= 0, got " + offset);
        }
        shape = shape.clone();
        stride = stride.clone();
    }

    /**
     * The 6-D window view {@code (N, C, outH, outW, kH, kW)} of the padded input, strides
     * {@code (C*Hp*Wp, Hp*Wp, sh*Wp, sw, dh*Wp, dw)}, offset 0 (see the class comment).
     * All sizes come from {@code s}.
     *
     * @param s the validated geometry
     * @return the view
     */
    public static WindowView windows(ConvShape s) {
        ConvParams p = s.params();
        long hp = s.paddedH();
        long wp = s.paddedW();
        long plane = hp * wp;
        return new WindowView(
                new long[] {s.batch(), s.inChannels(), s.outH(), s.outW(), s.kernelH(), s.kernelW()},
                new long[] {s.inChannels() * plane, plane, p.strideH() * wp, p.strideW(), p.dilationH() * wp, p.dilationW()},
                0);
    }

    /**
     * Rows of one phase plane, {@code Hq = ceil(Hp / sh)} (see {@link #tapMatrix}).
     *
     * @param s the validated geometry
     * @return {@code Hq}
     */
    public static long phaseH(ConvShape s) {
        return (s.paddedH() + s.params().strideH() - 1) / s.params().strideH();
    }

    /**
     * Columns of one phase plane, {@code Wq = ceil(Wp / sw)}.
     *
     * @param s the validated geometry
     * @return {@code Wq}
     */
    public static long phaseW(ConvShape s) {
        return (s.paddedW() + s.params().strideW() - 1) / s.params().strideW();
    }

    /**
     * Floats of the phase layout of one image, {@code sh*sw*C*Hq*Wq} (= {@code C*Hp*Wp} at stride 1).
     *
     * @param s the validated geometry
     * @return the floats
     */
    public static long phaseImageLength(ConvShape s) {
        ConvParams p = s.params();
        return (long) p.strideH() * p.strideW() * s.inChannels() * phaseH(s) * phaseW(s);
    }

    /**
     * The zero-copy "tap matrix" of kernel offset {@code (i, j)} for group {@code g} of ONE image in the
     * <b>phase layout</b>: the padded image split by the stride into {@code sh*sw} phase images,
     * <pre>
     *   phase (a, b), element (c, u, v)  at  (((a*sw + b)*C + c)*Hq + u)*Wq + v   =  xpad[c, u*sh + a, v*sw + b]
     * </pre>
     * ({@code Hq = ceil(Hp/sh)}, {@code Wq = ceil(Wp/sw)}, zero beyond {@code Hp, Wp}). At stride 1 there is one
     * phase and the layout IS {@code xpad (C, Hp, Wp)}.
     *
     * <p>Write {@code i*dh = qi*sh + a} and {@code j*dw = qj*sw + b} ({@code a < sh}, {@code b < sw}). Then the
     * tap {@code (i, j)} of output {@code (oh, ow)} is {@code xpad[c, (oh + qi)*sh + a, (ow + qj)*sw + b]} =
     * phase {@code (a, b)} element {@code (c, oh + qi, ow + qj)}: inside one phase, consecutive output pixels
     * read consecutive elements, as at stride 1. So the taps form the 2-D view {@code (C/groups, L)} with
     * strides {@code (Hq*Wq, 1)}, {@code L = (outH - 1)*Wq + outW} columns, offset
     * {@code (((a*sw + b)*C + g*Cg)*Hq + qi)*Wq + qj}: column {@code q = oh*Wq + ow} is the tap of output
     * {@code (oh, ow)} for {@code ow < outW}; the columns {@code ow >= outW} ("wrap-around" columns) read the
     * next row's first elements and belong to no window. One leading dimension describes the whole matrix, so
     * BLAS can use it in place.
     *
     * <p>It stays inside its phase and group: {@code oh*sh + i*dh <= Hp - 1} gives
     * {@code oh + qi <= (Hp - 1 - a)/sh <= Hq - 1}, and likewise {@code ow + qj <= Wq - 1}. At stride 1 the last
     * tap's matrix ends exactly on element {@code (g+1)*Cg*Hp*Wp - 1}.
     *
     * @param s the validated geometry
     * @param group the group
     * @param i the kernel row
     * @param j the kernel column
     * @return the tap matrix view
     */
    public static WindowView tapMatrix(ConvShape s, int group, int i, int j) {
        return tapMatrix(s, group, i, j, 0, s.outH());
    }

    /**
     * {@link #tapMatrix(ConvShape, int, int, int)} restricted to the band of output rows
     * {@code firstRow .. firstRow + rows - 1}: offset {@code + firstRow*Wq}, {@code L = (rows - 1)*Wq + outW}
     * columns (the workspace-bounded form used by the backend).
     *
     * @param s the validated geometry
     * @param group the group
     * @param i the kernel row
     * @param j the kernel column
     * @param firstRow the first output row of the band
     * @param rows the output rows of the band
     * @return the tap matrix view of the band
     */
    public static WindowView tapMatrix(ConvShape s, int group, int i, int j, int firstRow, int rows) {
        if (firstRow < 0 || rows < 1 || firstRow + rows > s.outH()) {
            throw new IllegalArgumentException("rows: expected a band within [0, " + s.outH() + "), got "
                    + firstRow + " + " + rows);
        }
        ConvParams p = s.params();
        long hq = phaseH(s);
        long wq = phaseW(s);
        long th = (long) i * p.dilationH();
        long tw = (long) j * p.dilationW();
        long phase = (th % p.strideH()) * p.strideW() + tw % p.strideW();
        long cols = (rows - 1L) * wq + s.outW();
        long firstChannel = phase * s.inChannels() + (long) group * s.inChannelsPerGroup();
        return new WindowView(new long[] {s.inChannelsPerGroup(), cols}, new long[] {hq * wq, 1},
                (firstChannel * hq + firstRow + th / p.strideH()) * wq + tw / p.strideW());
    }

    /**
     * The window view of ONE padded image {@code (C, Hp, Wp)}, its channel axis sliced to group {@code g}:
     * the 5-D view {@code (C/groups, outH, outW, kH, kW)} with strides {@code (Hp*Wp, sh*Wp, sw, dh*Wp, dw)}
     * and offset {@code g*(C/groups)*Hp*Wp}. It is {@link #windows} at image 0 with the batch axis dropped
     * (groups only move the start along the channel axis).
     *
     * @param s the validated geometry
     * @param group the group
     * @return the view
     */
    public static WindowView groupWindows(ConvShape s, int group) {
        long[] shape = windows(s).shape;
        long[] stride = windows(s).stride;
        long cg = s.inChannelsPerGroup();
        return new WindowView(new long[] {cg, shape[2], shape[3], shape[4], shape[5]},
                new long[] {stride[1], stride[2], stride[3], stride[4], stride[5]}, group * cg * stride[1]);
    }

    /**
     * The length of the padded input buffer {@code N*C*Hp*Wp} the {@link #windows} view is taken of.
     *
     * @param s the validated geometry
     * @return {@code N*C*Hp*Wp}
     */
    public static long paddedLength(ConvShape s) {
        return (long) s.batch() * s.inChannels() * s.paddedH() * s.paddedW();
    }

    /**
     * The sub-view of indices {@code start .. start + count - 1} along {@code axis} (numpy's
     * {@code v[..., start:start+count, ...]}): the same strides, offset {@code + start*stride[axis]}. It
     * reaches no element this view does not reach.
     *
     * @param axis the axis
     * @param start the first index kept
     * @param count the number of indices kept
     * @return the sub-view
     */
    public WindowView slice(int axis, long start, long count) {
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("axis: expected 0 to " + (shape.length - 1) + ", got " + axis);
        }
        if (start < 0 || count < 1 || start + count > shape[axis]) {
            throw new IllegalArgumentException("slice: expected a range within [0, " + shape[axis] + ") on axis "
                    + axis + ", got " + start + " + " + count);
        }
        long[] newShape = shape.clone();
        newShape[axis] = count;
        return new WindowView(newShape, stride, offset + start * stride[axis]);
    }

    /**
     * Number of axes.
     *
     * @return the number of axes
     */
    public int rank() {
        return shape.length;
    }

    /**
     * A copy of the shape.
     *
     * @return the shape
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * A copy of the strides.
     *
     * @return the strides
     */
    @Override
    public long[] stride() {
        return stride.clone();
    }

    /**
     * The buffer element of view element {@code index} (no bounds check on the index).
     *
     * @param index one index per axis
     * @return the buffer element
     */
    public long elementOffset(long... index) {
        long e = offset;
        for (int a = 0; a < shape.length; a++) {
            e += index[a] * stride[a];
        }
        return e;
    }

    /**
     * The highest buffer element this view can reach: {@code offset + sum_a (shape[a] - 1) * stride[a]}.
     *
     * @return the highest buffer element
     */
    public long maxReachableOffset() {
        return maxReachableOffset(offset, shape, stride);
    }

    /**
     * {@code offset + sum_a (shape[a] - 1) * stride[a]}: with non-negative strides, the highest buffer element
     * any index of the view maps to (each term is largest at the last index of its axis).
     *
     * @param offset the view's offset
     * @param shape the view's shape
     * @param stride the view's strides
     * @return the highest buffer element
     * @throws IllegalArgumentException if the sum overflows a long
     */
    public static long maxReachableOffset(long offset, long[] shape, long[] stride) {
        long max = offset;
        for (int a = 0; a < shape.length; a++) {
            try {
                max = Math.addExact(max, Math.multiplyExact(shape[a] - 1, stride[a]));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("view: expected an extent that fits in a long, got an overflow "
                        + "for shape " + Arrays.toString(shape) + ", stride " + Arrays.toString(stride), e);
            }
        }
        return max;
    }

    /**
     * Checks, BEFORE any view is created, that every element of this view lies inside a buffer of
     * {@code bufferLength} elements: {@code 0 <= offset} (guaranteed by the constructor) and
     * {@code maxReachableOffset() < bufferLength}.
     *
     * @param bufferLength the buffer's length in elements
     * @return this view
     * @throws IllegalArgumentException naming the view, with the buffer length needed and the one given
     */
    public WindowView checkFits(long bufferLength) {
        long max = maxReachableOffset();
        if (max >= bufferLength) {
            throw new IllegalArgumentException("view: expected a buffer of at least " + (max + 1)
                    + " elements (offset " + offset + " + sum((shape - 1) * stride) for shape "
                    + Arrays.toString(shape) + ", stride " + Arrays.toString(stride) + "), got "
                    + bufferLength + ": the view would read past the end");
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WindowView v && Arrays.equals(shape, v.shape) && Arrays.equals(stride, v.stride)
                && offset == v.offset;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + Arrays.hashCode(stride)) + Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return "WindowView{shape=" + Arrays.toString(shape) + ", stride=" + Arrays.toString(stride)
                + ", offset=" + offset + "}";
    }
}
