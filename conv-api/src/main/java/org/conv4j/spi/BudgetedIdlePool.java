package org.conv4j.spi;


import java.lang.ref.Cleaner;
import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Idle native resources kept for reuse after a call (conv-openblas's GEMM buffers, conv-onednn's contexts, the
 * memory of closed native tensors), handed to one call at a time, and counted against a {@link WorkspaceBudget}: fresh
 * native memory costs page faults, so what a call used is kept, and the budget must see those bytes to bound the memory of all calls
 * together. This class is the one place that keeps the budget's count of idle memory right:
 * <ul>
 *   <li>an item kept idle counts as idle memory ({@link WorkspaceBudget#addIdle}); kept after a call, its bytes
 *       move from the call's grants to idle memory in one step ({@link WorkspaceBudget.Grant#closeKeepingIdle}),
 *       so they are counted all along;</li>
 *   <li>an item handed to a call stops counting as idle ({@link WorkspaceBudget#removeIdle}), or its bytes move
 *       from idle memory into a grant the call holds ({@link WorkspaceBudget#tryTakeIdle}: the call takes over
 *       memory that is already there instead of asking for new memory);</li>
 *   <li>the budget frees every idle item under pressure ({@link #releaseIdle()}) through a handle that does not keep
 *       the pool alive; a pool that becomes unreachable stops being counted (its items are freed by their own
 *       deallocators).</li>
 * </ul>
 * Without a budget, the same pool just keeps up to {@link #maxIdle()} items.
 *
 * <p>Items are kept most recently returned first (the warmest memory). At most {@link #maxIdle()} are kept; an item
 * returned to a full pool is freed, or, for a pool made with an eviction order, kept while the first idle item in
 * that order is freed (the GEMM buffers keep the largest, which serve the most calls). An item's size
 * ({@code bytesOf}) must not change while it is idle. Thread-safe; items are freed outside the lock.
 *
 * @param <T> the type of the pooled items
 */
public final class BudgetedIdlePool<T> {

    private static final Cleaner CLEANER = Cleaner.create();

    private final int maxIdle;
    private final WorkspaceBudget budget;
    private final ToLongFunction<? super T> bytesOf;
    private final Consumer<? super T> free;
    private final Comparator<? super T> evictFirst;
    /** Most recently returned first. Guarded by {@code this}. */
    private final ArrayDeque<T> idle = new ArrayDeque<>();
    /** Bytes this pool has reported idle to the budget, for the cleanup of an unreachable pool. */
    private final AtomicLong counted = new AtomicLong();

    /**
     * A pool that frees an item returned when {@code maxIdle} are idle already.
     *
     * @param maxIdle the most idle items kept, at least 1
     * @param budget  the budget the idle items count against, or null for none
     * @param bytesOf the bytes of native memory an item holds
     * @param free    frees an item
     * @throws IllegalArgumentException if {@code maxIdle < 1}
     */
    public BudgetedIdlePool(int maxIdle, WorkspaceBudget budget, ToLongFunction<? super T> bytesOf,
                            Consumer<? super T> free) {
        this(maxIdle, budget, bytesOf, free, null);
    }

    /**
     * A pool that keeps an item returned when {@code maxIdle} are idle already and frees the first idle item in
     * {@code evictFirst}'s order instead (null: frees the item returned).
     *
     * @param maxIdle    the most idle items kept, at least 1
     * @param budget     the budget the idle items count against, or null for none
     * @param bytesOf    the bytes of native memory an item holds
     * @param free       frees an item
     * @param evictFirst orders the idle items, the first to be freed first; or null
     * @throws IllegalArgumentException if {@code maxIdle < 1}
     */
    public BudgetedIdlePool(int maxIdle, WorkspaceBudget budget, ToLongFunction<? super T> bytesOf,
                            Consumer<? super T> free, Comparator<? super T> evictFirst) {
        if (maxIdle < 1) {
            throw new IllegalArgumentException("maxIdle: expected >= 1, got " + maxIdle);
        }
        this.maxIdle = maxIdle;
        this.budget = budget;
        this.bytesOf = Objects.requireNonNull(bytesOf, "bytesOf must not be null");
        this.free = Objects.requireNonNull(free, "free must not be null");
        this.evictFirst = evictFirst;
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
    private record Handle(WeakReference<BudgetedIdlePool<?>> pool) implements WorkspaceBudget.IdlePool {
        @Override
        public long releaseIdle() {
            BudgetedIdlePool<?> p = pool.get();
            return p == null ? 0 : p.releaseIdle();
        }
    }

    /**
     * An idle item and the grant it came with.
     *
     * @param item  the item, for the caller's exclusive use until it is {@linkplain #keep kept} again or freed
     * @param grant the grant that took over some or all of the item's bytes from idle memory, or null if none did
     * @param <T> the type of the pooled items
     */
    public record Taken<T>(T item, WorkspaceBudget.Grant grant) {
    }

    /** {@return the most idle items kept} */
    public int maxIdle() {
        return maxIdle;
    }

    /**
     * The smallest idle item of {@code minBytes .. maxBytes} (the most recently returned of equal ones), no longer
     * counted as idle; null if there is none.
     *
     * @param minBytes the fewest bytes the item must hold
     * @param maxBytes the most bytes it may hold
     * @return the item, or null
     */
    public T take(long minBytes, long maxBytes) {
        synchronized (this) {
            T best = smallest(minBytes, maxBytes);
            if (best != null) {
                remove(best);
                uncount(bytesOf.applyAsLong(best));
            }
            return best;
        }
    }

    /**
     * The smallest idle item of at least {@code minBytes}, with a grant of exactly its bytes taken over from idle
     * memory ({@link WorkspaceBudget#tryTakeIdle}); null if there is none, if the pool has no budget, or if the
     * budget refuses (calls are waiting for memory), and then the item stays idle.
     *
     * @param minBytes the fewest bytes the item must hold
     * @return the item and its grant, or null
     */
    public Taken<T> takeOver(long minBytes) {
        if (budget == null) {
            return null;
        }
        synchronized (this) {
            T best = smallest(minBytes, Long.MAX_VALUE);
            if (best == null) {
                return null;
            }
            long bytes = bytesOf.applyAsLong(best);
            WorkspaceBudget.Grant grant = budget.tryTakeIdle(bytes);
            if (grant == null) {
                return null;
            }
            remove(best);
            counted.addAndGet(-bytes);
            return new Taken<>(best, grant);
        }
    }

    /**
     * The most recently returned idle item, no longer counted as idle, of whose bytes {@code takeOverBytes(item)}
     * (if positive, and at most its bytes) move into a grant ({@link WorkspaceBudget#tryTakeIdle}) if the pool has a
     * budget and it agrees; null if no item is idle.
     *
     * @param takeOverBytes the bytes of an item to take over into a grant (0 or less for none)
     * @return the item and the grant (null if none was asked for or the budget refused), or null
     */
    public Taken<T> takeLatest(ToLongFunction<? super T> takeOverBytes) {
        synchronized (this) {
            T item = idle.pollFirst();
            if (item == null) {
                return null;
            }
            long bytes = bytesOf.applyAsLong(item);
            long over = Math.min(takeOverBytes.applyAsLong(item), bytes);
            WorkspaceBudget.Grant grant = budget != null && over > 0 ? budget.tryTakeIdle(over) : null;
            if (grant != null) {
                counted.addAndGet(-over); // tryTakeIdle moved these bytes from idle to granted
                uncount(bytes - over);
            } else {
                uncount(bytes);
            }
            return new Taken<>(item, grant);
        }
    }

    /**
     * Keeps {@code item} for reuse after a call and closes the call's {@code grants}: the item's bytes move from
     * the grants to idle memory in one step ({@link WorkspaceBudget.Grant#closeKeepingIdle}, in the grants' order),
     * any bytes beyond them are counted as idle. If more than {@link #maxIdle()} items would then be idle, the one
     * the pool's order frees (the item itself without an order) is freed.
     *
     * @param item   the item, not used by the caller afterwards
     * @param grants the grants the call holds, each closed here
     */
    public void keep(T item, List<WorkspaceBudget.Grant> grants) {
        T evicted = null;
        boolean kept = true;
        synchronized (this) {
            if (evictFirst == null && idle.size() >= maxIdle) {
                kept = false;
            } else {
                idle.addFirst(item);
                long rest = bytesOf.applyAsLong(item);
                for (WorkspaceBudget.Grant g : grants) {
                    long moved = Math.min(rest, g.bytes());
                    g.closeKeepingIdle(moved);
                    counted.addAndGet(moved);
                    rest -= moved;
                }
                count(rest);
                if (idle.size() > maxIdle) {
                    evicted = first(evictFirst);
                    remove(evicted);
                    uncount(bytesOf.applyAsLong(evicted));
                }
            }
        }
        if (!kept) {
            grants.forEach(WorkspaceBudget.Grant::close);
            free.accept(item);
        } else if (evicted != null) {
            free.accept(evicted);
        }
    }

    /**
     * {@link #keep(Object, List)} for an item that holds no grant.
     *
     * @param item the item, not used by the caller afterwards
     */
    public void keep(T item) {
        keep(item, List.of());
    }

    /**
     * Frees every idle item, reporting them to the budget; the budget calls this under pressure.
     *
     * @return the bytes freed
     */
    public long releaseIdle() {
        List<T> all;
        long bytes = 0;
        synchronized (this) {
            all = new ArrayList<>(idle);
            idle.clear();
            for (T item : all) {
                bytes += bytesOf.applyAsLong(item);
            }
            uncount(bytes);
        }
        all.forEach(free);
        return bytes;
    }

    /**
     * The bytes held by idle items.
     *
     * @return the idle bytes
     */
    public synchronized long idleBytes() {
        long sum = 0;
        for (T item : idle) {
            sum += bytesOf.applyAsLong(item);
        }
        return sum;
    }

    /**
     * The number of idle items.
     *
     * @return the idle count
     */
    public synchronized int idleCount() {
        return idle.size();
    }

    /** The smallest idle item of {@code min .. max} bytes, the most recent of equal ones; caller holds the lock. */
    private T smallest(long min, long max) {
        T best = null;
        long bestBytes = Long.MAX_VALUE;
        for (T item : idle) {
            long b = bytesOf.applyAsLong(item);
            if (b >= min && b <= max && (best == null || b < bestBytes)) {
                best = item;
                bestBytes = b;
            }
        }
        return best;
    }

    /** The first idle item in {@code order}, the least recently returned of equal ones; caller holds the lock. */
    private T first(Comparator<? super T> order) {
        T first = null;
        for (Iterator<T> it = idle.descendingIterator(); it.hasNext(); ) {
            T item = it.next();
            if (first == null || order.compare(item, first) < 0) {
                first = item;
            }
        }
        return first;
    }

    /** Removes {@code item} itself (not an equal one) from the idle items; caller holds the lock. */
    private void remove(T item) {
        for (Iterator<T> it = idle.iterator(); it.hasNext(); ) {
            if (it.next() == item) {
                it.remove();
                return;
            }
        }
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
