package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * What the facade's prepared passes share ({@link PreparedByForm}, forward; {@link PreparedBackwardByForm}, backward):
 * the best backend for a call depends on its pass and on the storage and layout of its operands (a backend that
 * reads native channels-last tensors in place beats one that converts them), which are known only at the call. So
 * the first call of each pass with each form of operands ({@link LayoutEdge#forms}) chooses a backend, whose
 * prepared pass ({@code P}) then serves it and every later call of that pass and form. A backend chosen for several
 * is prepared once: its prepared pass serves every form it was chosen for.
 *
 * <p>The choice: by default, the smallest estimate with the conversions of the call's operands priced (the facade's
 * {@link Chooser}, which caches it); with {@code timed} (autotune mode), the candidates autotuning would time
 * ({@link BackendSelector#autotuneCandidates}, by those estimates) are each prepared and timed on the call's own
 * tensors (one warm-up call, then the best of {@value #TIMED_CALLS}), and the fastest is kept: a prepared pass serves
 * many calls, so a few calls of each candidate at the first one are cheap beside them.
 *
 * <p>Thread-safety: the maps are guarded by this object; a call runs on the prepared pass of its form, which
 * serialises its own calls.
 *
 * @param <P> the backends' prepared pass
 */
public abstract class PreparedForms<P> {

    /** Timed calls per candidate when the choice is timed. */
    static final int TIMED_CALLS = 3;

    /** The facade's estimated choice of a backend for a call of one pass on operands of one form (cached there). */
    @FunctionalInterface
    public interface Chooser {
        /**
         * The backend by estimate, the conversions of the operands priced in.
         *
         * @param shape the validated geometry
         * @param pass the pass
         * @param forms the operands' forms ({@link LayoutEdge#forms}), which determine {@code conversions}
         * @param conversions the price of the operands' conversions per backend, in ns
         * @return the backend
         */
        ConvBackend choose(ConvShape shape, ConvPass pass, int forms, ToDoubleFunction<ConvBackend> conversions);
    }

    private final String what;
    private final ConvShape shape;
    private final boolean timed;
    private final Chooser estimated;
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
     * @param timed whether each form's backend is chosen by timing (autotune mode) rather than by estimate
     * @param estimated the facade's estimated choice, for the forms not timed
     * @param backendOf the backend of a prepared pass
     * @param closer closes a prepared pass
     */
    protected PreparedForms(String what, ConvShape shape, boolean timed, Chooser estimated,
                            Function<? super P, ConvBackend> backendOf, Consumer<? super P> closer) {
        this.what = what;
        this.shape = shape;
        this.timed = timed;
        this.estimated = estimated;
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
     * Whether the choice is timed (autotune mode).
     *
     * @return whether each form's backend is timed
     */
    protected final boolean timed() {
        return timed;
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
     * Prepares {@code backend} for calls of {@code pass} on operands of {@code forms} now (the heap NCHW form at
     * construction, so that preparing does its work, and its failures, up front).
     *
     * @param pass the pass
     * @param forms the operands' forms
     * @param backend the backend
     */
    protected final synchronized void prepareNow(ConvPass pass, int forms, ConvBackend backend) {
        checkOpen();
        last = preparedBy(backend);
        byForm.put(key(pass, forms), last);
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
            p = timed ? fastest(pass, conversions, call) : preparedBy(estimated.choose(shape, pass, forms, conversions));
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
     * Each autotune candidate's prepared pass (the one it has, or a new one) timed with {@code call}; the fastest's,
     * the new ones of the others closed.
     */
    private P fastest(ConvPass pass, ToDoubleFunction<ConvBackend> conversions, Consumer<P> call) {
        List<P> made = new ArrayList<>();
        P best = null;
        try {
            long bestNanos = Long.MAX_VALUE;
            for (ConvBackend b : BackendSelector.autotuneCandidates(BackendSelector.estimates(Conv2d.backends(), shape,
                    pass, conversions))) {
                P p = byBackend.get(b);
                if (p == null) {
                    p = prepare(b);
                    made.add(p);
                }
                call.accept(p);
                long nanos = Long.MAX_VALUE;
                for (int i = 0; i < TIMED_CALLS; i++) {
                    long t0 = System.nanoTime();
                    call.accept(p);
                    nanos = Math.min(nanos, System.nanoTime() - t0);
                }
                if (nanos < bestNanos) {
                    best = p;
                    bestNanos = nanos;
                }
            }
            if (made.contains(best)) {
                byBackend.put(backendOf.apply(best), best);
            }
            made.remove(best);
            return best;
        } finally {
            made.forEach(closer); // the losers, or every new one if a candidate failed
        }
    }
}
