package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.LruCache;

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
 * is prepared and called once to warm up; then they are timed in {@value #TIMED_CALLS} rounds, two calls of each per
 * round and the second timed, so that a drift of the machine's speed hits all alike and no candidate pays for
 * switching from the one before; each one's time is its fastest timed call, and from the second round on a candidate
 * more than {@link Autotuner#RECHECK_RATIO} times the fastest is out after the round (a gap that wide over two calls
 * is real; one call can land on a busy moment). The fastest serves the
 * form from then on, so that every later call of the form gives the same results (a second timing later could switch
 * backends, whose results differ in rounding, in the middle of a run). The decision is kept for the process, per
 * geometry, pass and form ({@link #DECISIONS}): every prepared pass of that layer and form runs that backend, and
 * only the first times.
 *
 * <p>Thread-safety: the maps are guarded by this object; a call runs on the prepared pass of its form, which
 * serialises its own calls.
 *
 * @param <P> the backends' prepared pass
 */
public abstract class PreparedForms<P> {

    /** Rounds of timing: each candidate's time is its fastest timed call of these rounds. */
    static final int TIMED_CALLS = 3;

    /**
     * Rounds every candidate is timed in before one far slower than the fastest drops out: two, so that no candidate
     * is dropped on one call. On 2 cores one timed call can land on a busy moment (the JIT compiling on the other
     * core) and measure a backend several times slower than it runs.
     */
    static final int DROP_AFTER_ROUNDS = 2;

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

    /** A timed decision's key: the geometry and pass, and the operands' forms. */
    record Decision(PlanKey plan, int forms) {
    }

    /**
     * Timed decisions, shared by every prepared pass in the process: the prepared passes of one layer run one
     * backend, so that their results agree bit for bit (backends differ in rounding), and a second one of a layer
     * does not time again. At most {@value Autotuner#MAX_ENTRIES} are kept, as autotuning keeps.
     */
    private static final LruCache<Decision, ConvBackend> DECISIONS = new LruCache<>(Autotuner.MAX_ENTRIES);

    /**
     * The backend a timed decision chose for a call of {@code pass} on {@code shape} with operands of {@code forms}
     * ({@link LayoutEdge#forms} of input, null and output for the forward pass), if one was made in this process;
     * else null. {@link Conv2d}'s calls on such operands run it, so that they agree with the prepared passes of the
     * layer and form.
     *
     * @param shape the validated geometry
     * @param pass the pass
     * @param forms the operands' forms
     * @return the backend, or null
     */
    public static ConvBackend decided(ConvShape shape, ConvPass pass, int forms) {
        return DECISIONS.getIfPresent(new Decision(new PlanKey(shape, pass), forms));
    }

    private final String what;
    private final ConvShape shape;
    private final LruCache<Decision, ConvBackend> decisions;
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
        this(what, shape, DECISIONS, (pass, conversions) -> BackendSelector.autotuneCandidates(
                BackendSelector.estimates(Conv2d.backends(), shape, pass, conversions)),
                System::nanoTime, backendOf, closer);
    }

    /** With the decisions, the candidates and the clock given (for tests). */
    PreparedForms(String what, ConvShape shape, LruCache<Decision, ConvBackend> decisions, Candidates candidates,
                  LongSupplier clock, Function<? super P, ConvBackend> backendOf, Consumer<? super P> closer) {
        this.what = what;
        this.shape = shape;
        this.decisions = decisions;
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
            ConvBackend b = decisions.get(new Decision(new PlanKey(shape, pass), forms),
                    d -> backendOf.apply(fastest(candidates.of(pass, conversions), call)));
            p = preparedBy(b);
            closeUnused(p);
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
     * Each candidate's prepared pass (the one it has, or a new one) timed with {@code call}: the fastest's. The
     * others stay in {@link #byBackend} until the caller closes what serves no form.
     */
    private P fastest(List<ConvBackend> candidates, Consumer<P> call) {
        List<P> made = new ArrayList<>();
        try {
            List<P> passes = new ArrayList<>();
            for (ConvBackend b : candidates) {
                P p = byBackend.get(b);
                if (p == null) {
                    p = prepare(b);
                    made.add(p);
                    byBackend.put(b, p);
                }
                passes.add(p);
            }
            P best = passes.get(0);
            if (passes.size() > 1) {
                for (P p : passes) {
                    call.accept(p); // warm-up
                }
                best = passes.get(fastest(timed(passes, call)));
            }
            made.clear(); // from here on byBackend holds them
            return best;
        } finally {
            for (P p : made) { // a candidate failed: none of the new ones serves
                byBackend.values().remove(p);
                closer.accept(p);
            }
        }
    }

    /**
     * Each pass's fastest timed call, in ns: {@value #TIMED_CALLS} rounds of two calls of each, so that a drift of
     * the machine's speed hits all alike, the second timed (the first pays for switching from the last candidate:
     * another library's threads still spinning, other data in the caches); from the {@value #DROP_AFTER_ROUNDS}th
     * round on, a pass more than {@link Autotuner#RECHECK_RATIO} times the fastest so far is out after the round and
     * not called again.
     */
    private long[] timed(List<P> passes, Consumer<P> call) {
        long[] nanos = new long[passes.size()];
        Arrays.fill(nanos, Long.MAX_VALUE);
        boolean[] out = new boolean[passes.size()];
        for (int round = 0; round < TIMED_CALLS; round++) {
            for (int i = 0; i < passes.size(); i++) {
                if (!out[i]) {
                    call.accept(passes.get(i));
                    long t0 = clock.getAsLong();
                    call.accept(passes.get(i));
                    nanos[i] = Math.min(nanos[i], clock.getAsLong() - t0);
                }
            }
            if (round + 1 < DROP_AFTER_ROUNDS) {
                continue;
            }
            int best = fastest(nanos);
            for (int i = 0; i < passes.size(); i++) {
                out[i] |= nanos[i] > Autotuner.RECHECK_RATIO * nanos[best];
            }
        }
        return nanos;
    }

    /** The index of the smallest time (the first of equal ones). */
    private static int fastest(long[] nanos) {
        int best = 0;
        for (int i = 1; i < nanos.length; i++) {
            best = nanos[i] < nanos[best] ? i : best;
        }
        return best;
    }

    /** Closes the prepared passes that serve no form and are not {@code chosen} (a choice not yet recorded). */
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
