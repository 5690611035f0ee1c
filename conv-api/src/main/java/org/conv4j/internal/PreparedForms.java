package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * What the facade's prepared passes share ({@link PreparedByForm}, forward; {@link PreparedBackwardByForm}, backward):
 * the best backend for a call depends on its pass and on the storage and layout of its operands (a backend that
 * reads native channels-last tensors in place beats one that converts them), which are known only at the call. So
 * the first call of each pass with each form of operands ({@link LayoutEdge#forms}) chooses a backend, whose
 * prepared pass ({@code P}) then serves it and every later call of that pass and form. A backend chosen for several
 * is prepared once: its prepared pass serves every form it was chosen for.
 *
 * <p>The choice is timed, as autotune mode's first call times ({@link Autotuner}), in either mode: a prepared pass
 * serves many calls, so a few calls of each candidate at the first one are cheap beside them, and a measurement on
 * the call's own tensors does not share the estimates' error (largest where the operands' form differs from the heap
 * NCHW one the estimates are fitted on: on pointwise layers over native NHWC tensors they rank a backend measured 3x
 * faster behind another). The candidates are autotuning's ({@link BackendSelector#autotuneCandidates}), by the
 * estimates with the conversions of the call's operands priced; a single candidate is prepared without timing. Each
 * is prepared and called once to warm up; then they are timed in rounds, one call of each per round, so that a drift
 * of the machine's speed hits all alike, and each one's time is its fastest of {@value #TIMED_CALLS}; after each
 * round, a candidate more than {@link Autotuner#RECHECK_RATIO} times the fastest is out (a gap that wide is real).
 * The fastest is kept.
 *
 * <p>Thread-safety: the maps are guarded by this object; a call runs on the prepared pass of its form, which
 * serialises its own calls.
 *
 * @param <P> the backends' prepared pass
 */
public abstract class PreparedForms<P> {

    /** Timed calls per candidate when the choice is timed. */
    static final int TIMED_CALLS = 3;

    /** The backends a prepared pass times for a call, in the order to time them. */
    @FunctionalInterface
    interface Candidates {
        /**
         * The candidates.
         *
         * @param pass the pass
         * @param conversions the price of the call's conversions per backend, for the estimates
         * @return the backends, at least one
         */
        List<ConvBackend> of(ConvPass pass, ToDoubleFunction<ConvBackend> conversions);
    }

    private final String what;
    private final ConvShape shape;
    private final Candidates candidates;
    /** Nanoseconds, as {@link System#nanoTime()}; tests pass a fake clock. */
    private final LongSupplier clock;
    /** The backend of a prepared pass. */
    private final Function<? super P, ConvBackend> backendOf;
    /** Closes a prepared pass. */
    private final Consumer<? super P> closer;
    /** The prepared pass per pass and form: {@link #key}. */
    private final Map<Long, P> byForm = new HashMap<>();
    /** Every prepared pass, one per backend; what {@link #close()} closes. */
    private final Map<ConvBackend, P> byBackend = new LinkedHashMap<>();
    private P last;
    private boolean closed;

    /**
     * For subclasses.
     *
     * @param what what it is, for messages ("prepared convolution")
     * @param shape the validated geometry
     * @param backendOf the backend of a prepared pass
     * @param closer closes a prepared pass
     */
    protected PreparedForms(String what, ConvShape shape, Function<? super P, ConvBackend> backendOf,
                            Consumer<? super P> closer) {
        this(what, shape, (pass, conversions) -> BackendSelector.autotuneCandidates(
                BackendSelector.estimates(Conv2d.backends(), shape, pass, conversions)),
                System::nanoTime, backendOf, closer);
    }

    /** With the candidates and the clock given (for tests). */
    PreparedForms(String what, ConvShape shape, Candidates candidates, LongSupplier clock,
                  Function<? super P, ConvBackend> backendOf, Consumer<? super P> closer) {
        this.what = what;
        this.shape = shape;
        this.candidates = candidates;
        this.clock = clock;
        this.backendOf = backendOf;
        this.closer = closer;
    }

    /**
     * {@code backend}'s prepared pass on the geometry, with the weights currently held.
     *
     * @param backend the backend
     * @return its prepared pass
     */
    protected abstract P prepare(ConvBackend backend);

    /**
     * The geometry.
     *
     * @return the validated geometry
     */
    public final ConvShape shape() {
        return shape;
    }

    /**
     * The backend of the most recent call (before the first call, {@link Conv2d#plan}'s for heap NCHW operands).
     *
     * @param pass the pass {@link Conv2d#plan} is asked about before the first call
     * @return the backend
     * @throws IllegalStateException if closed
     */
    protected final synchronized ConvBackend lastBackend(ConvPass pass) {
        checkOpen();
        return last != null ? backendOf.apply(last) : Conv2d.plan(shape, pass).backend();
    }

    /**
     * Prepares {@code backend} now (at construction, the estimate's choice for heap NCHW operands, so that preparing
     * does its work, and its failures, up front). It serves no form until a call's timing chooses it; one that is not
     * chosen for the first call's form is closed then.
     *
     * @param backend the backend
     */
    protected final synchronized void prepareNow(ConvBackend backend) {
        checkOpen();
        preparedBy(backend);
    }

    /**
     * The prepared pass for a call of {@code pass} on operands of {@code forms}, chosen and prepared on first use.
     *
     * @param pass the pass
     * @param forms the operands' forms ({@link LayoutEdge#forms})
     * @param conversions the price of this call's conversions per backend, for the estimates
     * @param call one call of a candidate on this call's operands, for timing
     * @return the prepared pass
     * @throws IllegalStateException if closed
     */
    protected final synchronized P forForm(ConvPass pass, int forms, ToDoubleFunction<ConvBackend> conversions,
                                           Consumer<P> call) {
        checkOpen();
        long key = key(pass, forms);
        P p = byForm.get(key);
        if (p == null) {
            p = fastest(candidates.of(pass, conversions), call);
            byForm.put(key, p);
        }
        last = p;
        return p;
    }

    /**
     * Runs {@code action} on every prepared pass (e.g. to give each new weights).
     *
     * @param action what to do
     * @throws IllegalStateException if closed
     */
    protected final synchronized void forEachPrepared(Consumer<P> action) {
        checkOpen();
        byBackend.values().forEach(action);
    }

    /** Closes every prepared pass; later calls fail. Closing twice does nothing. */
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        byBackend.values().forEach(closer);
        byBackend.clear();
        byForm.clear();
        last = null;
    }

    /**
     * Fails if closed.
     *
     * @throws IllegalStateException if closed
     */
    protected final synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException(what + " " + shape + ": closed");
        }
    }

    private static long key(ConvPass pass, int forms) {
        return ((long) pass.ordinal() << 32) | (forms & 0xFFFF_FFFFL);
    }

    /** {@code backend}'s prepared pass: the one it has, or a new one. */
    private P preparedBy(ConvBackend backend) {
        P p = byBackend.get(backend);
        if (p == null) {
            p = prepare(backend);
            byBackend.put(backend, p);
        }
        return p;
    }

    /**
     * Each candidate's prepared pass (the one it has, or a new one) timed with {@code call}; the fastest's, every
     * other that serves no form closed.
     */
    private P fastest(List<ConvBackend> candidates, Consumer<P> call) {
        if (candidates.size() == 1) {
            P only = preparedBy(candidates.get(0));
            closeUnused(only);
            return only;
        }
        List<P> made = new ArrayList<>();
        try {
            List<P> passes = new ArrayList<>();
            for (ConvBackend b : candidates) {
                P p = byBackend.get(b);
                if (p == null) {
                    p = prepare(b);
                    made.add(p);
                }
                call.accept(p); // warm-up
                passes.add(p);
            }
            P best = passes.get(timedFastest(passes, call));
            if (made.contains(best)) {
                byBackend.put(backendOf.apply(best), best);
            }
            made.remove(best);
            closeUnused(best);
            return best;
        } finally {
            made.forEach(closer); // the losers, or every new one if a candidate failed
        }
    }

    /**
     * The index of the fastest of {@code passes}: {@value #TIMED_CALLS} rounds of one timed call of each, so that a
     * drift of the machine's speed hits all alike, each one's time its fastest call; after each round, a pass more
     * than {@link Autotuner#RECHECK_RATIO} times the fastest so far is out.
     */
    private int timedFastest(List<P> passes, Consumer<P> call) {
        long[] nanos = new long[passes.size()];
        Arrays.fill(nanos, Long.MAX_VALUE);
        boolean[] out = new boolean[passes.size()];
        int best = 0;
        for (int round = 0; round < TIMED_CALLS; round++) {
            for (int i = 0; i < passes.size(); i++) {
                if (!out[i]) {
                    long t0 = clock.getAsLong();
                    call.accept(passes.get(i));
                    nanos[i] = Math.min(nanos[i], clock.getAsLong() - t0);
                    best = nanos[i] < nanos[best] ? i : best;
                }
            }
            for (int i = 0; i < passes.size(); i++) {
                out[i] |= nanos[i] > Autotuner.RECHECK_RATIO * nanos[best];
            }
        }
        return best;
    }

    /** Closes the prepared passes that serve no form and are not {@code chosen} (one made up front and not chosen). */
    private void closeUnused(P chosen) {
        byBackend.values().removeIf(p -> {
            boolean unused = p != chosen && !byForm.containsValue(p);
            if (unused) {
                closer.accept(p);
            }
            return unused;
        });
    }
}
