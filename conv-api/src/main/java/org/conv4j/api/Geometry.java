package org.conv4j.api;

import java.util.Objects;

/**
 * What the validated geometries of both ranks and kinds share ({@link ConvShape}, {@link Conv3dShape},
 * {@link TransposedShape}, {@link Transposed3dShape}): their factories validate a pass's operands in one order
 * (input, weight and parameters not null; the geometry they make, checked by the class's own factory; then the
 * pass's third operand against that geometry), and the messages name the output as their kind of convolution does.
 */
abstract class Geometry {

    /** How a geometry is made from its operands, already known not to be null; it checks them. */
    @FunctionalInterface
    interface Factory<T, P, G extends Geometry> {
        G of(T input, T weight, P params);
    }

    /** Whether it is a transposed convolution's: its output channels and output are named so. */
    final boolean transposed;

    Geometry(boolean transposed) {
        this.transposed = transposed;
    }

    /** {@return the output's shape, batch first: {@code {N, output channels, spatial sizes...}}} */
    abstract int[] outputShape();

    /**
     * The geometry of a forward pass, after checking that {@code bias} is null or holds one value per output
     * channel.
     *
     * @throws NullPointerException naming {@code input}, {@code weight} or {@code params}, the first that is null
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    static <T, P, G extends Geometry> G forward(Factory<T, P, G> factory, T input, T weight, float[] bias, P params) {
        G g = of(factory, input, weight, params);
        int channels = g.outputShape()[1];
        if (bias != null && bias.length != channels) {
            throw new IllegalArgumentException("bias: expected length " + channels + " (one per "
                    + (g.transposed ? "output channel" : "filter") + "), got " + bias.length);
        }
        return g;
    }

    /**
     * The geometry of a backward pass, after checking that {@code gradOutput} has the output's shape.
     *
     * @throws NullPointerException naming a null argument
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    static <T extends Shapes.Shaped, P, G extends Geometry> G backward(Factory<T, P, G> factory, T input, T weight,
                                                                       T gradOutput, P params) {
        G g = of(factory, input, weight, params);
        Shapes.requireShape("gradOutput", gradOutput,
                g.transposed ? "the transposed output's " : "the forward output's ", g.outputShape());
        return g;
    }

    private static <T, P, G extends Geometry> G of(Factory<T, P, G> factory, T input, T weight, P params) {
        Objects.requireNonNull(input, "input must not be null");
        Objects.requireNonNull(weight, "weight must not be null");
        Objects.requireNonNull(params, "params must not be null");
        return factory.of(input, weight, params);
    }
}
