package org.conv4j.api;

import java.util.Objects;

/**
 * The result of a 3D backward pass: the gradients have the shapes of what they differentiate.
 *
 * @param input  {@code dL/dx}, the input's shape {@code (N, C, D, H, W)}
 * @param weight {@code dL/dw}, the weight's shape {@code (K, C/groups, kD, kH, kW)}
 * @param bias   {@code dL/db}, one per filter: always present, whether or not the forward pass used a bias
 */
public record Conv3dGradients(Tensor5D input, Tensor5D weight, float[] bias) {

    /**
     * The three gradients.
     *
     * @param input {@code dL/dx}, of the input's shape
     * @param weight {@code dL/dw}, of the weight's shape
     * @param bias {@code dL/db}, one value per filter
     * @throws NullPointerException if a gradient is null
     */
    public Conv3dGradients {
        Objects.requireNonNull(input, "input gradient must not be null");
        Objects.requireNonNull(weight, "weight gradient must not be null");
        Objects.requireNonNull(bias, "bias gradient must not be null");
    }
}
