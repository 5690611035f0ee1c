package org.conv4j.onednn;

import java.util.List;

import org.bytedeco.dnnl.memory;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;

/**
 * Everything a oneDNN convolution primitive is specialised for: the shapes of one batch part
 * ({@code batch} images), the spatial axes, the groups, and whether there is a bias. The cache key of the plans.
 * A 2D layer has two spatial axes (rows, columns), a 3D layer three (depth, rows, columns); oneDNN's memory
 * descriptors then have rank 4 or 5.
 *
 * <p>How conv4j's description maps onto oneDNN's (both count in NC[D]HW / OI[D]HW order):
 * <ul>
 *   <li>input {@code (N, C, [D,] H, W)}, output {@code (N, K, [outD,] outH, outW)}: the same dims, tags
 *       {@code nchw} / {@code ncdhw} ({@code nhwc} / {@code ndhwc} for channels-last activations);</li>
 *   <li>weights {@code (K, C/g, [kD,] kH, kW)}: the same dims for {@code groups == 1} ({@code oihw} /
 *       {@code oidhw}); for {@code groups > 1} oneDNN takes {@code (g, K/g, C/g, [kD,] kH, kW)}, which is the same
 *       memory read in plain {@code goihw} / {@code goidhw} order, because filter {@code k} of conv4j belongs to
 *       group {@code k / (K/g)};</li>
 *   <li>strides and paddings: the same numbers per axis, {@code padding_l} the padding before each axis
 *       ({@code [front,] top, left}) and {@code padding_r} the padding after ({@code [back,] bottom, right});</li>
 *   <li>dilation: oneDNN counts the holes between taps, so conv4j's dilation {@code d} is {@code d - 1}.</li>
 * </ul>
 *
 * @param batch the images of this part
 * @param channels C
 * @param filters K
 * @param groups the groups
 * @param axes the spatial axes, outermost first ({@code [depth,] rows, cols}); only their geometry counts
 * @param bias whether there is a bias
 * @param activations the layout of the activations, input and output and their gradients (NCHW: plain
 *        channels-first, {@code nchw} / {@code ncdhw}; NHWC: channels-last, {@code nhwc} / {@code ndhwc})
 * @param inPlace whether the plans read and write the activations in the caller's native memory ({@link
 *        ForwardPlan#runInPlace}, {@link BackwardPlan#runInPlace}) and so size no staging buffer, and none where the
 *        primitive's layout is the activations' own; false for plans that copy heap arrays in and out (which 2D's
 *        in-place NCHW forward pass shares, unused staging included)
 */
