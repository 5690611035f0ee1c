package org.conv4j.testkit;

import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.Tensor5D;

/**
 * One 3D convolution configuration of the conformance kit, with its data made reproducibly from {@code seed}.
 * {@link #toString()} prints everything needed to replay a failure.
 *
 * @param label   what the case is for, e.g. "kernel equals input"
 * @param seed    seeds input, weight, bias and gradOutput
 * @param n       batch
 * @param c       input channels
 * @param d       input depth
 * @param h       input height
 * @param w       input width
 * @param k       filters (read as a transposed convolution: output channels)
 * @param kd      kernel depth
 * @param kh      kernel height
 * @param kw      kernel width
 * @param params  strides, paddings, dilations, groups, output padding
 * @param hasBias whether a bias is passed
 */
public record Conv3dCase(String label, long seed, int n, int c, int d, int h, int w, int k, int kd, int kh, int kw,
                         Conv3dParams params, boolean hasBias) {

    /** {@return a fresh input {@code (n, c, d, h, w)}, uniform in [-1, 1)} */
    public Tensor5D input() {
        return Tensor5D.random(seed, n, c, d, h, w);
    }

    /** {@return a fresh weight {@code (k, c/groups, kd, kh, kw)}, uniform in [-1, 1)} */
    public Tensor5D weight() {
        return Tensor5D.random(seed + 1, k, c / params.groups(), kd, kh, kw);
    }

    /** {@return a fresh bias of length k, or null} */
    public float[] bias() {
        return hasBias ? ConvCase.uniform(seed + 2, k) : null;
    }

    /** {@return the validated geometry} */
    public Conv3dShape shape() {
        return Conv3dShape.forward(input(), weight(), bias(), params);
    }

    /** {@return a fresh {@code dL/dy} of the output's shape, uniform in [-1, 1)} */
    public Tensor5D gradOutput() {
        Conv3dShape s = shape();
        return Tensor5D.random(seed + 3, s.batch(), s.outChannels(), s.depth().out(), s.rows().out(), s.cols().out());
    }

    /** {@return read as a transposed convolution, a fresh weight {@code (c, k/groups, kd, kh, kw)}} */
    public Tensor5D transposedWeight() {
        return Tensor5D.random(seed + 1, c, k / params.groups(), kd, kh, kw);
    }

    /**
     * Read as a transposed convolution, a fresh {@code dL/dy} of its output's shape {@code (n, k, outD, outH, outW)}
     * (see {@link #transposedOut}).
     *
     * @return {@code dL/dy} of the transposed convolution
     */
    public Tensor5D transposedGradOutput() {
        int[] out = transposedOut();
        return Tensor5D.random(seed + 3, n, k, out[0], out[1], out[2]);
    }

    /**
     * The transposed convolution's output depth, height and width, written out here rather than read from the
     * library: per axis {@code (in - 1)*stride - padBefore - padAfter + (kernel - 1)*dilation + outputPadding + 1}.
     *
     * @return {@code {outD, outH, outW}}
     */
    public int[] transposedOut() {
        Conv3dParams p = params;
        return new int[] {
            (d - 1) * p.strideD() - p.padFront() - p.padBack() + (kd - 1) * p.dilationD() + p.outputPaddingD() + 1,
            (h - 1) * p.strideH() - p.padTop() - p.padBottom() + (kh - 1) * p.dilationH() + p.outputPaddingH() + 1,
            (w - 1) * p.strideW() - p.padLeft() - p.padRight() + (kw - 1) * p.dilationW() + p.outputPaddingW() + 1};
    }

    @Override
    public String toString() {
        return label + " [seed=" + seed + "] input " + Tensor5D.shapeString(n, c, d, h, w) + " weight "
                + Tensor5D.shapeString(k, c / params.groups(), kd, kh, kw) + " " + params
                + (hasBias ? " bias" : " no bias");
    }
}
