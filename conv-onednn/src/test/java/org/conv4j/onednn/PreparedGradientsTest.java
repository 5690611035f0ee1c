package org.conv4j.onednn;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.PreparedBackwardCalls;
import org.conv4j.testkit.Agreement;
import org.conv4j.testkit.Concurrently;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * onednn's prepared backward pass ({@link PreparedGradients}) against the reference in every storage and layout,
 * across weight changes, in place on native tensors, on several threads, and the geometries it leaves to unprepared
 * calls.
 */
class PreparedGradientsTest {

    private final OnednnBackend onednn = new OnednnBackend();

    /** A ResNet-like 3x3 stride-1 layer, where the backward primitives take nhwc activations. */
    private static final ConvParams SAME = ConvParams.builder().padding(1).build();

    @Test
    void everyEdgeCaseAgreesWithTheReferenceInEveryStorage() {
        for (ConvCase c : ConvCases.edgeCases()) {
            Tensor4D x = c.input();
            Tensor4D w = c.weight();
            Tensor4D dy = c.gradOutput();
            ConvGradients e = Conv2d.backend("naive").backward(x, w, dy, c.params());
            try (PreparedBackward p = onednn.prepareBackward(c.shape(), w.toNative(MemoryLayout.NHWC))) {
                for (int round = 0; round < 2; round++) { // the second call reuses what the first prepared
                    for (int kind = 0; kind < 4; kind++) {
                        MemoryLayout layout = kind % 2 == 0 ? MemoryLayout.NCHW : MemoryLayout.NHWC;
                        String context = c + ", " + (kind < 2 ? "heap " : "native ") + layout;
                        try (Tensor4D xs = kind < 2 ? x.toLayout(layout) : x.toNative(layout);
                             Tensor4D dys = kind < 2 ? dy.toLayout(layout) : dy.toNative(layout)) {
                            ConvGradients g = p.backward(xs, dys);
                            assertEquals(layout, g.input().layout(), context);
                            assertEquals(kind >= 2, g.input().isNative(), context);
                            assertTrue(g.weight().isNative() && g.weight().layout() == MemoryLayout.NHWC,
                                    "dL/dw like the weight given, " + context);
                            check(e, g, x, w, dy, context);
                            check("dL/dx alone", e.input(), p.inputGradient(dys), dy, w, context);
                            check("dL/dw alone", e.weight(), p.weightGradient(xs, dys), dy, x, context);
                        }
                    }
                }
            }
        }
    }

