package org.conv4j.internal;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for selection tests: a fixed estimate, a fixed support answer, a run time, and a count of its
 * calls. Its "convolution" returns a tensor filled with its own id, so a test can tell whose result it got.
 * A clocked one spends no real time: each call advances a {@link FakeClock} by the next of its call times
 * (the last one repeats), so that autotune tests are deterministic. Public for the facade's tests in
 * {@code org.conv4j.api}.
 */
public final class FakeBackend extends AbstractConvBackend {
    final String name;
    final double estimate;
    final boolean supports;
    final boolean reference;
    final long runNanos;
    final float id;
    final AtomicInteger calls = new AtomicInteger();
    private final FakeClock clock;
    private final long[] callNanos;
    private final boolean declines;

    FakeBackend(String name, double estimate, boolean supports, boolean reference, long runNanos, float id) {
        this(name, estimate, supports, reference, runNanos, id, null, new long[0], false);
    }

    private FakeBackend(String name, double estimate, boolean supports, boolean reference, long runNanos, float id,
                        FakeClock clock, long[] callNanos, boolean declines) {
        this.name = name;
        this.estimate = estimate;
        this.supports = supports;
        this.reference = reference;
        this.runNanos = runNanos;
        this.id = id;
        this.clock = clock;
        this.callNanos = callNanos;
        this.declines = declines;
    }

    /** A backend whose i-th call advances {@code clock} by {@code callNanos[i]} (the last repeats). */
    static FakeBackend clocked(String name, FakeClock clock, float id, long... callNanos) {
        return new FakeBackend(name, Double.NaN, true, false, 0, id, clock, callNanos.clone(), false);
    }

    /** As {@link #clocked} with an estimate. */
    static FakeBackend clocked(String name, double estimate, FakeClock clock, float id, long... callNanos) {
        return new FakeBackend(name, estimate, true, false, 0, id, clock, callNanos.clone(), false);
    }

    /** A backend that says it supports every shape but throws {@link UnsupportedOperationException} when called. */
    static FakeBackend declining(String name, FakeClock clock) {
        return new FakeBackend(name, Double.NaN, true, false, 0, 0, clock, new long[] {1}, true);
    }

    /**
     * A backend with this estimate that supports every shape.
     *
     * @param name its name
     * @param estimate its estimate in ns for every call
     * @return the backend
     */
    public static FakeBackend estimated(String name, double estimate) {
        return new FakeBackend(name, estimate, true, false, 0, 0);
    }

    static FakeBackend timed(String name, long runMillis, float id) {
        return new FakeBackend(name, Double.NaN, true, false, runMillis * 1_000_000L, id);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean supports(ConvShape shape, ConvPass pass) {
        return supports;
    }

    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        return estimate;
    }

    @Override
    public boolean isReference() {
        return reference;
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        int call = calls.incrementAndGet() - 1;
        if (clock != null) {
            clock.advance(callNanos[Math.min(call, callNanos.length - 1)]);
            if (declines) {
                throw new UnsupportedOperationException(name + " declines " + s);
            }
        } else {
            long end = System.nanoTime() + runNanos;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
        java.util.Arrays.fill(output.data(), id);
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        throw new UnsupportedOperationException("not used");
    }
}
