package org.conv4j.internal;

import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.spi.AbstractConvBackend;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * 3D geometries go through the same selection and autotune rules as 2D ({@link Selectable.Volume}): the estimate
 * picks among the backends that support the call, a backend without the 3D capability or that declines the call is
 * never timed, the tuner times each candidate once, drops one beyond 1.5x of the best and settles on the fastest;
 * 2D and 3D keys of the same tuner are apart.
 */
class Autotune3dTest {

    private static final long US = 1_000;

    private final FakeClock clock = new FakeClock();

    /** A 3D backend whose i-th call advances the clock by {@code callNanos[i]} and fills the output with its id. */
    private static final class Fake3d extends AbstractConvBackend implements Conv3dBackend {
        private final String name;
        private final double estimate;
        private final boolean supports;
        private final FakeClock clock;
        private final long[] callNanos;
        private final float id;
        final AtomicInteger calls = new AtomicInteger();

        Fake3d(String name, double estimate, boolean supports, FakeClock clock, float id, long... callNanos) {
            this.name = name;
            this.estimate = estimate;
            this.supports = supports;
            this.clock = clock;
            this.id = id;
            this.callNanos = callNanos;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean supports3d(Conv3dShape shape, ConvPass pass) {
            return supports;
        }

        @Override
        public double estimate3dNanos(Conv3dShape shape, ConvPass pass) {
            return estimate;
        }

        @Override
        public Tensor5D forward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias) {
            int call = calls.incrementAndGet() - 1;
            clock.advance(callNanos[Math.min(call, callNanos.length - 1)]);
            Tensor5D y = s.newOutput();
            Arrays.fill(y.data(), id);
            return y;
        }

        @Override
        public Conv3dGradients backward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
            throw new UnsupportedOperationException("not used");
        }

        @Override
        protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
            throw new UnsupportedOperationException("not used");
        }
    }

    private static final Tensor5D X = Tensor5D.zeros(1, 1, 4, 4, 4);
    private static final Tensor5D W = Tensor5D.zeros(1, 1, 1, 1, 1);
    private static final Conv3dShape SHAPE = Conv3dShape.forward(X, W, null, Conv3dParams.DEFAULT);

    private static float run(Autotuner tuner, List<ConvBackend> backends) {
        return tuner.call(backends, new Selectable.Volume(SHAPE), ConvPass.FORWARD,
                b -> ((Conv3dBackend) b).forward3d(SHAPE, X, W, null),
                b -> ((Conv3dBackend) b).forward3d(SHAPE, X, W, null), r -> { }).data()[0];
    }

    @Test
    void theEstimatePicksAmongTheBackendsThatRunTheCall() {
        Fake3d cheap = new Fake3d("a-cheap", 10, true, clock, 1, 1);
        Fake3d dear = new Fake3d("b-dear", 20, true, clock, 2, 1);
        Fake3d declining = new Fake3d("c-declines", 1, false, clock, 3, 1);
        ConvBackend flat = FakeBackend.estimated("d-2d-only", 0.5);
        assertSame(cheap, BackendSelector.best(List.of(flat, dear, declining, cheap), new Selectable.Volume(SHAPE),
                ConvPass.FORWARD));
    }

    @Test
    void autotuneTimesEachCandidateDropsTheSlowOnesAndSettlesOnTheFastest() {
        Fake3d slow = new Fake3d("slow", 10, true, clock, 1, 500 * US, 90 * US);
        Fake3d fast = new Fake3d("fast", 20, true, clock, 2, 500 * US, 20 * US);
        Fake3d declining = new Fake3d("declines", 1, false, clock, 3, 1);
        List<ConvBackend> backends = List.of(slow, fast, declining, FakeBackend.estimated("flat", 1));
        Autotuner tuner = new Autotuner(Autotuner.MAX_ENTRIES, clock);
        assertEquals(2f, run(tuner, backends), "the first call returns the fastest one's result");
        assertEquals(2, slow.calls.get(), "one untimed and one timed call");
        assertEquals(2, fast.calls.get());
        assertEquals(0, declining.calls.get(), "a backend that declines the call is never timed");
        Selectable volume = new Selectable.Volume(SHAPE);
        assertSame(fast, tuner.decided(backends, volume, ConvPass.FORWARD), "4.5x slower: out at once, settled");
        for (int i = 0; i < 5; i++) {
            assertEquals(2f, run(tuner, backends));
        }
        assertEquals(2, slow.calls.get(), "a backend beyond 1.5x of the best is never called again");
        ConvShape flat = ConvShape.forward(Tensor4D.zeros(1, 1, 4, 4), Tensor4D.zeros(1, 1, 1, 1), null,
                ConvParams.DEFAULT);
        assertNull(tuner.decided(backends, flat, ConvPass.FORWARD), "a 2D key is not the 3D one");
        assertNull(tuner.decided(backends, volume, ConvPass.BACKWARD), "nor is another pass");
    }
}
