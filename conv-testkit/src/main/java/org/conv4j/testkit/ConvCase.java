package org.conv4j.testkit;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.TransposedShape;

import java.util.SplittableRandom;

/**
 * One convolution configuration of the conformance kit, with its data made reproducibly from {@code seed}.
 * {@link #toString()} prints everything needed to replay a failure.
 *
 * @param label   what the case is for, e.g. "kernel equals padded input"
 * @param seed    the random seed of input, weight, bias and gradOutput
 * @param n       batch
 * @param c       input channels
 * @param h       input height
 * @param w       input width
 * @param k       filters
 * @param kh      kernel height
 * @param kw      kernel width
 * @param params  stride, padding, dilation, groups
 * @param hasBias whether a bias is passed
 */
public record ConvCase(String label, long seed, int n, int c, int h, int w, int k, int kh, int kw,
                       ConvParams params, boolean hasBias) {

    /**
     * A fresh input {@code (n, c, h, w)}, uniform in [-1, 1).
     *
     * @return the input
     */
    public Tensor4D input() {
        return Tensor4D.random(seed, n, c, h, w);
    }

    /**
     * A fresh weight {@code (k, c/groups, kh, kw)}, uniform in [-1, 1).
     *
     * @return the weight
     */
    public Tensor4D weight() {
        return Tensor4D.random(seed + 1, k, c / params.groups(), kh, kw);
    }

    /**
     * A fresh bias of length k, or null.
     *
     * @return the bias, or null
     */
    public float[] bias() {
        return hasBias ? uniform(seed + 2, k) : null;
    }

    /** {@code length} values uniform in [-1, 1) from {@code seed}: a case's bias. */
    static float[] uniform(long seed, int length) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] b = new float[length];
        for (int i = 0; i < length; i++) {
            b[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return b;
    }

    /**
     * The validated geometry.
     *
     * @return the geometry
     */
    public ConvShape shape() {
        return ConvShape.forward(input(), weight(), bias(), params);
    }

    /**
     * A fresh gradOutput of the output's shape, uniform in [-1, 1).
     *
     * @return {@code dL/dy}
     */
    public Tensor4D gradOutput() {
        ConvShape s = shape();
        return Tensor4D.random(seed + 3, s.batch(), s.outChannels(), s.outH(), s.outW());
    }

    /**
     * Read as a transposed convolution: input {@code (n, c, h, w)} as for the convolution, weight
     * {@code (c, k/groups, kh, kw)} with {@code k} the output channels, uniform in [-1, 1).
     *
     * @return the transposed convolution's weight
     */
    public Tensor4D transposedWeight() {
        return Tensor4D.random(seed + 1, c, k / params.groups(), kh, kw);
    }

    /**
     * Read as a transposed convolution: the validated geometry.
     *
     * @return the geometry
     */
    public TransposedShape transposedShape() {
        return TransposedShape.forward(input(), transposedWeight(), bias(), params);
    }

    /**
     * Read as a transposed convolution: a fresh gradOutput of its output's shape.
     *
     * @return {@code dL/dy} of the transposed convolution
     */
    public Tensor4D transposedGradOutput() {
        TransposedShape t = transposedShape();
        return Tensor4D.random(seed + 3, t.batch(), t.outChannels(), t.outH(), t.outW());
    }

    @Override
    public String toString() {
        return label + " [seed=" + seed + "] input [" + n + ", " + c + ", " + h + ", " + w + "] weight ["
                + k + ", " + c / params.groups() + ", " + kh + ", " + kw + "] " + params
                + (hasBias ? " bias" : " no bias");
    }
}
