package org.conv4j.onednn;

import org.conv4j.spi.BudgetedIdlePool;
import org.conv4j.spi.WorkspaceBudget;

import java.util.ArrayList;
import java.util.List;

/**
 * Idle {@link Context}s, handed to one call at a time, the most recently used (whose buffers are warmest) first. At
 * most {@code maxIdle} are kept (one per processor by default: more calls than processors rarely run at once); a
 * context returned beyond that is freed. Thread-safe.
 *
 * <p>With a {@link WorkspaceBudget}, the buffers of idle contexts count against it as idle memory: a call
 * returns its context together with its grant ({@link #release(Context, WorkspaceBudget.Grant)}), the budget
 * frees idle contexts under pressure, and a pool that is garbage-collected stops being counted. The idle contexts
 * and their accounting are a {@link BudgetedIdlePool}.
 */
final class ContextPool {

    private final boolean budgeted;
    private final BudgetedIdlePool<Context> idle;

    ContextPool(int maxIdle) {
        this(maxIdle, null);
    }

    ContextPool(int maxIdle, WorkspaceBudget budget) {
        this.budgeted = budget != null;
        this.idle = new BudgetedIdlePool<>(maxIdle, budget, Context::heldBytes, Context::close);
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
            return acquire(grant.bytes(), budgeted);
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
        BudgetedIdlePool.Taken<Context> taken = idle.takeLatest(c -> keepExcess ? c.heldBytes() - grantBytes : 0);
        if (taken == null) {
            return new Context();
        }
        if (taken.grant() != null) {
            taken.item().keep(taken.grant());
        }
        return taken.item();
    }

    /** Keeps {@code c} for reuse after its call, or frees it if enough are idle. */
    void release(Context c) {
        idle.keep(c);
    }

    /**
     * Ends the call of {@code c} and returns its {@code grant}: the context is kept for reuse, its buffers
     * moving from the grant (and the grants it kept, {@link Context#keep}) to the budget's idle memory in one step,
     * or freed if enough are idle.
     */
    void release(Context c, WorkspaceBudget.Grant grant) {
        List<WorkspaceBudget.Grant> grants = new ArrayList<>();
        grants.add(grant);
        grants.addAll(c.takeKept());
        idle.keep(c, grants);
    }

    /** Bytes held by idle contexts. */
    long idleBytes() {
        return idle.idleBytes();
    }
}
