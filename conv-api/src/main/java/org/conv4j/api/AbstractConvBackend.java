package org.conv4j.api;

import java.util.stream.IntStream;

/**
 * A base for backends: validates every call once through {@link ConvShape}, allocates (or checks) the
 * output, and hands the validated geometry to the subclass, so that no backend repeats the checks or
 * re-derives a size. It also provides the bias gradient, which every backend computes the same way.
 *
 * <p>Subclasses implement {@link #forward(ConvShape, Tensor4D, Tensor4D, float[], Tensor4D)} and
 * {@link #backward(ConvShape, Tensor4D, Tensor4D, Tensor4D)}; the public entry points are final.
 */
public abstract class AbstractConvBackend implements ConvBackend {

    /** Below this many gradOutput elements the bias gradient is summed on the calling thread. */
    static final int PARALLEL_BIAS_GRADIENT_ELEMENTS = 1 << 16;

    /** The backend's {@link #name()}, so that logs and messages name it. */
    @Override
    public String toString() {
        return name();
    }

    @Override
    public final Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        return forward(s, input, weight, bias, s.newOutput());
    }

    @Override
    public final Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                      Tensor4D output) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        return forward(s, input, weight, bias, s.checkOutput(output));
    }

    @Override
    public final ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        ConvShape s = ConvShape.backward(input, weight, gradOutput, params);
        return backward(s, input, weight, gradOutput);
    }

    /**
     * The forward pass on validated arguments: overwrites every element of {@code output}, whose shape
     * {@code s} has checked, and returns it.
     */
    protected abstract Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output);

    /** The backward pass on validated arguments (gradOutput has the output's shape). */
    protected abstract ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput);

    /**
     * {@code db[k] = sum_{n, oh, ow} dy[n, k, oh, ow]}, each sum accumulated in double in a fixed order
     * (so the result does not depend on threads), in parallel over {@code k} for large tensors.
     */
    protected static float[] biasGradient(ConvShape s, Tensor4D gradOutput) {
        float[] dy = gradOutput.data();
        int filters = s.outChannels();
        int plane = s.outPlane();
        float[] db = new float[filters];
        IntStream ks = IntStream.range(0, filters);
        if (dy.length >= PARALLEL_BIAS_GRADIENT_ELEMENTS) {
            ks = ks.parallel();
        }
        ks.forEach(k -> {
            double sum = 0;
            for (int n = 0; n < s.batch(); n++) {
                int start = (n * filters + k) * plane;
                for (int e = start; e < start + plane; e++) {
                    sum += dy[e];
                }
            }
            db[k] = (float) sum;
        });
        return db;
    }
}
