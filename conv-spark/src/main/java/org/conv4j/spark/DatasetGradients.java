package org.conv4j.spark;

import java.util.Objects;

import org.conv4j.api.Tensor4D;

/**
 * Gradients of a loss with respect to a convolution's weights and bias over a whole dataset, as
 * {@link ConvGradientAggregator} returns them.
 *
 * @param rows   the number of rows aggregated
 * @param loss   the loss (for {@link ConvGradientAggregator#meanSquaredError}), {@code NaN} when the caller
 *               supplied {@code dL/dy} itself
 * @param weight {@code dL/dw}, the weights' shape {@code (K, C/groups, kH, kW)}
 * @param bias   {@code dL/db}, {@code K} values (always present)
 */
public record DatasetGradients(long rows, double loss, Tensor4D weight, float[] bias) {

    /**
     * Checks that both gradients are present.
     *
     * @param rows   the number of rows aggregated
     * @param loss   the loss, or {@code NaN} when the caller supplied {@code dL/dy}
     * @param weight {@code dL/dw}, shape {@code (K, C/groups, kH, kW)}
     * @param bias   {@code dL/db}, {@code K} values
     * @throws NullPointerException if {@code weight} or {@code bias} is null
     */
    public DatasetGradients {
        Objects.requireNonNull(weight, "weight gradient must not be null");
        Objects.requireNonNull(bias, "bias gradient must not be null");
    }
}
