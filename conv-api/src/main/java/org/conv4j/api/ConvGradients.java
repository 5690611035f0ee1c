package org.conv4j.api;

import java.util.Objects;

/**
 * The result of a backward pass: the gradients have the shapes of what they differentiate.
 *
 * @param input  {@code dL/dx}, the input's shape {@code (N, C, H, W)}
 * @param weight {@code dL/dw}, the weight's shape ({@code (K, C/groups, kH, kW)} for a convolution,
 *               {@code (Cin, Cout/groups, kH, kW)} for a transposed one)
 * @param bias   {@code dL/db}, one per output channel ({@code K}, or {@code Cout} for a transposed convolution):
 *               always present, whether or not the forward pass used a bias
 */
public record ConvGradients(Tensor4D input, Tensor4D weight, float[] bias) {

    /**
     * The three gradients.
     *
     * @param input {@code dL/dx}, of the input's shape
     * @param weight {@code dL/dw}, of the weight's shape
     * @param bias {@code dL/db}, one value per output channel
     * @throws NullPointerException if a gradient is null
     */
    public ConvGradients {
        Objects.requireNonNull(input, "input gradient must not be null");
        Objects.requireNonNull(weight, "weight gradient must not be null");
        Objects.requireNonNull(bias, "bias gradient must not be null");
    }

    /**
     * The bias gradient as a {@code (1, K, 1, 1)} tensor view (shares the array), for uniform comparison.
     *
     * @return a {@code (1, K, 1, 1)} view of {@link #bias()}
     */
    public Tensor4D biasTensor() {
        return Tensor4D.wrap(bias, 1, bias.length, 1, 1);
    }
}