record Geometry(int batch, int channels, int filters, int groups, List<ConvAxis> axes, boolean bias,
                MemoryLayout activations, boolean inPlace) {

    Geometry {
        axes = List.copyOf(axes);
        if (axes.size() != 2 && axes.size() != 3) {
            throw new IllegalArgumentException("onednn: 2 or 3 spatial axes, got " + axes.size());
        }
    }

    /** The geometry of {@code batch} images of {@code s}. */
    static Geometry of(ConvShape s, int batch, boolean bias) {
        return of(s, batch, bias, MemoryLayout.NCHW);
    }

    /**
     * The geometry of {@code batch} images of {@code s} whose input and output are in {@code activations}' layout
     * (NHWC: oneDNN's {@code nhwc}, which its kernels read and write as they are; such plans serve in-place calls
     * only, NCHW ones heap and in-place calls alike).
     */
    static Geometry of(ConvShape s, int batch, boolean bias, MemoryLayout activations) {
        return new Geometry(batch, s.inChannels(), s.outChannels(), s.params().groups(), List.of(s.rows(), s.cols()),
                bias, activations, activations == MemoryLayout.NHWC);
    }

    /** The geometry of {@code batch} images of the 3D layer {@code s}, activations heap NCDHW arrays copied in. */
    static Geometry of(Conv3dShape s, int batch, boolean bias) {
        return new Geometry(batch, s.inChannels(), s.outChannels(), s.params().groups(),
                List.of(s.depth(), s.rows(), s.cols()), bias, MemoryLayout.NCHW, false);
    }

    /**
     * The geometry of {@code batch} images of the 3D layer {@code s} whose activations are the caller's native
     * tensors in {@code activations}' layout ({@code ncdhw} or {@code ndhwc}), read and written in place.
     */
    static Geometry inPlace(Conv3dShape s, int batch, boolean bias, MemoryLayout activations) {
        return new Geometry(batch, s.inChannels(), s.outChannels(), s.params().groups(),
                List.of(s.depth(), s.rows(), s.cols()), bias, activations, true);
    }

    /** This geometry with {@code images} images per part. */
    Geometry withBatch(int images) {
        return images == batch ? this
                : new Geometry(images, channels, filters, groups, axes, bias, activations, inPlace);
    }

    /** Whether the layer is 3D (three spatial axes, rank-5 descriptors). */
    boolean volumetric() {
        return axes.size() == 3;
    }

    /** oneDNN's plain tag of the activations' layout. */
    memory.format_tag activationsTag() {
        return activations == MemoryLayout.NHWC ? channelsLastTag() : plainTag();
    }

    /** oneDNN's plain channels-first tag of this rank: {@code nchw} or {@code ncdhw}. */
    memory.format_tag plainTag() {
        return volumetric() ? memory.format_tag.ncdhw : memory.format_tag.nchw;
    }

    /** oneDNN's channels-last tag of this rank: {@code nhwc} or {@code ndhwc}. */
    memory.format_tag channelsLastTag() {
        return volumetric() ? memory.format_tag.ndhwc : memory.format_tag.nhwc;
    }

    long[] srcDims() {
        return dims(batch, channels, false);
    }

    long[] dstDims() {
        return dims(batch, filters, true);
    }

    /** {@code (n, c, spatial...)} with each axis' input size, or its output size if {@code out}. */
    private long[] dims(long n, long c, boolean out) {
        long[] d = new long[2 + axes.size()];
        d[0] = n;
        d[1] = c;
        for (int i = 0; i < axes.size(); i++) {
            d[2 + i] = out ? axes.get(i).out() : axes.get(i).in();
        }
        return d;
    }

    long[] weightsDims() {
        int perGroup = channels / groups;
        int spatial = axes.size();
        long[] d = new long[(groups == 1 ? 2 : 3) + spatial];
        int at = 0;
        if (groups > 1) {
            d[at++] = groups;
        }
        d[at++] = filters / groups;
        d[at++] = perGroup;
        for (ConvAxis a : axes) {
            d[at++] = a.kernel();
        }
        return d;
    }

    /** conv4j's weight layout as oneDNN names it: {@code oihw} / {@code oidhw}, or {@code goihw} / {@code goidhw}. */
    memory.format_tag weightsTag() {
        if (volumetric()) {
            return groups == 1 ? memory.format_tag.oidhw : memory.format_tag.goidhw;
        }
        return groups == 1 ? memory.format_tag.oihw : memory.format_tag.goihw;
    }

    long[] strides() {
        return perAxis(a -> a.stride());
    }

    /** oneDNN's dilation: the number of skipped positions between two taps, conv4j's dilation minus one. */
    long[] dilates() {
        return perAxis(a -> a.dilation() - 1L);
    }

    long[] paddingL() {
        return perAxis(a -> a.padBefore());
    }

    long[] paddingR() {
        return perAxis(a -> a.padAfter());
    }

    private long[] perAxis(java.util.function.ToLongFunction<ConvAxis> f) {
        long[] v = new long[axes.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.applyAsLong(axes.get(i));
        }
        return v;
    }

    /** Whether every axis has stride 1. */
    boolean unitStrides() {
        return axes.stream().allMatch(a -> a.stride() == 1);
    }

    /** Whether every kernel extent is 1 (a pointwise layer). */
    boolean pointwise() {
        return axes.stream().allMatch(a -> a.kernel() == 1);
    }

    /** Floats of one image of the input. */
    long imageFloats() {
        long f = channels;
        for (ConvAxis a : axes) {
            f *= a.in();
        }
        return f;
    }

    /** Floats of one image of the output. */
    long outImageFloats() {
        long f = filters;
        for (ConvAxis a : axes) {
            f *= a.out();
        }
        return f;
    }
}
