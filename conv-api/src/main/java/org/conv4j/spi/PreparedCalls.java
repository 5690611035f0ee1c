package org.conv4j.spi;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;

import java.util.Objects;

/**
 * The prepared convolution of a backend that lays out nothing ahead: it keeps the validated geometry and a copy of
 * the weights, and each call checks the tensors' shapes and goes straight to the backend's pass on that geometry,
 * without validating, selecting or estimating again. Backends that can do more (weights laid out once, buffers
 * kept) return their own {@link PreparedConvolution}.
 */
public final class PreparedCalls extends AbstractPreparedConvolution<ConvBackend> {

    private Tensor4D weight;
    private float[] bias;

    /**
     * Prepares {@code backend}'s forward pass on {@code shape}.
     *
     * @param backend the backend
     * @param shape the validated geometry
     * @param weight the weight (copied)
     * @param bias the bias (copied), or null
     */
    public PreparedCalls(ConvBackend backend, ConvShape shape, Tensor4D weight, float[] bias) {
        super(backend, shape, bias != null);
        setWeights(weight, bias);
    }

    @Override
    protected Tensor4D forwardChecked(Tensor4D input, Tensor4D output) {
        if (backend instanceof AbstractConvBackend a) {
            return a.validatedForward(shape, input, weight, bias, output);
        }
        return backend.forwardInto(input, weight, bias, shape.params(), output);
    }

    @Override
    protected void loadWeights(Tensor4D weight, float[] bias) {
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
    }

    @Override
    protected void release() {
        weight = null;
    }

    /**
     * Fails unless {@code input} has the input shape of {@code s}.
     *
     * @param s the prepared geometry
     * @param input the input
     */
    public static void checkInput(ConvShape s, Tensor4D input) {
        Objects.requireNonNull(input, "input must not be null");
        if (!input.hasShape(s.batch(), s.inChannels(), s.inH(), s.inW())) {
            throw new IllegalArgumentException("input: expected the prepared shape "
                    + Tensor4D.shapeString(s.batch(), s.inChannels(), s.inH(), s.inW()) + ", got "
                    + input.shapeString());
        }
    }

    /**
     * Fails unless {@code weight} and {@code bias} fit the prepared geometry {@code s}, with a bias exactly if
     * {@code hasBias}.
     *
     * @param s the prepared geometry
     * @param weight the weight
     * @param bias the bias, or null
     * @param hasBias whether the prepared convolution has a bias
     */
    public static void checkWeights(ConvShape s, Tensor4D weight, float[] bias, boolean hasBias) {
        Objects.requireNonNull(weight, "weight must not be null");
        if (!weight.hasShape(s.outChannels(), s.inChannelsPerGroup(), s.kernelH(), s.kernelW())) {
            throw new IllegalArgumentException("weight: expected the prepared shape "
                    + Tensor4D.shapeString(s.outChannels(), s.inChannelsPerGroup(), s.kernelH(), s.kernelW())
                    + ", got " + weight.shapeString());
        }
        if ((bias != null) != hasBias) {
            throw new IllegalArgumentException("bias: expected " + (hasBias ? "a bias, as prepared" : "none, as prepared")
                    + ", got " + (bias == null ? "null" : "a bias"));
        }
        if (bias != null && bias.length != s.outChannels()) {
            throw new IllegalArgumentException("bias: expected length " + s.outChannels() + ", got " + bias.length);
        }
    }
}
