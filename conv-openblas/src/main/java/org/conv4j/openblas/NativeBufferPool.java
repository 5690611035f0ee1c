package org.conv4j.openblas;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reusable {@link NativeFloats}, handed to one caller at a time: concurrent callers each get their own
 * buffer, so reuse never shares memory between two calls in flight, and a buffer released by one call is
 * reused by the next (allocating and freeing hundreds of MiB of native memory per call costs page faults).
 *
 * <p>Sizes are rounded up to a multiple of {@value #GRANULE_FLOATS} floats (1 MiB) so that calls of
 * slightly different sizes reuse each other's buffers. At most {@link #maxIdle()} idle buffers are kept;
 * releasing one more frees the smallest. Thread-safe.
 */
public final class NativeBufferPool {

    /** Allocation granule: 2^18 floats = 1 MiB. */
    public static final int GRANULE_FLOATS = 1 << 18;

    private final int maxIdle;
    private final List<NativeFloats> idle = new ArrayList<>();

    /** A pool keeping up to {@code maxIdle} idle buffers (at least 1). */
    public NativeBufferPool(int maxIdle) {
        if (maxIdle < 1) {
            throw new IllegalArgumentException("maxIdle: expected >= 1, got " + maxIdle);
        }
        this.maxIdle = maxIdle;
    }

    /** A pool keeping one idle buffer per available processor. */
    public NativeBufferPool() {
        this(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    public int maxIdle() {
        return maxIdle;
    }

    /**
     * A buffer of at least {@code floats} capacity, for the caller's exclusive use until
     * {@link #release}: the smallest idle one that fits, or a new one.
     */
    public NativeFloats acquire(long floats) {
        if (floats < 1 || floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("floats: expected 1 .. " + Integer.MAX_VALUE + ", got " + floats);
        }
        synchronized (this) {
            NativeFloats best = null;
            for (NativeFloats b : idle) {
                if (b.capacity() >= floats && (best == null || b.capacity() < best.capacity())) {
                    best = b;
                }
            }
            if (best != null) {
                idle.remove(best);
                return best;
            }
        }
        long rounded = (floats + GRANULE_FLOATS - 1) / GRANULE_FLOATS * GRANULE_FLOATS;
        return NativeFloats.allocate((int) Math.min(rounded, NativeFloats.MAX_CAPACITY));
    }

    /**
     * Runs {@code work} on a buffer of at least {@code floats} capacity ({@link #acquire}) and releases it
     * afterwards, also when {@code work} throws.
     */
    public void use(long floats, Consumer<NativeFloats> work) {
        NativeFloats buffer = acquire(floats);
        try {
            work.accept(buffer);
        } finally {
            release(buffer);
        }
    }

    /** Returns {@code buffer} for reuse (it must not be used by the caller afterwards). */
    public void release(NativeFloats buffer) {
        if (buffer == null) {
            return;
        }
        NativeFloats evicted = null;
        synchronized (this) {
            idle.add(buffer);
            if (idle.size() > maxIdle) {
                evicted = idle.stream().min(Comparator.comparingInt(NativeFloats::capacity)).orElseThrow();
                idle.remove(evicted);
            }
        }
        if (evicted != null) {
            evicted.close();
        }
    }

    /** Frees every idle buffer. */
    public void clear() {
        List<NativeFloats> all;
        synchronized (this) {
            all = new ArrayList<>(idle);
            idle.clear();
        }
        all.forEach(NativeFloats::close);
    }

    /** Bytes held by idle buffers. */
    public synchronized long idleBytes() {
        long sum = 0;
        for (NativeFloats b : idle) {
            sum += b.bytes();
        }
        return sum;
    }
}
