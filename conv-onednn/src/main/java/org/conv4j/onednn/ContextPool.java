package org.conv4j.onednn;

import org.conv4j.api.WorkspaceBudget;

import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Idle {@link Context}s, handed to one call at a time. At most {@code maxIdle} are kept (one per processor
 * by default: more calls than processors rarely run at once); a context returned beyond that is freed.
 * Thread-safe.
 *
 * <p>With a {@link WorkspaceBudget}, the buffers of idle contexts count against it as idle memory: a call
 * returns its context together with its grant ({@link #release(Context, WorkspaceBudget.Grant)}), the budget
 * frees idle contexts under pressure ({@link #releaseIdle()}), and a pool that is garbage-collected stops
 * being counted.
 */
final class ContextPool {

    private static final Cleaner CLEANER = Cleaner.create();

    private final int maxIdle;
    private final WorkspaceBudget budget;
    private final ArrayDeque<Context> idle = new ArrayDeque<>();
    /** Bytes this pool has reported idle to the budget. */
    private final AtomicLong counted = new AtomicLong();

    ContextPool(int maxIdle) {
        this(maxIdle, null);
    }

    ContextPool(int maxIdle, WorkspaceBudget budget) {
        this.maxIdle = maxIdle;
        this.budget = budget;
        if (budget != null) {
            WorkspaceBudget.IdlePool handle = new Handle(new WeakReference<>(this));
            budget.register(handle);
            AtomicLong bytes = counted;
            CLEANER.register(this, () -> {
                budget.unregister(handle);
                budget.removeIdle(bytes.getAndSet(0));
            });
        }
    }

    /** The budget's view of a pool, which does not keep the pool alive. */
    private record Handle(WeakReference<ContextPool> pool) implements WorkspaceBudget.IdlePool {
        @Override
        public long releaseIdle() {
            ContextPool p = pool.get();
            return p == null ? 0 : p.releaseIdle();
        }
    }

    /** An idle context (the most recently used, whose buffers are warmest) or a new one. */
    Context acquire() {
        return acquire(Long.MAX_VALUE, false);
    }

    /**
     * {@link #acquire()} for a call holding {@code grant}, which is closed if no context can be had. The
     * context's first {@link Context#reserve} with the grant as the limit brings its buffers within the grant.
     */
    Context acquire(WorkspaceBudget.Grant grant) {
        try {
            return acquire(grant.bytes(), budget != null);
        } catch (RuntimeException | Error e) {
            grant.close();
            throw e;
        }
    }

    /**
     * An idle context or a new one, for a call granted {@code grantBytes}. An idle context larger than that keeps
     * its excess if {@code keepExcess} and the budget can count it as in use (no call waiting for memory): the excess
     * becomes a grant the context keeps ({@link Context#keep}), and its buffers stay paged in, where cutting them to
     * the grant would free them and page in new ones at the next larger layer of a network.
     */
    private Context acquire(long grantBytes, boolean keepExcess) {
        synchronized (this) {
            Context c = idle.pollFirst();
            if (c != null) {
                long held = c.heldBytes();
                long excess = held - grantBytes;
                WorkspaceBudget.Grant extra = keepExcess && excess > 0 ? budget.tryTakeIdle(excess) : null;
                if (extra != null) {
                    counted.addAndGet(-excess); // tryTakeIdle moved these bytes from idle to granted
                    uncount(held - excess);
                    c.keep(extra);
                } else {
                    uncount(held);
                }
                return c;
            }
        }
        return new Context();
    }

    /** Keeps {@code c} for reuse after its call, or frees it if enough are idle. */
    void release(Context c) {
        synchronized (this) {
            if (idle.size() < maxIdle) {
                idle.addFirst(c);
                count(c.heldBytes());
                return;
            }
        }
        c.close();
    }

    /**
     * Ends the call of {@code c} and returns its {@code grant}: the context is kept for reuse, its buffers
     * moving from the grant to the budget's idle memory in one step, or freed if enough are idle.
     */
    void release(Context c, WorkspaceBudget.Grant grant) {
        List<WorkspaceBudget.Grant> grants = new ArrayList<>();
        grants.add(grant);
        grants.addAll(c.takeKept());
        synchronized (this) {
            if (idle.size() < maxIdle) {
                idle.addFirst(c);
                long rest = c.heldBytes();
                for (WorkspaceBudget.Grant g : grants) {
                    long kept = Math.min(rest, g.bytes());
                    g.closeKeepingIdle(kept);
                    counted.addAndGet(kept);
                    rest -= kept;
                }
                count(rest);
                return;
            }
        }
        grants.forEach(WorkspaceBudget.Grant::close);
        c.close();
    }

    /** Frees every idle context; returns the bytes of their buffers. */
    long releaseIdle() {
        List<Context> all;
        long bytes = 0;
        synchronized (this) {
            all = new ArrayList<>(idle);
            idle.clear();
            for (Context c : all) {
                bytes += c.heldBytes();
            }
            uncount(bytes);
        }
        all.forEach(Context::close);
        return bytes;
    }

    /** Bytes held by idle contexts. */
    synchronized long idleBytes() {
        long sum = 0;
        for (Context c : idle) {
            sum += c.heldBytes();
        }
        return sum;
    }

    private void count(long bytes) {
        if (budget != null && bytes > 0) {
            counted.addAndGet(bytes);
            budget.addIdle(bytes);
        }
    }

    private void uncount(long bytes) {
        if (budget != null && bytes > 0) {
            counted.addAndGet(-bytes);
            budget.removeIdle(bytes);
        }
    }
}
