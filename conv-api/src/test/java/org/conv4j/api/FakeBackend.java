package org.conv4j.api;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for selection tests: a fixed estimate, a fixed support answer, a fixed run time, and a
 * count of its calls. Its "convolution" returns a tensor filled with its own id, so a test can tell whose
 * result it got.
 */
final class FakeBackend extends AbstractConvBackend {
    final String name;
    final double estimate;
    final boolean supports;
    final boolean reference;
    final long runNanos;
    final float id;
    final AtomicInteger calls = new AtomicInteger();

    FakeBackend(String name, double estimate, boolean supports, boolean reference, long runNanos, float id) {
        this.name = name;
        this.estimate = estimate;
        this.supports = supports;
        this.reference = reference;
        this.runNanos = runNanos;
        this.id = id;
    }

    static FakeBackend estimated(String name, double estimate) {
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
        calls.incrementAndGet();
        long end = System.nanoTime() + runNanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        java.util.Arrays.fill(output.data(), id);
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        throw new UnsupportedOperationException("not used");
    }
}
