package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.CostProfile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The one place that chooses a backend from the backends' own descriptions; it names none of them.
 *
 * <p>Rules, in order:
 * <ol>
 *   <li>candidates are the backends that {@link ConvBackend#supports support} the pass (its
 *       {@linkplain ConvPass#basis() basic pass}) and geometry, less the
 *       {@link ConvBackend#isReference reference} unless it is the only one;</li>
 *   <li>the candidate with the smallest finite {@link ConvBackend#estimateNanos estimate} wins (ties: name
 *       order), as the {@link CostProfile#estimate cost profile} calibrates it;</li>
 *   <li>if no candidate gives an estimate, the first in name order wins.</li>
 * </ol>
 * Autotuning ({@link Autotuner}) times the {@link #autotuneCandidates} instead and keeps the fastest.
 */
public final class BackendSelector {

    /**
     * Autotuning skips a candidate whose estimate exceeds the best estimate by more than this factor: the
     * estimates are fitted to within about 2x of measured times ({@link CostProfile}, {@code conv-bench fit}),
     * so a 16x gap is never a close call, and timing a backend that slow would dominate the first call's cost.
     */
    static final double AUTOTUNE_MAX_ESTIMATE_RATIO = 16;

    private BackendSelector() {
    }

    /** The supporting backends with their estimates, smallest first (NaN last, then by name). */
    public static Map<ConvBackend, Double> estimates(List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        return estimates(backends, shape, pass, b -> 0);
    }

    /**
     * As {@link #estimates(List, ConvShape, ConvPass)}, each estimate plus {@code extraNanos} of its backend (the
     * price of the conversions the backend needs at the call's edge).
     */
    public static Map<ConvBackend, Double> estimates(List<ConvBackend> backends, ConvShape shape, ConvPass pass,
                                                     ToDoubleFunction<ConvBackend> extraNanos) {
        return estimates(backends, new Selectable.Planar(shape), pass, extraNanos);
    }

    /**
     * The backends that support {@code pass} on a geometry of any rank, with their estimates plus
     * {@code extraNanos}, smallest first (NaN last, then the reference last, then by name).
     *
     * @throws IllegalArgumentException if no backend supports it
     */
    public static Map<ConvBackend, Double> estimates(List<ConvBackend> backends, Selectable shape, ConvPass pass,
                                                     ToDoubleFunction<ConvBackend> extraNanos) {
        List<ConvBackend> supporting = new ArrayList<>();
        Map<ConvBackend, Double> estimate = new LinkedHashMap<>();
        for (ConvBackend b : backends) {
            if (shape.supportedBy(b, pass)) {
                supporting.add(b);
                double ns = shape.estimateBy(b, pass) + extraNanos.applyAsDouble(b);
                estimate.put(b, Double.isFinite(ns) && ns >= 0 ? ns : Double.NaN);
            }
        }
        if (supporting.isEmpty()) {
            throw new IllegalArgumentException("shape: expected a " + pass.label() + " pass that one of the available"
                    + " backends " + names(backends) + " supports, got " + shape);
        }
        supporting.sort(Comparator.comparingDouble((ConvBackend b) -> {
            double ns = estimate.get(b);
            return Double.isNaN(ns) ? Double.POSITIVE_INFINITY : ns;
        }).thenComparing((ConvBackend b) -> b.isReference()).thenComparing(ConvBackend::name));
        Map<ConvBackend, Double> sorted = new LinkedHashMap<>();
        for (ConvBackend b : supporting) {
            sorted.put(b, estimate.get(b));
        }
        return sorted;
    }

    /**
     * The heuristic choice on a geometry of any rank (see the class comment): the first non-reference backend in
     * estimate order, else the reference.
     *
     * @throws IllegalArgumentException if no backend supports the pass
     */
    public static ConvBackend best(List<ConvBackend> backends, Selectable shape, ConvPass pass) {
        Map<ConvBackend, Double> estimates = estimates(backends, shape, pass, b -> 0);
        for (ConvBackend b : estimates.keySet()) {
            if (!b.isReference()) {
                return b;
            }
        }
        return estimates.keySet().iterator().next();
    }

    /** The heuristic decision (no measurement): see the class comment. */
    public static ConvPlan choose(List<ConvBackend> backends, ConvShape shape, ConvPass pass) {
        return choose(backends, shape, pass, b -> 0);
    }

    /** As {@link #choose(List, ConvShape, ConvPass)}, with each estimate plus {@code extraNanos} of its backend. */
    public static ConvPlan choose(List<ConvBackend> backends, ConvShape shape, ConvPass pass,
                                  ToDoubleFunction<ConvBackend> extraNanos) {
        Map<ConvBackend, Double> estimates = estimates(backends, shape, pass, extraNanos);
        ConvBackend first = null;
        int candidates = 0;
        for (ConvBackend b : estimates.keySet()) {
            if (!b.isReference()) {
                first = first == null ? b : first;
                candidates++;
            }
        }
        if (first == null) {
            first = estimates.keySet().iterator().next();
            candidates = 1;
        }
        boolean estimated = !Double.isNaN(estimates.get(first));
        ConvPlan.Reason reason = estimated && candidates > 1 ? ConvPlan.Reason.ESTIMATED
                : ConvPlan.Reason.ONLY_CANDIDATE;
        return new ConvPlan(pass, shape, first, reason, byName(estimates), Map.of());
    }

    /**
     * The backends autotuning times, in estimate order: the supporting non-reference backends whose estimate
     * is within {@link #AUTOTUNE_MAX_ESTIMATE_RATIO} of the best (or that give none); the reference only when
     * nothing else supports the shape.
     */
    public static List<ConvBackend> autotuneCandidates(Map<ConvBackend, Double> estimates) {
        double best = Double.NaN;
        for (Map.Entry<ConvBackend, Double> e : estimates.entrySet()) {
            if (!e.getKey().isReference() && !Double.isNaN(e.getValue())) {
                best = e.getValue();
                break;
            }
        }
        List<ConvBackend> list = new ArrayList<>();
        for (Map.Entry<ConvBackend, Double> e : estimates.entrySet()) {
            double ns = e.getValue();
            if (!e.getKey().isReference()
                    && (Double.isNaN(ns) || Double.isNaN(best) || ns <= best * AUTOTUNE_MAX_ESTIMATE_RATIO)) {
                list.add(e.getKey());
            }
        }
        if (list.isEmpty()) {
            list.addAll(estimates.keySet());
        }
        return list;
    }

    public static Map<String, Double> byName(Map<ConvBackend, Double> estimates) {
        Map<String, Double> m = new LinkedHashMap<>();
        estimates.forEach((b, ns) -> m.put(b.name(), ns));
        return m;
    }

    public static List<String> names(List<ConvBackend> backends) {
        List<String> names = new ArrayList<>();
        for (ConvBackend b : backends) {
            names.add(b.name());
        }
        return names;
    }
}
