package org.conv4j.spi;

import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget's count of idle memory through every way an item enters and leaves a {@link BudgetedIdlePool}. */
class BudgetedIdlePoolTest {

    /** A pooled resource of a fixed size that records whether it was freed. */
    static final class Item {
        final long bytes;
        volatile boolean freed;

        Item(long bytes) {
            this.bytes = bytes;
        }
    }

    private static BudgetedIdlePool<Item> pool(int maxIdle, WorkspaceBudget budget, boolean smallestFirst) {
        return new BudgetedIdlePool<>(maxIdle, budget, i -> i.bytes, i -> i.freed = true,
                smallestFirst ? Comparator.comparingLong(i -> i.bytes) : null);
    }

    @Test
    void keptItemsCountAsIdleUntilTakenOrReleased() {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        BudgetedIdlePool<Item> pool = pool(4, budget, false);
        Item small = new Item(100);
        Item large = new Item(300);
        pool.keep(small);
        pool.keep(large);
        assertEquals(400, budget.idleBytes());
        assertEquals(400, pool.idleBytes());

        assertSame(small, pool.take(50, 200), "the smallest that fits");
        assertEquals(300, budget.idleBytes());
        assertNull(pool.take(400, Long.MAX_VALUE), "none holds 400 bytes");
        assertNull(pool.take(50, 200), "none of 50 .. 200 bytes is left");

        pool.keep(small);
        assertEquals(400, budget.releaseIdle(), "the budget frees the pool's idle items");
        assertTrue(small.freed && large.freed);
        assertEquals(0, budget.idleBytes());
        assertEquals(0, pool.idleCount());
    }

    @Test
    void anItemKeptAfterACallMovesFromItsGrantsToIdleMemory() {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        BudgetedIdlePool<Item> pool = pool(2, budget, false);
        WorkspaceBudget.Grant first = budget.acquire(0, 60);
        WorkspaceBudget.Grant second = budget.acquire(0, 30);
        pool.keep(new Item(100), List.of(first, second));
        assertEquals(0, budget.grantedBytes(), "both grants closed");
        assertEquals(100, budget.idleBytes(), "60 + 30 from the grants, 10 counted besides");
        assertEquals(100, budget.peakBytes(), "never counted twice");
    }

    @Test
    void aCallTakesOverAnIdleItemUnlessCallsAreWaiting() throws Exception {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        BudgetedIdlePool<Item> pool = pool(2, budget, false);
        Item item = new Item(200);
        pool.keep(item);

        BudgetedIdlePool.Taken<Item> taken = pool.takeOver(150);
        assertNotNull(taken);
        assertSame(item, taken.item());
        assertEquals(200, taken.grant().bytes(), "the whole item");
        assertEquals(200, budget.grantedBytes());
        assertEquals(0, budget.idleBytes());
        pool.keep(item, List.of(taken.grant()));
        assertEquals(0, budget.grantedBytes());
        assertEquals(200, budget.idleBytes());

        WorkspaceBudget.Grant all = budget.acquire(800, 800);
        CompletableFuture<WorkspaceBudget.Grant> waiting = CompletableFuture.supplyAsync(() -> budget.acquire(900, 900));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((!item.freed || budget.waiting() == 0) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        // the waiting call had the idle item freed, and still waits for the grant held here
        assertTrue(item.freed);
        assertEquals(1, budget.waiting());
        assertEquals(0, budget.idleBytes());
        pool.keep(new Item(100));
        assertNull(pool.takeOver(50), "no reuse ahead of a waiting call");
        assertEquals(1, pool.idleCount(), "a refused item stays idle");
        all.close();
        waiting.get(10, TimeUnit.SECONDS).close();
        assertEquals(0, budget.grantedBytes());
    }

    @Test
    void theLatestItemCanBringPartOfItsBytesIntoAGrant() {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        BudgetedIdlePool<Item> pool = pool(2, budget, false);
        Item older = new Item(100);
        Item latest = new Item(300);
        pool.keep(older);
        pool.keep(latest);

        BudgetedIdlePool.Taken<Item> taken = pool.takeLatest(i -> i.bytes - 120);
        assertSame(latest, taken.item(), "the most recently returned");
        assertEquals(180, taken.grant().bytes());
        assertEquals(180, budget.grantedBytes());
        assertEquals(100, budget.idleBytes(), "the other 120 bytes left the idle count");

        BudgetedIdlePool.Taken<Item> plain = pool.takeLatest(i -> 0);
        assertSame(older, plain.item());
        assertNull(plain.grant());
        assertEquals(0, budget.idleBytes());
        assertNull(pool.takeLatest(i -> 0), "none idle");
        taken.grant().close();
    }

    @Test
    void beyondMaxIdleTheReturnedItemOrTheFirstInTheOrderIsFreed() {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        BudgetedIdlePool<Item> refusing = pool(1, budget, false);
        Item kept = new Item(100);
        Item refused = new Item(200);
        refusing.keep(kept);
        WorkspaceBudget.Grant grant = budget.acquire(0, 200);
        refusing.keep(refused, List.of(grant));
        assertTrue(refused.freed);
        assertFalse(kept.freed);
        assertEquals(0, budget.grantedBytes(), "the refused item's grant is closed");
        assertEquals(100, budget.idleBytes());

        BudgetedIdlePool<Item> evicting = pool(1, budget, true);
        Item large = new Item(300);
        Item small = new Item(50);
        evicting.keep(large);
        evicting.keep(small);
        assertTrue(small.freed, "the smallest is freed");
        assertFalse(large.freed);
        assertEquals(400, budget.idleBytes());
        assertEquals(400, budget.releaseIdle());
    }

    @Test
    void withoutABudgetItIsAPlainPool() {
        BudgetedIdlePool<Item> pool = pool(1, null, false);
        Item item = new Item(100);
        pool.keep(item);
        assertNull(pool.takeOver(1), "nothing to take a grant from");
        BudgetedIdlePool.Taken<Item> taken = pool.takeLatest(i -> i.bytes);
        assertSame(item, taken.item());
        assertNull(taken.grant());
        pool.keep(item);
        assertEquals(100, pool.releaseIdle());
        assertTrue(item.freed);
    }

    @Test
    void anUnreachablePoolStopsBeingCounted() throws InterruptedException {
        WorkspaceBudget budget = new WorkspaceBudget(1000);
        keepOneItemIn(budget);
        assertEquals(100, budget.idleBytes());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (budget.idleBytes() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(0, budget.idleBytes(), "the cleaner uncounts the collected pool's items");
        assertEquals(0, budget.releaseIdle(), "and the budget no longer asks it");
    }

    private static void keepOneItemIn(WorkspaceBudget budget) {
        pool(1, budget, false).keep(new Item(100));
    }
}