    @Test
    void nativeNhwcTensorsAreReadAndWrittenInPlace() {
        Tensor4D x = Tensor4D.random(1, 2, 16, 12, 12);
        Tensor4D w = Tensor4D.random(2, 16, 16, 3, 3);
        Tensor4D dy = Tensor4D.random(3, 2, 16, 12, 12);
        ConvShape s = ConvShape.backward(x, w, dy, SAME);
        // the primitives of this layer take nhwc activations: nothing of x, dL/dy or dL/dx is reordered
        BackwardPlan plan = OnednnBackend.backwardPlan(ConvPass.BACKWARD,
                Geometry.of(s, s.batch(), true, MemoryLayout.NHWC));
        assertTrue(plan.src.identity() && plan.diffDst.identity() && plan.diffSrc.identity()
                && plan.diffDstForWeights == null, plan.implementation);
        ConvGradients e = Conv2d.backend("naive").backward(x, w, dy, SAME);
        try (PreparedGradients p = (PreparedGradients) onednn.prepareBackward(s, w);
             Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC);
             Tensor4D dxn = Tensor4D.allocateNative(MemoryLayout.NHWC, 2, 16, 12, 12)) {
            ConvGradients into = new ConvGradients(dxn, s.newWeight(), new float[16]);
            for (int round = 0; round < 3; round++) {
                dxn.fill(Float.NaN);
                assertSame(into, p.backwardInto(xn, dyn, into));
                check(e, into, x, w, dy, "round " + round);
            }
            assertEquals(List.of("BACKWARD NHWC"), p.slotNames(), "the native NHWC call ran on its in-place slot");
        }
    }

    /** A dL/dx that shares memory with the input is not written in place (oneDNN would overwrite what it reads). */
    @Test
    void anInputGradientOverlappingTheInputIsNotRunInPlace() {
        Tensor4D x = Tensor4D.random(4, 1, 8, 9, 9);
        Tensor4D w = Tensor4D.random(5, 8, 8, 3, 3);
        Tensor4D dy = Tensor4D.random(6, 1, 8, 9, 9);
        ConvGradients e = Conv2d.backend("naive").backward(x, w, dy, SAME);
        try (PreparedGradients p = (PreparedGradients) onednn.prepareBackward(ConvShape.backward(x, w, dy, SAME), w);
             Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC)) {
            ConvGradients into = new ConvGradients(xn, w.copy(), new float[8]); // dL/dx written over x
            p.backwardInto(xn, dyn, into);
            check(e, into, x, w, dy, "dL/dx into the input");
            assertEquals(List.of("BACKWARD NCHW"), p.slotNames(), "through heap copies");
        }
    }

    @Test
    void setWeightsChangesOnlyTheInputGradientAndCloseEndsIt() {
        Tensor4D x = Tensor4D.random(7, 2, 8, 10, 10);
        Tensor4D w1 = Tensor4D.random(8, 16, 8, 3, 3);
        Tensor4D w2 = Tensor4D.random(9, 16, 8, 3, 3);
        Tensor4D dy = Tensor4D.random(10, 2, 16, 10, 10);
        ConvShape s = ConvShape.backward(x, w1, dy, SAME);
        Tensor4D w1Copy = w1.copy();
        PreparedBackward p = onednn.prepareBackward(s, w1);
        assertInstanceOf(PreparedGradients.class, p);
        assertSame(onednn, p.backend());
        try (Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC)) {
            check(Conv2d.backend("naive").backward(x, w1, dy, SAME), p.backward(xn, dyn), x, w1, dy, "first");
            w1.fill(0f); // the prepared weights are a copy: no effect until setWeights
            check(Conv2d.backend("naive").backward(x, w1Copy, dy, SAME), p.backward(xn, dyn), x, w1Copy, dy,
                    "the weights as prepared");
            p.setWeights(w2);
            ConvGradients e2 = Conv2d.backend("naive").backward(x, w2, dy, SAME);
            check(e2, p.backward(x, dy), x, w2, dy, "second weights, heap");
            check(e2, p.backward(xn, dyn), x, w2, dy, "second weights, native NHWC");
            check("dL/dx alone", e2.input(), p.inputGradient(dyn), dy, w2, "second weights");
            // a NaN weight: dL/dx from the unprepared path's repairs, then back to the prepared path
            Tensor4D bad = w2.copy();
            bad.set(3, 2, 1, 1, Float.NaN);
            p.setWeights(bad);
            check(Conv2d.backend("naive").backward(x, bad, dy, SAME), p.backward(xn, dyn), x, bad, dy, "NaN weight");
            p.setWeights(w2);
            check(e2, p.backward(xn, dyn), x, w2, dy, "finite again");
        }
        p.close();
        p.close();
        assertThrows(IllegalStateException.class, () -> p.backward(x, dy));
        assertThrows(IllegalStateException.class, () -> p.setWeights(w2));
    }

    @Test
    void geometriesItCannotPrepareRunAsUnpreparedCalls() {
        Tensor4D x = Tensor4D.random(11, 8, 16, 12, 12);
        Tensor4D w = Tensor4D.random(12, 16, 16, 3, 3);
        Tensor4D dy = Tensor4D.random(13, 8, 16, 12, 12);
        ConvShape s = ConvShape.backward(x, w, dy, SAME);
        // a batch in more than one part under the smallest workspace limit
        OnednnBackend bounded = new OnednnBackend(Workspace.MIN_LIMIT_BYTES);
        assertTrue(bounded.imagesPerPart(s, ConvPass.BACKWARD, true) < s.batch());
        try (PreparedBackward p = bounded.prepareBackward(s, w); Tensor4D xn = x.toNative(MemoryLayout.NHWC);
             Tensor4D dyn = dy.toNative(MemoryLayout.NHWC)) {
            assertInstanceOf(PreparedBackwardCalls.class, p);
            check(Conv2d.backend("naive").backward(x, w, dy, SAME), p.backward(xn, dyn), x, w, dy, "in parts");
        }
        // reflected padding (padded by copying first) and an output wholly in the padding (padded explicitly)
        for (ConvParams params : List.of(ConvParams.builder().padding(1).paddingMode(
                org.conv4j.api.PaddingMode.REFLECT).build(), ConvParams.builder().padding(0, 0, 3, 0).build())) {
            Tensor4D x1 = Tensor4D.random(14, 1, 2, 5, 5);
            Tensor4D w1 = Tensor4D.random(15, 3, 2, 3, 3);
            Tensor4D dy1 = Tensor4D.random(16, 1, 3, ConvShape.forward(x1, w1, null, params).outH(),
                    ConvShape.forward(x1, w1, null, params).outW());
            try (PreparedBackward p = onednn.prepareBackward(ConvShape.backward(x1, w1, dy1, params), w1)) {
                assertInstanceOf(PreparedBackwardCalls.class, p, params.toString());
                check(Conv2d.backend("naive").backward(x1, w1, dy1, params), p.backward(x1, dy1), x1, w1, dy1,
                        params.toString());
            }
        }
    }

    /**
     * Four threads, each with a prepared pass of its own on native NHWC tensors, give the serial gradients bit for
     * bit; so do four threads sharing one prepared pass (their calls run one at a time).
     */
    @Test
    void concurrentCallsGiveTheSerialGradients() throws Exception {
        Tensor4D x = Tensor4D.random(17, 2, 16, 14, 14);
        Tensor4D w = Tensor4D.random(18, 32, 16, 3, 3);
        Tensor4D dy = Tensor4D.random(19, 2, 32, 14, 14);
        ConvShape s = ConvShape.backward(x, w, dy, SAME);
        float[][] serial;
        try (PreparedBackward p = onednn.prepareBackward(s, w)) {
            serial = nativeGradients(p, x, dy);
        }
        try (PreparedBackward shared = onednn.prepareBackward(s, w)) {
            Concurrently.run(4, 5, thread -> {
                try (PreparedBackward own = onednn.prepareBackward(s, w)) {
                    for (int i = 0; i < 5; i++) {
                        assertSameGradients(serial, nativeGradients(own, x, dy));
                        assertSameGradients(serial, nativeGradients(shared, x, dy));
                    }
                }
            });
        }
    }

    private static float[][] nativeGradients(PreparedBackward p, Tensor4D x, Tensor4D dy) {
        try (Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC)) {
            ConvGradients g = p.backward(xn, dyn);
            float[][] out = {g.input().toHeapNchw().data(), g.weight().toHeapNchw().data(), g.bias(),
                    p.inputGradient(dyn).toHeapNchw().data(), p.weightGradient(xn, dyn).toHeapNchw().data()};
            g.input().close();
            return out;
        }
    }

    private static void assertSameGradients(float[][] expected, float[][] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], actual[i], "result " + i + " (dx, dw, db, dx alone, dw alone)");
        }
    }

    private static void check(ConvGradients e, ConvGradients g, Tensor4D x, Tensor4D w, Tensor4D dy, String context) {
        check("dL/dx", e.input(), g.input(), dy, w, context);
        check("dL/dw", e.weight(), g.weight(), dy, x, context);
        Agreement.assertAgrees("dL/db", context, e.biasTensor(), g.biasTensor(), OnednnBackend.TOLERANCE,
                Agreement.maxFiniteAbs(dy));
    }

    private static void check(String what, Tensor4D expected, Tensor4D actual, Tensor4D a, Tensor4D b,
                              String context) {
        Agreement.assertAgrees(what, context, expected, actual, OnednnBackend.TOLERANCE,
                Agreement.maxFiniteAbs(a) * Agreement.maxFiniteAbs(b));
    }
}
