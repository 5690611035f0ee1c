package org.conv4j.naive;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Concurrently;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The facade's prepared backward pass ({@link Conv2d#prepareBackward}): the calls' gradients in every form, weight
 * changes, close, and its thread-safety contract (separate prepared passes in parallel; one shared pass serialising
 * its calls), in both choice modes.
 */
class PreparedBackwardFacadeTest {

    private static final ConvParams P = ConvParams.builder().stride(2, 1).padding(1, 2, 0, 1).dilation(1, 2).build();
    private static final Tensor4D X = Tensor4D.random(1, 3, 4, 9, 11);
    private static final Tensor4D W = Tensor4D.random(2, 6, 4, 3, 2);
    private static final ConvShape S = ConvShape.forward(X, W, null, P);
    private static final Tensor4D DY = Tensor4D.random(3, 3, 6, S.outH(), S.outW());

    @AfterEach
    void defaultMode() {
        Conv2d.setAutotune(null);
    }

    @Test
    void givesTheCallsGradientsInEveryFormAndInBothModes() {
        for (boolean autotune : new boolean[] {false, true}) {
            Conv2d.setAutotune(autotune);
            ConvGradients e = Conv2d.backward(X, W, DY, P);
            try (PreparedBackward p = Conv2d.prepareBackward(S, W); Tensor4D xn = X.toNative(MemoryLayout.NHWC);
                 Tensor4D dyn = DY.toNative(MemoryLayout.NHWC)) {
                assertEquals(S, p.shape());
                assertSame(Conv2d.backend("naive"), p.backend());
                for (int round = 0; round < 2; round++) {
                    assertGradients(e, p.backward(X, DY));
                    ConvGradients g = p.backward(xn, dyn);
                    assertTrue(g.input().isNative() && g.input().layout() == MemoryLayout.NHWC, "dL/dx like x");
                    assertTrue(g.weight().isHeapNchw(), "dL/dw like the weight");
                    assertGradients(e, g);
                    ConvGradients into = new ConvGradients(Tensor4D.filled(Float.NaN, 3, 4, 9, 11).toLayout(
                            MemoryLayout.NHWC), Tensor4D.filled(Float.NaN, 6, 4, 3, 2).toNative(MemoryLayout.NCHW),
                            new float[6]);
                    assertSame(into, p.backwardInto(xn, DY, into));
                    assertGradients(e, into);
                    Tensor4D dx = p.inputGradient(dyn);
                    assertTrue(dx.isNative() && dx.layout() == MemoryLayout.NHWC, "dL/dx alone like dL/dy");
                    assertEquals(e.input(), dx.toHeapNchw());
                    assertEquals(e.input(), p.inputGradientInto(DY, X.copy()));
                    assertEquals(e.weight(), p.weightGradient(xn, DY));
                    assertEquals(e.weight(), p.weightGradientInto(X, dyn, W.toLayout(MemoryLayout.NHWC))
                            .toHeapNchw());
                }
            }
        }
    }

    @Test
    void setWeightsChangesTheInputGradientAndTheFormOfDw() {
        Tensor4D w = W.copy();
        try (PreparedBackward p = Conv2d.prepareBackward(S, w)) {
            ConvGradients first = p.backward(X, DY);
            w.fill(0f); // a copy was prepared
            assertEquals(first.input(), p.backward(X, DY).input());
            Tensor4D w2 = Tensor4D.random(4, 6, 4, 3, 2).toNative(MemoryLayout.NHWC);
            p.setWeights(w2);
            ConvGradients g = p.backward(X, DY);
            assertEquals(Conv2d.backward(X, w2.toHeapNchw(), DY, P).input(), g.input());
            assertEquals(first.weight(), g.weight().toHeapNchw(), "dL/dw does not depend on the weights");
            assertTrue(g.weight().isNative() && g.weight().layout() == MemoryLayout.NHWC, "dL/dw like the new weight");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.setWeights(Tensor4D.zeros(6, 4, 3, 3)));
            assertTrue(e.getMessage().startsWith("weight: expected the prepared shape [6, 4, 3, 2]"), e.getMessage());
        }
    }

    @Test
    void closeEndsEveryCall() {
        PreparedBackward p = Conv2d.prepareBackward(S, W);
        ConvGradients g = p.backward(X, DY);
        p.close();
        p.close();
        assertThrows(IllegalStateException.class, () -> p.backward(X, DY));
        assertThrows(IllegalStateException.class, () -> p.backwardInto(X, DY, g));
        assertThrows(IllegalStateException.class, () -> p.inputGradient(DY));
        assertThrows(IllegalStateException.class, () -> p.weightGradientInto(X, DY, g.weight()));
        assertThrows(IllegalStateException.class, () -> p.setWeights(W));
        assertThrows(IllegalStateException.class, p::backend);
    }

    /**
     * Four threads at once: each with prepared passes of its own (made, run and closed on the thread), and all on one
     * shared prepared pass; every call gives the serial call's gradients bit for bit.
     */
    @Test
    void concurrentCallsGiveTheSerialGradients() throws Exception {
        ConvGradients serial;
        try (PreparedBackward p = Conv2d.prepareBackward(S, W)) {
            serial = p.backward(X, DY);
        }
        try (PreparedBackward shared = Conv2d.prepareBackward(S, W)) {
            Concurrently.run(4, 2, thread -> {
                for (int i = 0; i < 20; i++) {
                    try (PreparedBackward own = Conv2d.prepareBackward(S, W)) {
                        assertIdentical(serial, own.backward(X, DY));
                    }
                    assertIdentical(serial, shared.backward(X, DY));
                    try (Tensor4D xn = X.toNative(MemoryLayout.NHWC); Tensor4D dyn = DY.toNative(MemoryLayout.NHWC)) {
                        ConvGradients g = shared.backward(xn, dyn);
                        assertIdentical(serial, new ConvGradients(g.input().toHeapNchw(), g.weight(), g.bias()));
                        g.input().close();
                    }
                }
            });
        }
    }

    private static void assertIdentical(ConvGradients expected, ConvGradients actual) {
        assertArrayEquals(expected.input().data(), actual.input().data(), "dL/dx");
        assertArrayEquals(expected.weight().data(), actual.weight().data(), "dL/dw");
        assertArrayEquals(expected.bias(), actual.bias(), "dL/db");
    }

    private static void assertGradients(ConvGradients expected, ConvGradients actual) {
        assertEquals(expected.input(), actual.input().toHeapNchw(), "dL/dx");
        assertEquals(expected.weight(), actual.weight().toHeapNchw(), "dL/dw");
        assertArrayEquals(expected.bias(), actual.bias(), "dL/db");
    }

}
