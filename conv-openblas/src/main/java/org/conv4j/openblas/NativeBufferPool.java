package org.conv4j.openblas;

import org.conv4j.spi.BudgetedIdlePool;
import org.conv4j.spi.WorkspaceBudget;

import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * Reusable {@link NativeFloats}, handed to one caller at a time: concurrent callers each get their own
 * buffer, so reuse never shares memory between two calls in flight, and a buffer released by one call is
 * reused by the next (allocating and freeing hundreds of MiB of native memory per call costs page faults).
 *
 * <p>Sizes are rounded up to a multiple of {@value #GRANULE_FLOATS} floats (1 MiB) so that calls of
 * slightly different sizes reuse each other's buffers. At most {@link #maxIdle()} idle buffers are kept;
 * releasing one more frees the smallest. Thread-safe.
 *
 * <p>A pool created with a {@link WorkspaceBudget} counts its idle buffers against it, frees them when the budget
 * asks ({@link #releaseIdle()}), and hands out buffers inside grants ({@link #lease}): a call either takes over an
 * idle buffer that holds its whole wanted plan (the buffer's bytes move from idle to granted), or gets a grant from
 * the budget and a buffer within it. The idle buffers and their accounting are a {@link BudgetedIdlePool}.
 */
public final class NativeBufferPool {

    /** Allocation granule: 2^18 floats = 1 MiB. */
    public static final int GRANULE_FLOATS = 1 << 18;

    private final WorkspaceBudget budget;
    private final BudgetedIdlePool<NativeFloats> idle;

    /**
     * A pool keeping up to {@code maxIdle} idle buffers (at least 1), outside any budget.
     *
     * @param maxIdle the most idle buffers kept
     */
    public NativeBufferPool(int maxIdle) {
        this(maxIdle, null);
    }

    /**
     * A pool keeping up to {@code maxIdle} idle buffers (at least 1), counted against {@code budget} (which
     * may release them), or outside any budget if it is null.
     *
     * @param maxIdle the most idle buffers kept
     * @param budget the budget, or null
     */
    public NativeBufferPool(int maxIdle, WorkspaceBudget budget) {
        this.budget = budget;
        this.idle = new BudgetedIdlePool<>(maxIdle, budget, NativeFloats::bytes, NativeFloats::close,
                Comparator.comparingInt(NativeFloats::capacity));
    }

    /** A pool keeping one idle buffer per available processor. */
    public NativeBufferPool() {
        this(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /** {@return the most idle buffers kept} */
    public int maxIdle() {
        return idle.maxIdle();
    }

    /**
     * A buffer of at least {@code floats} capacity, for the caller's exclusive use until
     * {@link #release}: the smallest idle one that fits, or a new one.
     *
     * @param floats the capacity in floats
     * @return the buffer; {@link #release(NativeFloats)} it
     */
    public NativeFloats acquire(long floats) {
        if (floats < 1 || floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("floats: expected 1 .. " + Integer.MAX_VALUE + ", got " + floats);
        }
        NativeFloats best = idle.take(floats * Float.BYTES, Long.MAX_VALUE);
        if (best != null) {
            return best;
        }
        return NativeFloats.allocate((int) Math.min(rounded(floats), NativeFloats.MAX_CAPACITY));
    }

    /** {@code floats} rounded up to a whole number of granules. */
    static long rounded(long floats) {
        return (floats + GRANULE_FLOATS - 1) / GRANULE_FLOATS * GRANULE_FLOATS;
    }

    /**
     * A buffer for a plan, with the budget's grant covering it ({@link WorkspaceBudget#acquirePlan}): the
     * smallest idle buffer holding the wanted plan if the budget lets the call take it over
     * ({@link WorkspaceBudget#tryTakeIdle}); else a grant between the minimum and the wanted plan, and in it the
     * smallest idle buffer that fits the plan granted and the grant, or a new buffer (rounded up to the granule
     * as far as the grant allows). Return it with {@link #release(Lease)}.
     *
     * @param planWithin the plan that fits a number of bytes (see {@link WorkspaceBudget#acquirePlan})
     * @param floatsOf   the floats a plan needs
     * @param limitBytes the per-call limit
     * @param <P> the plan type
     * @return the plan, its buffer and its grant; {@link #release(Lease)} it
     * @throws IllegalStateException if the pool has no budget
     */
    public <P> Lease<P> lease(LongFunction<P> planWithin, ToLongFunction<P> floatsOf, long limitBytes) {
        if (budget == null) {
            throw new IllegalStateException("lease: this pool has no budget");
        }
        P wanted = planWithin.apply(limitBytes);
        long wantedFloats = floatsOf.applyAsLong(wanted);
        BudgetedIdlePool.Taken<NativeFloats> taken = idle.takeOver(wantedFloats * Float.BYTES);
        if (taken != null) {
            return new Lease<>(wanted, taken.item(), taken.grant());
        }
        WorkspaceBudget.Planned<P> planned = budget.acquirePlan(planWithin,
                p -> floatsOf.applyAsLong(p) * Float.BYTES, limitBytes);
        long floats = floatsOf.applyAsLong(planned.plan());
        long grantFloats = planned.grant().bytes() / Float.BYTES;
        NativeFloats buffer = idle.take(floats * Float.BYTES, grantFloats * Float.BYTES);
        if (buffer == null) {
            long size = Math.max(floats, Math.min(rounded(floats), grantFloats));
            try {
                buffer = NativeFloats.allocate((int) Math.min(size, NativeFloats.MAX_CAPACITY));
            } catch (RuntimeException | Error e) {
                planned.grant().close();
                throw e;
            }
        }
        return new Lease<>(planned.plan(), buffer, planned.grant());
    }

    /**
     * Keeps the lease's buffer for reuse and returns its grant in one step (the buffer stays counted, as idle);
     * if more than {@link #maxIdle()} buffers are then idle, the smallest is freed.
     *
     * @param lease the lease
     */
    public void release(Lease<?> lease) {
        idle.keep(lease.buffer(), List.of(lease.grant()));
    }

    /**
     * A buffer lent to one call, the plan it was sized for, and the grant that covers it.
     *
     * @param plan   the plan to run (the wanted one, or a smaller one for a smaller grant)
     * @param buffer at least the plan's floats, for the call's exclusive use
     * @param grant  the budget's grant, at least the buffer's bytes
     */
    public record Lease<P>(P plan, NativeFloats buffer, WorkspaceBudget.Grant grant) {
    }

    /**
     * Runs {@code work} on a buffer of at least {@code floats} capacity ({@link #acquire}) and releases it
     * afterwards, also when {@code work} throws.
     *
     * @param floats the capacity in floats
     * @param work runs on the buffer
     */
    public void use(long floats, Consumer<NativeFloats> work) {
        NativeFloats buffer = acquire(floats);
        try {
            work.accept(buffer);
        } finally {
            release(buffer);
        }
    }

    /**
     * Returns {@code buffer} for reuse (it must not be used by the caller afterwards); if more than
     * {@link #maxIdle()} buffers are then idle, the smallest is freed.
     *
     * @param buffer the buffer
     */
    public void release(NativeFloats buffer) {
        if (buffer != null) {
            idle.keep(buffer);
        }
    }

    /** Frees every idle buffer. */
    public void clear() {
        releaseIdle();
    }

    /**
     * Frees every idle buffer.
     *
     * @return the bytes freed
     */
    public long releaseIdle() {
        return idle.releaseIdle();
    }

    /**
     * Bytes held by idle buffers.
     *
     * @return the idle bytes
     */
    public long idleBytes() {
        return idle.idleBytes();
    }
}
