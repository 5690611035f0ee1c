package org.conv4j.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A nanosecond clock that moves only when told to ({@link FakeBackend#clocked}), and counts its reads. */
final class FakeClock implements LongSupplier {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public long getAsLong() {
        reads.incrementAndGet();
        return now.get();
    }

    /** The time now, without counting it as a read. */
    long now() {
        return now.get();
    }

    void advance(long nanos) {
        now.addAndGet(nanos);
    }
}
