package org.conv4j.onednn;

import org.bytedeco.dnnl.memory;
import org.conv4j.api.ConvParams;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.ConvShape;

/**
 * Everything a oneDNN convolution primitive is specialised for: the shapes of one batch part
 * ({@code batch} images), the parameters, and whether there is a bias. The cache key of the plans.
 *
 * <p>How conv4j's description maps onto oneDNN's (both count in NCHW / OIHW order):
 * <ul>
 *   <li>input {@code (N, C, H, W)}, output {@code (N, K, outH, outW)}: the same dims;</li>
 *   <li>weights {@code (K, C/g, kH, kW)}: the same 4-D dims for {@code groups == 1}; for {@code groups > 1}
 *       oneDNN takes 5-D {@code (g, K/g, C/g, kH, kW)}, which is the same memory read in plain
 *       {@code goihw} order, because filter {@code k} of conv4j belongs to group {@code k / (K/g)};</li>
 *   <li>strides and paddings: the same numbers, padding as {@code padding_l = (top, left)} and
 *       {@code padding_r = (bottom, right)};</li>
 *   <li>dilation: oneDNN counts the holes between taps, so conv4j's dilation {@code d} is {@code d - 1}.</li>
 * </ul>
 */
record Geometry(int batch, int channels, int height, int width, int filters, int kernelH, int kernelW,
                int outH, int outW, ConvParams params, boolean bias, MemoryLayout activations) {

    /** The geometry of {@code batch} images of {@code s}. */
    static Geometry of(ConvShape s, int batch, boolean bias) {
        return of(s, batch, bias, MemoryLayout.NCHW);
    }

    /**
     * The geometry of {@code batch} images of {@code s} whose input and output are in {@code activations}' layout
     * (NHWC: oneDNN's {@code nhwc}, which its kernels read and write as they are).
     */
    static Geometry of(ConvShape s, int batch, boolean bias, MemoryLayout activations) {
        return new Geometry(batch, s.inChannels(), s.inH(), s.inW(), s.outChannels(), s.kernelH(), s.kernelW(),
                s.outH(), s.outW(), s.params(), bias, activations);
    }

    /** oneDNN's plain tag of the activations' layout. */
    memory.format_tag activationsTag() {
        return activations == MemoryLayout.NHWC ? memory.format_tag.nhwc : memory.format_tag.nchw;
    }

    long[] srcDims() {
        return new long[] {batch, channels, height, width};
    }

    long[] dstDims() {
        return new long[] {batch, filters, outH, outW};
    }

    long[] weightsDims() {
        int g = params.groups();
        int perGroup = channels / g;
        return g == 1 ? new long[] {filters, perGroup, kernelH, kernelW}
                : new long[] {g, filters / g, perGroup, kernelH, kernelW};
    }

    /** conv4j's weight layout as oneDNN names it: {@code oihw}, or {@code goihw} with groups. */
    memory.format_tag weightsTag() {
        return params.groups() == 1 ? memory.format_tag.oihw : memory.format_tag.goihw;
    }

    long[] strides() {
        return new long[] {params.strideH(), params.strideW()};
    }

    /** oneDNN's dilation: the number of skipped positions between two taps, conv4j's dilation minus one. */
    long[] dilates() {
        return new long[] {params.dilationH() - 1L, params.dilationW() - 1L};
    }

    long[] paddingL() {
        return new long[] {params.padTop(), params.padLeft()};
    }

    long[] paddingR() {
        return new long[] {params.padBottom(), params.padRight()};
    }

    /** Floats of one image of the input. */
    long imageFloats() {
        return (long) channels * height * width;
    }

    /** Floats of one image of the output. */
    long outImageFloats() {
        return (long) filters * outH * outW;
    }
}
