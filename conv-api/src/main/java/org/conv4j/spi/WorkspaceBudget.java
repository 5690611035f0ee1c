package org.conv4j.spi;

import org.conv4j.api.Settings;
import org.conv4j.api.Workspace;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * A budget of workspace bytes shared by every call in flight: the memory all concurrent calls hold for their
 * intermediate data, on the heap or off it, together with the idle buffers that pools keep for reuse.
 *
 * <p><b>Accounting.</b> The budget counts {@code held = granted + idle}: {@code granted} is the sum of the
 * {@link Grant}s of the calls in flight, {@code idle} the bytes that {@link IdlePool}s keep for reuse (they
 * report them with {@link #addIdle} and {@link #removeIdle}). A call needs between a minimum (its smallest unit
 * of work) and a wanted amount (the plan for its per-call limit, {@link Workspace#defaultLimitBytes()}); it asks
 * {@link #acquire(long, long)} and gets a grant {@code g} with {@code min <= g <= wanted}, then plans its work
 * for {@code g} bytes (smaller grants mean more, smaller pieces) and closes the grant when done.
 *
 * <p><b>Granting.</b> Waiting calls are served strictly in arrival order (FIFO): a call is served only when every
 * call that asked before it has been served, so none starves. The call at the head of the queue, with
 * {@code free = total - held}:
 * <ol>
 *   <li>if {@code free < wanted} and pools hold idle buffers, has the pools free them first (pressure release);</li>
 *   <li>gets {@code min(wanted, free)} if that is at least {@code min};</li>
 *   <li>else, if no grant is held at all, gets {@code min} even beyond the total, so a call whose smallest
 *       piece exceeds the budget still runs (alone) and waiting never deadlocks: the calls holding grants
 *       finish without waiting for anything, and when none is left the head is served;</li>
 *   <li>else waits until a grant is closed or idle memory is released.</li>
 * </ol>
 * A thread that already holds a grant is not queued: it gets {@code min(wanted, free)}, or {@code min} even beyond
 * the total, at once. That is a call's second grant: the heap copies of a conversion at the call's edge
 * ({@code LayoutEdge.staged} in conv-api) hold one while the backend inside asks for its own on the same thread.
 * So {@code held <= total} except while a single oversized minimum runs alone or a nested grant exceeds what is
 * free, and {@link #peakBytes()} records the largest {@code held} seen. No call waits while holding a grant
 * (a holder's further grants are served at once), so every holder finishes and waiting never deadlocks; this
 * needs one rule of the callers: a call takes its grants on its own thread (a task it hands to another thread
 * does not ask for one while the call waits for it), which every conv4j backend follows.
 *
 * <p>The process-wide instance is {@link #global()}, sized by {@value #TOTAL_PROPERTY} (see
 * {@link #defaultTotalBytes()}). Thread-safe.
 */
public final class WorkspaceBudget {

    /** System property: the total bytes of workspace of all concurrent calls, e.g. {@code 512m}, {@code 2g}. */
    public static final String TOTAL_PROPERTY = Settings.WORKSPACE_TOTAL;

    /** JavaCPP's cap on the native memory it allocates (0 means none); by default it equals the max heap. */
    public static final String JAVACPP_MAX_BYTES_PROPERTY = "org.bytedeco.javacpp.maxBytes";

    /**
     * The default total is this fraction of the smaller of the max heap and JavaCPP's native cap: the heap also
     * holds the callers' tensors, and with half of a 1 GiB heap 16 concurrent calls' outputs (26 MB each) plus the
     * FFT's heap spectra did not fit, with a quarter they did (docs/architecture.md, "Memory").
     */
    public static final double DEFAULT_FRACTION = 0.25;

    /** Memory that a pool keeps for reuse and can give back on demand. */
    public interface IdlePool {
        /**
         * Frees every idle buffer (reporting them with {@link #removeIdle}); returns the bytes freed.
         *
         * @return the bytes freed
         */
        long releaseIdle();
    }

    private static volatile WorkspaceBudget global;

    private final long total;
    private final List<IdlePool> pools = new CopyOnWriteArrayList<>();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** The grants each thread holds, so that a holder's further grants are served at once. */
    private final ThreadLocal<AtomicInteger> heldByThread = ThreadLocal.withInitial(AtomicInteger::new);
    private long granted;
    private long idle;
    private long peak;
    private int grants;

    /**
     * A budget of {@code totalBytes}.
     *
     * @param totalBytes the total in bytes
     * @throws IllegalArgumentException if {@code totalBytes < 1}
     */
    public WorkspaceBudget(long totalBytes) {
        if (totalBytes < 1) {
            throw new IllegalArgumentException("workspace total: expected at least 1 byte, got " + totalBytes);
        }
        this.total = totalBytes;
    }

    /**
     * The budget every backend shares, created on first use with {@link #defaultTotalBytes()}.
     *
     * @return the shared budget
     */
    public static WorkspaceBudget global() {
        WorkspaceBudget b = global;
        if (b == null) {
            synchronized (WorkspaceBudget.class) {
                b = global;
                if (b == null) {
                    b = new WorkspaceBudget(defaultTotalBytes());
                    global = b;
                }
            }
        }
        return b;
    }

    /**
     * {@value #TOTAL_PROPERTY} if set; else {@link #DEFAULT_FRACTION} of the smaller of the max heap
     * ({@link Runtime#maxMemory()}) and JavaCPP's native cap ({@value #JAVACPP_MAX_BYTES_PROPERTY}, which
     * JavaCPP sets to the max heap when it is not given), at least {@link Workspace#MIN_LIMIT_BYTES}. A quarter
     * of each, because the workspace may live on either side and the heap also holds the callers' tensors.
     *
     * @return the default total in bytes
     * @throws IllegalArgumentException if the property is set but not a valid size
     */
    public static long defaultTotalBytes() {
        String value = Settings.value(TOTAL_PROPERTY);
        if (value != null) {
            try {
                return Workspace.checkLimit(Workspace.parseBytes(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(TOTAL_PROPERTY + ": " + e.getMessage(), e);
            }
        }
        long heap = Runtime.getRuntime().maxMemory();
        long nativeCap = javacppMaxBytes(heap);
        long base = nativeCap > 0 ? Math.min(heap, nativeCap) : heap;
        return Math.max(Workspace.MIN_LIMIT_BYTES, (long) (base * DEFAULT_FRACTION));
    }

    /** JavaCPP's native cap as its property states it (0 for none), or {@code heap} when unset or unreadable. */
    static long javacppMaxBytes(long heap) {
        String value = System.getProperty(JAVACPP_MAX_BYTES_PROPERTY);
        if (value == null || value.isBlank()) {
            return heap;
        }
        try {
            return Workspace.parseBytes(value);
        } catch (IllegalArgumentException e) {
            return heap;
        }
    }

    /**
     * The total in bytes.
     *
     * @return the total in bytes
     */
    public long totalBytes() {
        return total;
    }

    /**
     * Registers a pool whose idle buffers this budget counts and may release under pressure.
     *
     * @param pool the pool
     */
    public void register(IdlePool pool) {
        pools.add(pool);
    }

    /**
     * Removes a pool registered with {@link #register}.
     *
     * @param pool the pool
     */
    public void unregister(IdlePool pool) {
        pools.remove(pool);
    }

    /**
     * A grant of between {@code minBytes} and {@code wantedBytes} (as described in the class comment), waiting
     * in FIFO order if need be. The caller's interrupt status is kept; the wait itself is not interruptible, so
     * a call never fails for lack of workspace.
     *
     * @param minBytes the least the call can work with
     * @param wantedBytes what the call would use at best
     * @return the grant; close it when done
     * @throws IllegalArgumentException if {@code minBytes < 0} or {@code wantedBytes < minBytes}
     */
    public Grant acquire(long minBytes, long wantedBytes) {
        if (minBytes < 0 || wantedBytes < minBytes) {
            throw new IllegalArgumentException("workspace grant: expected 0 <= min <= wanted, got min " + minBytes
                    + ", wanted " + wantedBytes);
        }
        AtomicInteger mine = heldByThread.get();
        if (mine.get() > 0) {
            synchronized (this) {
                long free = total - granted - idle;
                return hold(free >= minBytes ? Math.min(wantedBytes, free) : minBytes, mine);
            }
        }
        Object ticket = new Object();
        boolean interrupted = false;
        boolean released = false; // at most one pressure release per wake-up
        synchronized (this) {
            queue.addLast(ticket);
        }
        try {
            while (true) {
                boolean release = false;
                synchronized (this) {
                    if (queue.peekFirst() == ticket) {
                        if (!released && idle > 0 && total - granted - idle < wantedBytes && !pools.isEmpty()) {
                            release = true;
                        } else {
                            long bytes = grantable(minBytes, wantedBytes);
                            if (bytes >= 0) {
                                queue.removeFirst();
                                notifyAll(); // the next in line may be servable too
                                return hold(bytes, mine);
                            }
                        }
                    }
                    if (!release) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                        released = false;
                    }
                }
                if (release) {
                    releaseIdle(); // outside the monitor: the pools report back through removeIdle
                    released = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A plan of a call's work and the grant that covers it. {@code planWithin} makes the plan that fits a number
     * of bytes (its smallest unit of work when even that does not fit), {@code bytesOf} says what a plan needs.
     * The wanted plan is the one for {@code limitBytes} (the per-call limit), the minimum the one for 0 bytes;
     * the budget grants {@code g} between them ({@link #acquire}) and the plan returned is the wanted one if
     * {@code g} covers it, else the plan for {@code g}, which needs at most {@code g}.
     *
     * @param <P> the plan type
     * @param planWithin makes the plan that fits a byte count
     * @param bytesOf the bytes a plan needs
     * @param limitBytes the per-call limit
     * @return the plan and its grant
     */
    public <P> Planned<P> acquirePlan(LongFunction<P> planWithin, ToLongFunction<P> bytesOf, long limitBytes) {
        P wanted = planWithin.apply(limitBytes);
        P smallest = planWithin.apply(0);
        long wantedBytes = bytesOf.applyAsLong(wanted);
        long minBytes = Math.min(bytesOf.applyAsLong(smallest), wantedBytes);
        Grant grant = acquire(minBytes, wantedBytes);
        P plan = grant.bytes() >= wantedBytes ? wanted
                : grant.bytes() <= minBytes ? smallest
                : planWithin.apply(grant.bytes());
        return new Planned<>(plan, grant);
    }

    /**
     * A plan and the grant covering it ({@link #acquirePlan}); closing it returns the grant.
     *
     * @param plan  the plan to run
     * @param grant its workspace
     */
    public record Planned<P>(P plan, Grant grant) implements AutoCloseable {
        @Override
        public void close() {
            grant.close();
        }
    }

    /**
     * A grant of exactly {@code bytes} taken over from idle memory (a pool hands an idle buffer to a call):
     * {@code idle} falls and {@code granted} rises by the same amount, so nothing new is counted. Refused
     * ({@code null}) while calls are waiting, so that reuse never overtakes the queue.
     *
     * @param bytes the size of the idle buffer
     * @return the grant, or null
     */
    public synchronized Grant tryTakeIdle(long bytes) {
        if (!queue.isEmpty() || bytes > idle) {
            return null;
        }
        idle -= bytes;
        return hold(bytes, heldByThread.get());
    }

    /**
     * Counts {@code bytes} more idle memory (a pool keeps a buffer that no grant covers).
     *
     * @param bytes the size of the buffer
     */
    public synchronized void addIdle(long bytes) {
        idle += bytes;
        peak = Math.max(peak, granted + idle);
    }

    /**
     * Counts {@code bytes} less idle memory (a pool freed a buffer, or handed it to a grant's holder).
     *
     * @param bytes the size of the buffer
     */
    public synchronized void removeIdle(long bytes) {
        idle -= bytes;
        notifyAll();
    }

    /**
     * Frees the idle buffers of every registered pool ({@link IdlePool#releaseIdle}).
     *
     * @return the bytes freed
     */
    public long releaseIdle() {
        long freed = 0;
        for (IdlePool p : pools) {
            freed += p.releaseIdle();
        }
        return freed;
    }

    /**
     * Bytes granted to calls in flight.
     *
     * @return the granted bytes
     */
    public synchronized long grantedBytes() {
        return granted;
    }

    /**
     * Bytes of idle pooled buffers.
     *
     * @return the idle bytes
     */
    public synchronized long idleBytes() {
        return idle;
    }

    /**
     * The largest {@code granted + idle} seen since creation or {@link #resetPeak()}.
     *
     * @return the peak in bytes
     */
    public synchronized long peakBytes() {
        return peak;
    }

    /** Starts {@link #peakBytes()} again from the current {@code granted + idle}. */
    public synchronized void resetPeak() {
        peak = granted + idle;
    }

    /**
     * Calls waiting for a grant.
     *
     * @return the number of waiting calls
     */
    public synchronized int waiting() {
        return queue.size();
    }

    /** The grant for the head of the queue, or -1 if it must wait. */
    private long grantable(long min, long wanted) {
        long free = total - granted - idle;
        if (free >= min) {
            return Math.min(wanted, free);
        }
        return grants == 0 ? min : -1;
    }

    private Grant hold(long bytes, AtomicInteger holder) {
        granted += bytes;
        grants++;
        peak = Math.max(peak, granted + idle);
        holder.incrementAndGet();
        return new Grant(this, bytes, holder);
    }

    private synchronized void close(Grant g, long keptIdle) {
        granted -= g.bytes;
        grants--;
        g.holder.decrementAndGet();
        idle += keptIdle;
        peak = Math.max(peak, granted + idle);
        notifyAll();
    }

    /**
     * Bytes granted to one call, returned by {@link #close()} (or by {@link #closeKeepingIdle}). Not
     * thread-safe: one call owns it.
     */
    public static final class Grant implements AutoCloseable {
        private final WorkspaceBudget budget;
        private final long bytes;
        /** The grant count of the thread that took it. */
        private final AtomicInteger holder;
        private boolean closed;

        private Grant(WorkspaceBudget budget, long bytes, AtomicInteger holder) {
            this.budget = budget;
            this.bytes = bytes;
            this.holder = holder;
        }

        /**
         * The bytes granted.
         *
         * @return the bytes
         */
        public long bytes() {
            return bytes;
        }

        /** Returns the grant; closing twice has no further effect. */
        @Override
        public void close() {
            closeKeepingIdle(0);
        }

        /**
         * Returns the grant while a pool keeps {@code idleBytes} of it (at most {@link #bytes()}) as an idle
         * buffer, in one step, so the buffer is counted all along.
         *
         * @param idleBytes the bytes the pool keeps
         */
        public void closeKeepingIdle(long idleBytes) {
            if (closed) {
                return;
            }
            if (idleBytes < 0 || idleBytes > bytes) {
                throw new IllegalArgumentException("idleBytes: expected 0 .. " + bytes + ", got " + idleBytes);
            }
            closed = true;
            budget.close(this, idleBytes);
        }
    }
}
