package org.conv4j.api;

/**
 * A pass of a convolution, the unit in which {@link Conv2d} chooses, autotunes and caches a backend.
 *
 * <p>Backends describe what they support and what it costs ({@link ConvBackend#supports},
 * {@link ConvBackend#estimateNanos}) for the two {@linkplain #isBasic() basic} passes only, {@link #FORWARD} and
 * {@link #BACKWARD}; every other pass is described by the basic pass it is built from ({@link #basis()}). The
 * shape of every pass is the {@link ConvShape} of the convolution it derives from: for the transposed passes,
 * {@link TransposedShape#conv()}.
 */
public enum ConvPass {
    /** {@link ConvBackend#forward}: {@code y = conv(x, w) + b}. */
    FORWARD("forward", null),
    /** {@link ConvBackend#backward}: {@code dL/dx}, {@code dL/dw} and {@code dL/db} from {@code dL/dy}. */
    BACKWARD("backward", null),
    /** {@link ConvBackend#inputGradient}: {@code dL/dx} alone; described as {@link #BACKWARD}. */
    INPUT_GRADIENT("input-gradient", BACKWARD),
    /** {@link ConvBackend#weightGradient}: {@code dL/dw} alone; described as {@link #BACKWARD}. */
    WEIGHT_GRADIENT("weight-gradient", BACKWARD),
    /**
     * {@link ConvBackend#transposedForward}: the input gradient of {@link TransposedShape#conv()}; described as
     * {@link #BACKWARD}.
     */
    TRANSPOSED_FORWARD("transposed-forward", BACKWARD),
    /**
     * {@link ConvBackend#transposedBackward}: a forward pass and a weight gradient of {@link TransposedShape#conv()};
     * described as {@link #BACKWARD}.
     */
    TRANSPOSED_BACKWARD("transposed-backward", BACKWARD);

    private final String label;
    private final ConvPass basis;

    ConvPass(String label, ConvPass basis) {
        this.label = label;
        this.basis = basis;
    }

    /**
     * The name in plans, logs and the autotune cache file: {@code forward}, {@code input-gradient}, ...
     *
     * @return the label
     */
    public String label() {
        return label;
    }

    /**
     * Whether backends describe this pass themselves: {@link #FORWARD} and {@link #BACKWARD}.
     *
     * @return whether this pass is basic
     */
    public boolean isBasic() {
        return basis == null;
    }

    /**
     * The basic pass backends are asked about for this one: itself if {@linkplain #isBasic() basic}, else the pass
     * it is built from (the single-gradient and transposed passes run one or two of the backward pass's products,
     * so a backend that serves the backward pass serves them, at a cost that ranks the backends alike).
     *
     * @return the basic pass
     */
    public ConvPass basis() {
        return basis == null ? this : basis;
    }

    @Override
    public String toString() {
        return label;
    }
}
