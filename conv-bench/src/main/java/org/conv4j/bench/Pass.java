package org.conv4j.bench;

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
}
