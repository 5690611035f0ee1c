package org.conv4j.openblas;

import org.conv4j.api.WorkspaceBudget;

import java.util.ArrayList;
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
 * <p>A pool created with a {@link WorkspaceBudget} counts its idle buffers against it ({@link
 * WorkspaceBudget#addIdle}), frees them when the budget asks ({@link #releaseIdle()}), and hands out buffers
 * inside grants ({@link #lease}): a call either takes over an idle buffer that holds its whole wanted plan (the
 * buffer's bytes move from idle to granted), or gets a grant from the budget and a buffer within it.
 */
public final class NativeBufferPool implements WorkspaceBudget.IdlePool {

    /** Allocation granule: 2^18 floats = 1 MiB. */
    public static final int GRANULE_FLOATS = 1 << 18;

    private final int maxIdle;
    private final WorkspaceBudget budget;
    private final List<NativeFloats> idle = new ArrayList<>();

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
        if (maxIdle < 1) {
            throw new IllegalArgumentException("maxIdle: expected >= 1, got " + maxIdle);
        }
        this.maxIdle = maxIdle;
        this.budget = budget;
        if (budget != null) {
            budget.register(this);
        }
    }

    /** A pool keeping one idle buffer per available processor. */
    public NativeBufferPool() {
        this(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /** {@return the most idle buffers kept} */
    public int maxIdle() {
        return maxIdle;
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
        synchronized (this) {
            NativeFloats best = smallestIdle(floats, Long.MAX_VALUE);
            if (best != null) {
                takeIdle(best);
                return best;
            }
        }
        return NativeFloats.allocate((int) Math.min(rounded(floats), NativeFloats.MAX_CAPACITY));
    }

    /** {@code floats} rounded up to a whole number of granules. */
    static long rounded(long floats) {
        return (floats + GRANULE_FLOATS - 1) / GRANULE_FLOATS * GRANULE_FLOATS;
    }

    /** Removes {@code b} from the idle list; caller holds this pool's lock. */
    private void takeIdle(NativeFloats b) {
        idle.remove(b);
        if (budget != null) {
            budget.removeIdle(b.bytes());
        }
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
        synchronized (this) {
            NativeFloats best = smallestIdle(wantedFloats, Long.MAX_VALUE);
            WorkspaceBudget.Grant grant = best == null ? null : budget.tryTakeIdle(best.bytes());
            if (grant != null) {
                idle.remove(best);
                return new Lease<>(wanted, best, grant);
            }
        }
        WorkspaceBudget.Planned<P> planned = budget.acquirePlan(planWithin,
                p -> floatsOf.applyAsLong(p) * Float.BYTES, limitBytes);
        long floats = floatsOf.applyAsLong(planned.plan());
        long grantFloats = planned.grant().bytes() / Float.BYTES;
        NativeFloats buffer;
        synchronized (this) {
            buffer = smallestIdle(floats, grantFloats);
            if (buffer != null) {
                takeIdle(buffer);
            }
        }
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

    /** The smallest idle buffer of {@code min .. max} floats, or null; caller holds this pool's lock. */
    private NativeFloats smallestIdle(long min, long max) {
        NativeFloats best = null;
        for (NativeFloats b : idle) {
            if (b.capacity() >= min && b.capacity() <= max && (best == null || b.capacity() < best.capacity())) {
                best = b;
            }
        }
        return best;
    }

    /**
     * Keeps the lease's buffer for reuse and returns its grant in one step (the buffer stays counted, as idle);
     * if more than {@link #maxIdle()} buffers are then idle, the smallest is freed.
     *
     * @param lease the lease
     */
    public void release(Lease<?> lease) {
        NativeFloats evicted;
        synchronized (this) {
            idle.add(lease.buffer());
            lease.grant().closeKeepingIdle(Math.min(lease.buffer().bytes(), lease.grant().bytes()));
            evicted = evictBeyondMaxIdle();
        }
        if (evicted != null) {
            evicted.close();
        }
    }

    /**
     * Takes the smallest idle buffer off the list if more than {@link #maxIdle()} are idle, for the caller to free
     * outside the lock; null if none is over. Caller holds this pool's lock.
     */
    private NativeFloats evictBeyondMaxIdle() {
        if (idle.size() <= maxIdle) {
            return null;
        }
        NativeFloats smallest = idle.stream().min(Comparator.comparingInt(NativeFloats::capacity)).orElseThrow();
        takeIdle(smallest);
        return smallest;
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
     * Returns {@code buffer} for reuse (it must not be used by the caller afterwards).
     *
     * @param buffer the buffer
     */
    public void release(NativeFloats buffer) {
        if (buffer == null) {
            return;
        }
        NativeFloats evicted;
        synchronized (this) {
            idle.add(buffer);
            if (budget != null) {
                budget.addIdle(buffer.bytes());
            }
            evicted = evictBeyondMaxIdle();
        }
        if (evicted != null) {
            evicted.close();
        }
    }

    /** Frees every idle buffer. */
    public void clear() {
        releaseIdle();
    }

    /** Frees every idle buffer; returns the bytes freed. */
    @Override
    public long releaseIdle() {
        List<NativeFloats> all;
        long bytes = 0;
        synchronized (this) {
            all = new ArrayList<>(idle);
            idle.clear();
            for (NativeFloats b : all) {
                bytes += b.bytes();
            }
            if (budget != null) {
                budget.removeIdle(bytes);
            }
        }
        all.forEach(NativeFloats::close);
        return bytes;
    }

    /**
     * Bytes held by idle buffers.
     *
     * @return the idle bytes
     */
    public synchronized long idleBytes() {
        long sum = 0;
        for (NativeFloats b : idle) {
            sum += b.bytes();
        }
        return sum;
    }
}
