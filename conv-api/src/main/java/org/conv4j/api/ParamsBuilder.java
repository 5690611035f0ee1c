package org.conv4j.api;

import java.util.Objects;

/**
 * What the builders of every rank ({@link Conv1dParams.Builder}, {@link ConvParams.Builder},
 * {@link Conv3dParams.Builder}) share: the settings that do not depend on the axes, whose setters return the
 * concrete builder so that calls chain. Setters only record values; each builder's {@code build()} checks them.
 *
 * @param <B> the concrete builder's type
 */
public abstract class ParamsBuilder<B extends ParamsBuilder<B>> {

    int groups = 1;
    PaddingMode paddingMode = PaddingMode.ZEROS;

    /** For the builders of this package only, each a {@code ParamsBuilder} of its own type. */
    ParamsBuilder() {
    }

    /** {@return this builder, as its concrete type (each builder's {@code B} is its own class)} */
    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /**
     * Number of channel groups (1 = ordinary convolution; equal to the channel count = depthwise).
     *
     * @param g the group count (at least 1; divides the input and output channels)
     * @return this builder
     */
    public final B groups(int g) {
        this.groups = g;
        return self();
    }

    /**
     * What the padding holds (default {@link PaddingMode#ZEROS}), on every side as {@link PaddingMode} defines it;
     * works with every padding setter, including a builder's {@code samePadding}. Its limits depend on the input
     * size and are checked when the geometry is validated ({@link ConvShape}, {@link Conv3dShape}).
     *
     * @param mode the padding mode
     * @return this builder
     * @throws NullPointerException if {@code mode} is null
     */
    public final B paddingMode(PaddingMode mode) {
        this.paddingMode = Objects.requireNonNull(mode, "paddingMode must not be null");
        return self();
    }

    /** Fails with {@code name: expected >= min, got value} unless {@code value >= min}. */
    static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": expected >= " + min + ", got " + value);
        }
    }
}
