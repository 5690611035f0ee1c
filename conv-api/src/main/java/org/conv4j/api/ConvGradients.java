package org.conv4j.api;

import java.util.Objects;

/**
 * The result of a backward pass.
 *
 * @param input  {@code dL/dx}, the input's shape {@code (N, C, H, W)}
 * @param weight {@code dL/dw}, the weight's shape {@code (K, C/groups, kH, kW)}
 * @param bias   {@code dL/db}, length {@code K}: always present, whether or not the forward pass used a bias
 */
public record ConvGradients(Tensor4D input, Tensor4D weight, float[] bias) {

    public ConvGradients {
        Objects.requireNonNull(input, "input gradient must not be null");
        Objects.requireNonNull(weight, "weight gradient must not be null");
        Objects.requireNonNull(bias, "bias gradient must not be null");
        if (bias.length != weight.n()) {
            throw new IllegalArgumentException("bias gradient: expected length " + weight.n()
                    + " (one per filter), got " + bias.length);
        }
    }

    /** The bias gradient as a {@code (1, K, 1, 1)} tensor view (shares the array), for uniform comparison. */
    public Tensor4D biasTensor() {
        return Tensor4D.wrap(bias, 1, bias.length, 1, 1);
    }
}
