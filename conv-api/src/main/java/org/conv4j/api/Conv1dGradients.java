package org.conv4j.api;

import java.util.Objects;

/**
 * The result of a 1D backward pass: the gradients have the shapes of what they differentiate.
 *
 * @param input  {@code dL/dx}, the input's shape {@code (N, C, W)}
 * @param weight {@code dL/dw}, the weight's shape ({@code (K, C/groups, kW)} for a convolution,
 *               {@code (Cin, Cout/groups, kW)} for a transposed one)
 * @param bias   {@code dL/db}, one per output channel: always present, whether or not the forward pass used a bias
 */
public record Conv1dGradients(Tensor3D input, Tensor3D weight, float[] bias) {

    /**
     * The three gradients.
     *
     * @param input {@code dL/dx}, of the input's shape
     * @param weight {@code dL/dw}, of the weight's shape
     * @param bias {@code dL/db}, one value per output channel
     * @throws NullPointerException if a gradient is null
     */
    public Conv1dGradients {
        Objects.requireNonNull(input, "input gradient must not be null");
        Objects.requireNonNull(weight, "weight gradient must not be null");
        Objects.requireNonNull(bias, "bias gradient must not be null");
    }

    /**
     * The gradients of the height-1 2D convolution seen as 1D, without copying.
     *
     * @param g gradients whose input and weight gradients have height 1
     * @return the same gradients as 1D tensors
     * @throws IllegalArgumentException if a gradient's height is not 1
     */
    public static Conv1dGradients view(ConvGradients g) {
        return new Conv1dGradients(Tensor3D.view(g.input()), Tensor3D.view(g.weight()), g.bias());
    }

    /**
     * The bias gradient as a {@code (1, K, 1)} tensor view (shares the array), for uniform comparison.
     *
     * @return a {@code (1, K, 1)} view of {@link #bias()}
     */
    public Tensor3D biasTensor() {
        return Tensor3D.wrap(bias, 1, bias.length, 1);
    }
}
