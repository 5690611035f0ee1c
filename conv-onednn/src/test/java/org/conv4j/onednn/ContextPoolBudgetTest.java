package org.conv4j.onednn;

import org.conv4j.spi.WorkspaceBudget;
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

    /**
     * A call granted less than an idle context holds keeps the context's buffers (no fresh pages for the next
     * larger layer) while the budget counts all of them as in use; when a call waits for memory, the excess is cut
     * to the grant as before.
     */
    @Test
    void aSmallerCallKeepsALargerContextsBuffersCounted() {
        Dnnl.engine();
        WorkspaceBudget budget = new WorkspaceBudget(1L << 30);
        ContextPool pool = new ContextPool(2, budget);
        long[] large = slots();
        large[0] = 8 * Context.GRANULE;
        WorkspaceBudget.Grant first = budget.acquire(0, 1L << 20);
        Context c = pool.acquire(first);
        c.reserve(large, c.limitBytes(first.bytes()));
        long held = c.heldBytes();
        pool.release(c, first);
        assertEquals(held, budget.idleBytes());

        WorkspaceBudget.Grant small = budget.acquire(0, 2 * Context.GRANULE);
        assertEquals(2 * Context.GRANULE, small.bytes());
        Context again = pool.acquire(small);
        assertSame(c, again);
        again.reserve(slots(), again.limitBytes(small.bytes()));
        assertEquals(held, again.heldBytes(), "the buffers are kept");
        assertEquals(held, budget.grantedBytes(), "and counted as in use");
        assertEquals(0, budget.idleBytes());
        pool.release(again, small);
        assertEquals(0, budget.grantedBytes());
        assertEquals(held, budget.idleBytes());
        assertEquals(held, budget.releaseIdle());
    }

    private static long[] slots() {
        long[] s = new long[Context.SLOTS];
        s[0] = Context.GRANULE;
        s[Context.SCRATCHPAD] = Context.GRANULE;
        return s;
    }
}
