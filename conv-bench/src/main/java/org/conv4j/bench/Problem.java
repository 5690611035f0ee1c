package org.conv4j.bench;

import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;

/**
 * The data of one benchmark case, made once from a fixed seed outside any measured code: input, weight,
 * bias and dL/dy (the latter only when a backward pass is measured).
 */
public final class Problem {

    /** The seed every tool uses unless told otherwise. */
    public static final long DEFAULT_SEED = 42;

    private final BenchShape shape;
    private final Tensor4D input;
    private final Tensor4D weight;
    private final float[] bias;
    private final Tensor4D gradOutput;

    private Problem(BenchShape shape, long seed, boolean withGradOutput) {
        this.shape = shape;
        this.input = shape.input(seed);
        this.weight = shape.weight(seed);
        this.bias = shape.bias(seed);
        this.gradOutput = withGradOutput ? shape.gradOutput(seed) : null;
    }

    /** The data for {@code shape}; dL/dy is made only if {@code pass} is backward. */
    public static Problem of(BenchShape shape, ConvPass pass, long seed) {
        return new Problem(shape, seed, MeasuredPasses.require(pass) == ConvPass.BACKWARD);
    }

    public BenchShape shape() {
        return shape;
    }

    public Tensor4D input() {
        return input;
    }

    public Tensor4D weight() {
        return weight;
    }

    public float[] bias() {
        return bias;
    }

    /** dL/dy, or null for a forward-only problem. */
    public Tensor4D gradOutput() {
        return gradOutput;
    }
}
