package org.conv4j.internal;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.TransposedShape;
import org.conv4j.spi.AbstractConvBackend;

/**
 * The pieces of a transposed convolution that are not a convolution pass: the output padding (rows and
 * columns no input reaches, which hold only the bias) and the bias. Layouts NCHW, shapes as
 * {@link TransposedShape} defines them.
 */
public final class TransposedPasses {

    private TransposedPasses() {
    }

    /**
     * The output {@code (N, Cout, outH, outW)} from the reached part {@code core} {@code (N, Cout, reachedH,
     * reachedW)}, plus the bias on every element (the output padding holds only the bias). {@code core} is null
     * where {@linkplain TransposedShape#reachesNothing() nothing is reached}: the output is the bias alone.
     */
    public static Tensor4D output(TransposedShape t, Tensor4D core, float[] bias) {
        Tensor4D y = t.hasOutputPadding() ? t.newOutput() : core;
        float[] out = y.data();
        int planes = t.batch() * t.outChannels();
        int plane = t.outH() * t.outW();
        if (t.hasOutputPadding() && core != null) {
            float[] in = core.data();
            for (int p = 0; p < planes; p++) {
                for (int r = 0; r < t.reachedH(); r++) {
                    System.arraycopy(in, (p * t.reachedH() + r) * t.reachedW(), out, (p * t.outH() + r) * t.outW(),
                            t.reachedW());
                }
            }
        }
        if (bias != null) {
            for (int p = 0; p < planes; p++) {
                float b = bias[p % t.outChannels()];
                for (int e = p * plane; e < (p + 1) * plane; e++) {
                    out[e] += b;
                }
            }
        }
        return y;
    }

    /**
     * The gradients where {@linkplain TransposedShape#reachesNothing() no input reaches the output}: the output is
     * the bias alone, so {@code dL/dx} and {@code dL/dw} are zero and {@code dL/db} the sums of {@code dL/dy}.
     */
    public static ConvGradients unreachedGradients(TransposedShape t, Tensor4D input, Tensor4D weight,
                                                   Tensor4D gradOutput) {
        return new ConvGradients(Tensor4D.zeros(input.n(), input.c(), input.h(), input.w()),
                Tensor4D.zeros(weight.n(), weight.c(), weight.h(), weight.w()), biasGradient(t, gradOutput));
    }

    /** The reached part of {@code dL/dy}: {@code gradOutput} itself without output padding, else a cropped copy. */
    public static Tensor4D reached(TransposedShape t, Tensor4D gradOutput) {
        if (!t.hasOutputPadding()) {
            return gradOutput;
        }
        Tensor4D r = t.conv().newInput();
        float[] in = gradOutput.data();
        float[] out = r.data();
        for (int p = 0; p < t.batch() * t.outChannels(); p++) {
            for (int row = 0; row < t.reachedH(); row++) {
                System.arraycopy(in, (p * t.outH() + row) * t.outW(), out, (p * t.reachedH() + row) * t.reachedW(),
                        t.reachedW());
            }
        }
        return r;
    }

    /** {@code dL/db[co] = sum_{n, oh, ow} dL/dy[n, co, oh, ow]}, in double, in a fixed order. */
    public static float[] biasGradient(TransposedShape t, Tensor4D gradOutput) {
        return AbstractConvBackend.channelSums(gradOutput.data(), t.batch(), t.outChannels(), t.outH() * t.outW());
    }
}
