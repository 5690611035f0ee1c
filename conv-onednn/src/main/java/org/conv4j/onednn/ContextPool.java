package org.conv4j.onednn;

import java.util.ArrayDeque;

/**
 * Idle {@link Context}s, handed to one call at a time. At most {@code maxIdle} are kept (one per processor
 * by default: more calls than processors rarely run at once); a context returned beyond that is freed.
 * Thread-safe.
 */
final class ContextPool {

    private final int maxIdle;
    private final ArrayDeque<Context> idle = new ArrayDeque<>();

    ContextPool(int maxIdle) {
        this.maxIdle = maxIdle;
    }

    /** An idle context (the most recently used, whose buffers are warmest) or a new one. */
    Context acquire() {
        synchronized (this) {
            Context c = idle.pollFirst();
            if (c != null) {
                return c;
            }
        }
        return new Context();
    }

    /** Ends the call of {@code c} and keeps it for reuse, or frees it if enough are idle. */
    void release(Context c) {
        c.endCall();
        synchronized (this) {
            if (idle.size() < maxIdle) {
                idle.addFirst(c);
                return;
            }
        }
        c.close();
    }

    /** Bytes held by idle contexts. */
    synchronized long idleBytes() {
        long sum = 0;
        for (Context c : idle) {
            sum += c.heldBytes();
        }
        return sum;
    }
}
