package org.conv4j.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Which backend {@link Conv2d} runs for one pass on one geometry, and why: returned by
 * {@link Conv2d#plan(ConvShape, ConvPass)} so that a user can see and log the decision.
 *
 * <p>{@link #toString()} reads, for example,
 * <pre>
 * forward input [8, 64, 56, 56] * weight [64, 64, 3, 3] -> [8, 64, 56, 56], ConvParams{...}:
 *   im2col (estimated; estimates im2col 2.10 ms, strided 2.60 ms, fft 10.2 ms, naive 351 ms)
 * </pre>
 */
public final class ConvPlan {

    /** Why the backend was chosen. */
    public enum Reason {
        /** Named by the {@value Conv2d#BACKEND_PROPERTY} system property. */
        PINNED,
        /** Fastest when each eligible backend was timed on this key (now, or in a loaded cache file). */
        AUTOTUNED,
        /** Smallest {@link ConvBackend#estimateNanos estimate} of the supporting backends. */
        ESTIMATED,
        /** The only backend that supports this pass and geometry, or none gives an estimate. */
        ONLY_CANDIDATE
    }

    private final ConvPass pass;
    private final ConvShape shape;
    private final ConvBackend backend;
    private final Reason reason;
    private final Map<String, Double> estimates;
    private final Map<String, Long> measured;
    private final boolean settled;

    /**
     * A settled plan: {@code ConvPlan(pass, shape, backend, reason, estimates, measured, true)}.
     *
     * @param pass the pass
     * @param shape the geometry
     * @param backend the backend that runs
     * @param reason why
     * @param estimates each supporting backend's estimate in ns by name, smallest first (may be empty)
     * @param measured each timed backend's fastest call in ns by name, fastest first (may be empty)
     */
    public ConvPlan(ConvPass pass, ConvShape shape, ConvBackend backend, Reason reason, Map<String, Double> estimates,
                    Map<String, Long> measured) {
        this(pass, shape, backend, reason, estimates, measured, true);
    }

    /**
     * A plan as the facade reports it: built by {@link Conv2d} and its autotuner, a plain value that tests and tools
     * may build too.
     *
     * @param pass the pass
     * @param shape the geometry
     * @param backend the backend that runs
     * @param reason why
     * @param estimates each supporting backend's estimate in ns by name, smallest first (may be empty)
     * @param measured each timed backend's fastest call in ns by name, fastest first (may be empty)
     * @param settled false while autotuning still re-checks close contenders
     */
    public ConvPlan(ConvPass pass, ConvShape shape, ConvBackend backend, Reason reason, Map<String, Double> estimates,
                    Map<String, Long> measured, boolean settled) {
        this.settled = settled;
        this.pass = Objects.requireNonNull(pass);
        this.shape = Objects.requireNonNull(shape);
        this.backend = Objects.requireNonNull(backend);
        this.reason = Objects.requireNonNull(reason);
        this.estimates = Collections.unmodifiableMap(new LinkedHashMap<>(estimates));
        this.measured = Collections.unmodifiableMap(new LinkedHashMap<>(measured));
    }


    /** {@return the pass this plan is for} */
    public ConvPass pass() {
        return pass;
    }

    /** {@return the geometry this plan is for} */
    public ConvShape shape() {
        return shape;
    }

    /**
     * The backend that runs.
     *
     * @return the backend
     */
    public ConvBackend backend() {
        return backend;
    }

    /** {@return why the backend was chosen} */
    public Reason reason() {
        return reason;
    }

    /**
     * Each supporting backend's {@link ConvBackend#estimateNanos estimate} in nanoseconds (NaN where it gives
     * none), smallest first; empty for a pinned backend.
     *
     * @return backend name to estimate, unmodifiable
     */
    public Map<String, Double> estimatedNanos() {
        return estimates;
    }

    /**
     * For an {@link Reason#AUTOTUNED autotuned} plan, each timed backend's fastest call in nanoseconds, fastest
     * first; otherwise empty.
     *
     * @return backend name to measured time, unmodifiable
     */
    public Map<String, Long> measuredNanos() {
        return measured;
    }

    /**
     * False while autotuning is still sampling the close contenders of this key (the backend may change on
     * a later call); true for every other plan.
     *
     * @return whether the choice is final
     */
    public boolean isSettled() {
        return settled;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(pass.label()).append(' ').append(shape).append(": ").append(backend.name()).append(" (");
        switch (reason) {
            case PINNED:
                sb.append("pinned by -D").append(Conv2d.BACKEND_PROPERTY);
                break;
            case AUTOTUNED:
                sb.append(settled ? "autotuned; measured" : "autotuning, still sampling; so far");
                measured.forEach((name, ns) -> sb.append(' ').append(name).append(' ').append(millis(ns)).append(','));
                sb.setLength(sb.length() - 1);
                break;
            case ESTIMATED:
                sb.append("estimated fastest; estimates");
                appendEstimates(sb);
                break;
            default:
                sb.append("the only candidate");
                if (!estimates.isEmpty()) {
                    sb.append("; supporting");
                    appendEstimates(sb);
                }
                break;
        }
        return sb.append(')').toString();
    }

    private void appendEstimates(StringBuilder sb) {
        estimates.forEach((name, ns) -> sb.append(' ').append(name).append(' ')
                .append(Double.isNaN(ns) ? "?" : millis(ns)).append(','));
        sb.setLength(sb.length() - 1);
    }

    private static String millis(double nanos) {
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : ms >= 1 ? "%.2f ms" : "%.3g ms", ms);
    }
}
