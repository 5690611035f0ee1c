package org.conv4j.bench;

import org.conv4j.api.ConvPass;

import java.util.List;
import java.util.Locale;

/**
 * The passes the benchmarks measure: the two {@linkplain ConvPass#isBasic() basic} passes of conv4j's
 * {@link ConvPass}, {@code forward} (y from x, w and b) and {@code backward} (dL/dx, dL/dw and dL/db from dL/dy), and
 * their names on the command line, in JMH parameters and in timing files (their {@link ConvPass#label() labels}).
 */
public final class MeasuredPasses {

    /** Forward, then backward: the order of every table, chart and loop over the passes. */
    public static final List<ConvPass> ALL = List.of(ConvPass.FORWARD, ConvPass.BACKWARD);

    private MeasuredPasses() {
    }

    /**
     * The measured pass called {@code name}, {@code forward} or {@code backward} in any case.
     *
     * @param name the name
     * @return the pass
     * @throws IllegalArgumentException if {@code name} names neither
     */
    public static ConvPass parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "forward" -> ConvPass.FORWARD;
            case "backward" -> ConvPass.BACKWARD;
            default -> throw new IllegalArgumentException("pass: expected forward or backward, got \"" + name + "\"");
        };
    }

    /**
     * {@code pass} if the benchmarks measure it.
     *
     * @param pass the pass
     * @return {@code pass}
     * @throws IllegalArgumentException if it is not {@link ConvPass#FORWARD} or {@link ConvPass#BACKWARD}
     */
    public static ConvPass require(ConvPass pass) {
        if (!ALL.contains(pass)) {
            throw new IllegalArgumentException("pass: expected forward or backward, got " + pass);
        }
        return pass;
    }
}
