package org.conv4j.bench;

import org.conv4j.api.ConvPass;

import java.util.Locale;

/** Which half of a convolution layer is measured. */
public enum Pass {
    /** y = conv(x, w) + b. */
    FORWARD,
    /** dL/dx, dL/dw and dL/db from dL/dy. */
    BACKWARD;

    /** {@code forward} or {@code backward}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The facade's pass for this one ({@link ConvPass#FORWARD} or {@link ConvPass#BACKWARD}). */
    public ConvPass convPass() {
        return this == FORWARD ? ConvPass.FORWARD : ConvPass.BACKWARD;
    }
}
