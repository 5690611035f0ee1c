package org.conv4j.api;

/**
 * What the padding around the input holds, as PyTorch's {@code padding_mode} defines it, generalised to
 * four-sided padding: the input is padded on each side by that side's amount ({@link ConvParams#padTop()} ...)
 * with the mode, then convolved with no further padding. Along one axis of length {@code n}, padded position
 * {@code i} (from {@code -padBefore} to {@code n + padAfter - 1}) reads input position
 * <ul>
 *   <li>{@link #ZEROS}: {@code i} inside the input, else nothing (a zero);</li>
 *   <li>{@link #REFLECT}: {@code -i} left of it, {@code 2(n-1) - i} right of it (a mirror that does not repeat
 *       the edge); each pad must be smaller than {@code n};</li>
 *   <li>{@link #REPLICATE}: {@code clamp(i, 0, n-1)} (the edge repeated);</li>
 *   <li>{@link #CIRCULAR}: {@code i mod n} (wrapped around); each pad must be at most {@code n}.</li>
 * </ul>
 * For the row {@code [1 2 3]} padded by 2 on each side: zeros {@code 0 0 | 1 2 3 | 0 0}, reflect
 * {@code 3 2 | 1 2 3 | 2 1}, replicate {@code 1 1 | 1 2 3 | 3 3}, circular {@code 2 3 | 1 2 3 | 1 2}.
 *
 * <p>The backward pass sums the gradient of every padded copy of an input element into that element.
 */
public enum PaddingMode {
    /** Zeros around the input (the default). */
    ZEROS,
    /** The input mirrored at its edges, without repeating the edge element. */
    REFLECT,
    /** The edge element repeated. */
    REPLICATE,
    /** The input wrapped around (periodic). */
    CIRCULAR
}
