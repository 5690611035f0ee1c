package org.conv4j.testkit;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor3D;

/**
 * One 1D convolution configuration of the conformance kit, with its data made reproducibly from {@code seed}.
 * {@link #toString()} prints everything needed to replay a failure.
 *
 * @param label   what the case is for, e.g. "kernel equals input"
 * @param seed    seeds input, weight, bias and gradOutput
 * @param n       batch
 * @param c       input channels
 * @param w       input length
 * @param k       filters (read as a transposed convolution: output channels)
 * @param kw      kernel length
 * @param params  stride, padding, dilation, groups, output padding
 * @param hasBias whether a bias is passed
 */
public record Conv1dCase(String label, long seed, int n, int c, int w, int k, int kw, Conv1dParams params,
                         boolean hasBias) {

    /** {@return a fresh input {@code (n, c, w)}, uniform in [-1, 1)} */
    public Tensor3D input() {
        return Tensor3D.random(seed, n, c, w);
    }

    /** {@return a fresh weight {@code (k, c/groups, kw)}, uniform in [-1, 1)} */
    public Tensor3D weight() {
        return Tensor3D.random(seed + 1, k, c / params.groups(), kw);
    }

    /** {@return a fresh bias of length k, or null} */
    public float[] bias() {
        return hasBias ? ConvCase.uniform(seed + 2, k) : null;
    }

    /** {@return the validated geometry: that of the 2D convolution of height 1} */
    public ConvShape shape() {
        return Conv1d.shape(input(), weight(), bias(), params);
    }

    /** {@return a fresh {@code dL/dy} of the output's shape, uniform in [-1, 1)} */
    public Tensor3D gradOutput() {
        ConvShape s = shape();
        return Tensor3D.random(seed + 3, s.batch(), s.outChannels(), s.outW());
    }

    /** {@return read as a transposed convolution, a fresh weight {@code (c, k/groups, kw)}} */
    public Tensor3D transposedWeight() {
        return Tensor3D.random(seed + 1, c, k / params.groups(), kw);
    }

    /**
     * Read as a transposed convolution, a fresh {@code dL/dy} of its output's shape {@code (n, k, outW)}, with
     * {@code outW = (w - 1)*stride - padLeft - padRight + (kw - 1)*dilation + outputPadding + 1}.
     *
     * @return {@code dL/dy} of the transposed convolution
     */
    public Tensor3D transposedGradOutput() {
        return Tensor3D.random(seed + 3, n, k, transposedOutW());
    }

    /** {@return the transposed convolution's output length, written out here rather than read from the library} */
    public int transposedOutW() {
        Conv1dParams p = params;
        return (w - 1) * p.stride() - p.padLeft() - p.padRight() + (kw - 1) * p.dilation() + p.outputPadding() + 1;
    }

    @Override
    public String toString() {
        return label + " [seed=" + seed + "] input [" + n + ", " + c + ", " + w + "] weight [" + k + ", "
                + c / params.groups() + ", " + kw + "] " + params + (hasBias ? " bias" : " no bias");
    }
}
