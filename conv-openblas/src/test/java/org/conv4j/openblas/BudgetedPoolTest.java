package org.conv4j.openblas;

import org.conv4j.spi.WorkspaceBudget;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NativeBufferPool#lease} inside a {@link WorkspaceBudget}: plans per grant, idle buffers counted. */
class BudgetedPoolTest {

    private static final long GRANULE_BYTES = (long) NativeBufferPool.GRANULE_FLOATS * Float.BYTES;

    /** A plan of {@code floats} floats: whatever fits in the bytes, at least one granule's worth. */
    private static long planWithin(long bytes) {
        return Math.max(NativeBufferPool.GRANULE_FLOATS, bytes / Float.BYTES);
    }

    @Test
    void leasesAreCountedReusedAndReleased() {
        WorkspaceBudget budget = new WorkspaceBudget(4 * GRANULE_BYTES);
        NativeBufferPool pool = new NativeBufferPool(2, budget);
        NativeBufferPool.Lease<Long> first = pool.lease(BudgetedPoolTest::planWithin, f -> f, 2 * GRANULE_BYTES);
        assertEquals(2L * NativeBufferPool.GRANULE_FLOATS, first.plan());
        assertEquals(2 * GRANULE_BYTES, budget.grantedBytes());
        pool.release(first);
        assertEquals(0, budget.grantedBytes());
        assertEquals(2 * GRANULE_BYTES, budget.idleBytes(), "kept idle, still counted");

        NativeBufferPool.Lease<Long> again = pool.lease(BudgetedPoolTest::planWithin, f -> f, 2 * GRANULE_BYTES);
        assertSame(first.buffer(), again.buffer(), "the idle buffer is taken over");
        assertEquals(0, budget.idleBytes());
        assertEquals(2 * GRANULE_BYTES, budget.grantedBytes());

        // 3 granules wanted, 2 free: a smaller plan in a smaller buffer
        NativeBufferPool.Lease<Long> squeezed = pool.lease(BudgetedPoolTest::planWithin, f -> f, 3 * GRANULE_BYTES);
        assertEquals(2L * NativeBufferPool.GRANULE_FLOATS, squeezed.plan());
        assertNotSame(again.buffer(), squeezed.buffer());
        assertTrue(squeezed.buffer().capacity() >= squeezed.plan());
        pool.release(again);
        pool.release(squeezed);
        assertEquals(4 * GRANULE_BYTES, budget.idleBytes());
        assertEquals(4 * GRANULE_BYTES, budget.peakBytes());

        // a call wanting more than is free has the idle buffers released first
        NativeBufferPool.Lease<Long> big = pool.lease(BudgetedPoolTest::planWithin, f -> f, 3 * GRANULE_BYTES);
        assertEquals(3L * NativeBufferPool.GRANULE_FLOATS, big.plan());
        assertEquals(0, pool.idleBytes());
        pool.release(big);
        assertEquals(3 * GRANULE_BYTES, budget.releaseIdle());
        assertEquals(0, budget.idleBytes());
        assertEquals(0, budget.grantedBytes());
    }
}
