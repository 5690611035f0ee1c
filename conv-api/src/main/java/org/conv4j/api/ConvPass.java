package org.conv4j.api;

/**
 * A pass of a convolution, the unit in which backends describe what they support and what it costs
 * ({@link ConvBackend#supports}, {@link ConvBackend#estimateNanos}) and in which {@link Conv2d} chooses and
 * caches a backend.
 */
public enum ConvPass {
    /** {@link ConvBackend#forward}: {@code y = conv(x, w) + b}. */
    FORWARD("forward"),
    /** {@link ConvBackend#backward}: {@code dL/dx}, {@code dL/dw} and {@code dL/db} from {@code dL/dy}. */
    BACKWARD("backward");

    private final String label;

    ConvPass(String label) {
        this.label = label;
    }

    /** {@code forward} or {@code backward}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
