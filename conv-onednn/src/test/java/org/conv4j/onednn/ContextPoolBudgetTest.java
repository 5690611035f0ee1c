package org.conv4j.onednn;

import org.conv4j.api.WorkspaceBudget;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Idle contexts counted against a {@link WorkspaceBudget} and released by it. */
class ContextPoolBudgetTest {

    @Test
    void idleContextsCountAsIdleMemoryUntilReleased() {
        Dnnl.engine();
        WorkspaceBudget budget = new WorkspaceBudget(1L << 30);
        ContextPool pool = new ContextPool(2, budget);
        WorkspaceBudget.Grant grant = budget.acquire(0, 1L << 20);
        Context c = pool.acquire(grant);
        c.reserve(slots(), grant.bytes());
        long held = c.heldBytes();
        pool.release(c, grant);
        assertEquals(0, budget.grantedBytes());
        assertEquals(held, budget.idleBytes(), "the idle context's buffers are counted");
        assertSame(c, pool.acquire(), "reused");
        assertEquals(0, budget.idleBytes());
        pool.release(c);
        assertEquals(held, budget.idleBytes());
        assertEquals(held, budget.releaseIdle());
        assertEquals(0, budget.idleBytes());
        assertEquals(0, pool.idleBytes());
    }

    private static long[] slots() {
        long[] s = new long[Context.SLOTS];
        s[0] = Context.GRANULE;
        s[Context.SCRATCHPAD] = Context.GRANULE;
        return s;
    }
}
