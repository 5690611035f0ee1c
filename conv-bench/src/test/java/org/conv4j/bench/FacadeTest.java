package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.TransposedShape;
import org.conv4j.internal.LayoutEdge;
import org.conv4j.internal.PreparedForms;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The facade with every backend on the classpath: pinning, autotune mode through its system properties,
 * results identical to the chosen backend's, and the facade as a benchmark contender.
 */
class FacadeTest {

    private static final Tensor4D X = Tensor4D.random(3, 2, 8, 20, 20);
    private static final Tensor4D W = Tensor4D.random(4, 6, 8, 3, 3);
    private static final float[] B = {0.1f, -0.2f, 0.3f, 0f, 1f, 2f};
    private static final ConvParams P = ConvParams.builder().padding(1).build();
    private static final Tensor4D DY = Tensor4D.random(5, 2, 6, 20, 20);

    @AfterEach
    void reset() {
        System.clearProperty(Conv2d.BACKEND_PROPERTY);
        System.clearProperty(Conv2d.AUTOTUNE_PROPERTY);
        Conv2d.setAutotune(null);
        Conv2d.setAutotuneCache(null);
        Conv2d.clearAutotune();
    }

    @Test
    void thePropertyPinsABackendAndAnUnknownNameListsTheAvailableOnes() {
        ConvShape s = ConvShape.forward(X, W, B, P);
        System.setProperty(Conv2d.BACKEND_PROPERTY, "naive");
        ConvPlan plan = Conv2d.plan(s, ConvPass.BACKWARD);
        assertEquals("naive", plan.backend().name());
        assertEquals(ConvPlan.Reason.PINNED, plan.reason());
        assertEquals(Conv2d.backend("naive").forward(X, W, B, P), Conv2d.forward(X, W, B, P));

        System.setProperty(Conv2d.BACKEND_PROPERTY, "cudnn");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.forward(X, W, B, P));
        assertTrue(e.getMessage().startsWith("name: expected one of the available backends [" ), e.getMessage());
        for (ConvBackend b : Conv2d.backends()) {
            assertTrue(e.getMessage().contains(b.name()), e.getMessage());
        }
    }

    @Test
    void withoutPinningTheReferenceIsNotChosenAndThePlanExplainsTheChoice() {
        for (ConvPass pass : ConvPass.values()) {
            ConvPlan plan = Conv2d.plan(ConvShape.forward(X, W, B, P), pass);
            assertEquals(ConvPlan.Reason.ESTIMATED, plan.reason());
            assertTrue(!plan.backend().isReference(), plan.toString());
            ConvShape shape = ConvShape.forward(X, W, B, P);
            long supporting = Conv2d.backends().stream().filter(b -> b.supports(shape, pass.basis())).count();
            assertEquals(supporting, plan.estimatedNanos().size(), plan.toString());
            assertTrue(plan.toString().startsWith(pass.label() + " input [2, 8, 20, 20] * weight [6, 8, 3, 3]"),
                    plan.toString());
        }
    }

    @Test
    void autotuneModeGivesTheChosenBackendsOwnResultsAndPersistsItsDecisions(@TempDir Path dir) throws Exception {
        Path cache = dir.resolve("autotune.txt");
        System.setProperty(Conv2d.AUTOTUNE_PROPERTY, "true");
        Conv2d.setAutotuneCache(cache);
        ConvShape s = ConvShape.forward(X, W, B, P);
        ConvPlan plan = null;
        for (int i = 0; i < 40 && (plan == null || !plan.isSettled()); i++) {
            Conv2d.forward(X, W, B, P);
            Conv2d.backward(X, W, DY, P);
            plan = Conv2d.plan(s, ConvPass.FORWARD);
        }
        assertTrue(plan.isSettled(), plan.toString());
        assertEquals(ConvPlan.Reason.AUTOTUNED, plan.reason());
        assertTrue(!plan.backend().isReference(), plan.toString());
        assertEquals(plan.backend().forward(X, W, B, P), Conv2d.forward(X, W, B, P));
        Tensor4D into = Tensor4D.filled(Float.NaN, 2, 6, 20, 20);
        assertSame(into, Conv2d.forwardInto(X, W, B, P, into));
        assertEquals(plan.backend().forward(X, W, B, P), into);
        String line = "forward " + s + " threads=" + Runtime.getRuntime().availableProcessors() + "\t"
                + plan.backend().name() + "\t";
        List<String> lines = Files.readAllLines(cache);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(line)), lines.toString());
    }

    @Test
    void transposedAndSingleGradientPassesRunOnTheChosenBackend() {
        ConvBackend naive = Conv2d.backend("naive");
        ConvParams up = ConvParams.builder().stride(2).padding(1).outputPadding(1).groups(2).build();
        Tensor4D wt = Tensor4D.random(8, 8, 3, 3, 3);
        Tensor4D y = Conv2d.transposedForward(X, wt, B, up);
        assertEquals(List.of(2, 6, 40, 40), List.of(y.n(), y.c(), y.h(), y.w()));
        assertClose(naive.transposedForward(X, wt, B, up), y);
        Tensor4D dy = Tensor4D.random(9, 2, 6, 40, 40);
        ConvGradients g = Conv2d.transposedBackward(X, wt, dy, up);
        ConvGradients e = naive.transposedBackward(X, wt, dy, up);
        assertClose(e.input(), g.input());
        assertClose(e.weight(), g.weight());
        assertArrayEquals(e.bias(), g.bias(), 1e-3f);
        ConvGradients full = naive.backward(X, W, DY, P);
        assertClose(full.input(), Conv2d.inputGradient(X, W, DY, P));
        assertClose(full.weight(), Conv2d.weightGradient(X, W, DY, P));
    }

    @Test
    void autotuneModeMeasuresTheTransposedAndSingleGradientPassesEachOnItsOwn() {
        Conv2d.setAutotune(true);
        ConvParams up = ConvParams.builder().stride(2).padding(1).outputPadding(1).build();
        Tensor4D wt = Tensor4D.random(8, 8, 6, 3, 3);
        ConvShape conv = TransposedShape.forward(X, wt, B, up).conv();
        ConvShape s = ConvShape.forward(X, W, B, P);
        for (ConvPass pass : List.of(ConvPass.INPUT_GRADIENT, ConvPass.WEIGHT_GRADIENT)) {
            assertEquals(null, Conv2d.autotunedPlan(s, pass), pass + " is not measured before its first call");
        }
        assertEquals(null, Conv2d.autotunedPlan(conv, ConvPass.TRANSPOSED_FORWARD));
        Tensor4D dx = Conv2d.inputGradient(X, W, DY, P);
        Tensor4D dw = Conv2d.weightGradient(X, W, DY, P);
        Tensor4D y = Conv2d.transposedForward(X, wt, B, up);
        ConvGradients g = Conv2d.transposedBackward(X, wt, Tensor4D.random(9, 2, 6, 40, 40), up);
        assertEquals(X.shapeString(), g.input().shapeString());
        assertEquals(null, Conv2d.autotunedPlan(s, ConvPass.BACKWARD), "single gradients do not decide the backward pass");
        for (ConvPass pass : List.of(ConvPass.INPUT_GRADIENT, ConvPass.WEIGHT_GRADIENT, ConvPass.TRANSPOSED_FORWARD,
                ConvPass.TRANSPOSED_BACKWARD)) {
            ConvPlan plan = Conv2d.autotunedPlan(pass.name().startsWith("TRANSPOSED") ? conv : s, pass);
            assertTrue(plan != null && plan.reason() == ConvPlan.Reason.AUTOTUNED, pass + ": " + plan);
            assertTrue(!plan.backend().isReference(), plan.toString());
            assertTrue(plan.toString().startsWith(pass.label() + " "), plan.toString());
            assertTrue(plan.measuredNanos().containsKey(plan.backend().name()), plan.toString());
            assertTrue(!plan.measuredNanos().containsKey("naive"), "the reference is timed only when alone: " + plan);
        }
        ConvBackend naive = Conv2d.backend("naive");
        assertClose(naive.inputGradient(X, W, DY, P), dx);
        assertClose(naive.weightGradient(X, W, DY, P), dw);
        assertClose(naive.transposedForward(X, wt, B, up), y);
    }

    private static void assertClose(Tensor4D expected, Tensor4D actual) {
        assertEquals(expected.shapeString(), actual.shapeString());
        float scale = 0;
        for (float v : expected.data()) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertArrayEquals(expected.data(), actual.data(), 1e-4f * Math.max(1, scale));
    }

    @Test
    void theFacadeIsAContenderInBothModes() {
        List<String> names = Contenders.availableNames();
        assertTrue(names.containsAll(List.of("conv2d", "conv2d-autotune", "naive", "nd4j")), names.toString());
        Problem p = Problem.of(ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1), ConvPass.BACKWARD,
                Problem.DEFAULT_SEED);
        ConvGradients expected = Conv2d.backend("naive").backward(p.input(), p.weight(), p.gradOutput(),
                p.shape().params());
        for (String name : List.of("conv2d", "conv2d-autotune")) {
            Contender.Run run = Contenders.byName(name).prepare(p, ConvPass.BACKWARD);
            for (int i = 0; i < 20; i++) {
                run.run();
            }
            assertArrayEquals(expected.bias(), run.gradients().bias(), 1e-4f, name);
        }
    }

    /**
     * A prepared convolution chooses per form of operands, by timing the candidates on each form's first call: on
     * native NHWC tensors of a pointwise layer a backend that reads them in place, on heap NCHW tensors any
     * non-reference backend that runs the layer; each gives the reference's result.
     */
    @Test
    void aPreparedConvolutionChoosesPerFormOfItsOperands() {
        Tensor4D x = Tensor4D.random(7, 1, 64, 56, 56);
        Tensor4D w = Tensor4D.random(8, 64, 64, 1, 1);
        ConvParams none = ConvParams.builder().build();
        ConvShape shape = ConvShape.forward(x, w, null, none);
        try (org.conv4j.api.PreparedConvolution p = Conv2d.prepareForward(shape, w, null);
             Tensor4D xn = x.toNative(org.conv4j.api.MemoryLayout.NHWC);
             Tensor4D yn = shape.newOutputLike(xn)) {
            assertSame(Conv2d.plan(shape, ConvPass.FORWARD).backend(), p.backend(), "before the first call");
            Tensor4D expected = Conv2d.backend("naive").forward(x, w, null, none);
            p.forwardInto(xn, yn);
            assertTrue(expected.maxAbsDiff(yn.toHeapNchw()) < 1e-4f * Math.max(1f, expected.maxAbs()));
            ConvBackend chosenNative = p.backend();
            assertTrue(chosenNative.name().equals("onednn") || chosenNative.name().equals("im2col"),
                    "a backend that reads native NHWC in place, got " + chosenNative.name());
            Tensor4D y = p.forward(x);
            assertTrue(expected.maxAbsDiff(y) < 1e-4f * Math.max(1f, expected.maxAbs()));
            assertTrue(p.backend().supports(shape, ConvPass.FORWARD) && !p.backend().isReference(),
                    p.backend().name());
            p.forwardInto(xn, yn);
            assertSame(chosenNative, p.backend(), "the native form keeps its choice");
        }
    }

    /**
     * A prepared backward pass chooses per pass and form of its tensors, by timing its candidates (in default and
     * autotune mode alike); pinned, the pinned backend. Every choice gives the reference's gradients.
     */
    /**
     * A forward call on native tensors takes the timed decision of its layer and form (shared with the prepared
     * convolutions), and its result is the decided backend's own call, bit for bit, the first call included.
     */
    @Test
    void aForwardCallOnNativeTensorsRunsTheTimedDecisionOfItsLayerAndForm() {
        Tensor4D x = Tensor4D.random(21, 2, 16, 13, 11); // a geometry no other test uses
        Tensor4D w = Tensor4D.random(22, 24, 16, 1, 1);
        ConvParams p = ConvParams.builder().build();
        ConvShape s = ConvShape.forward(x, w, null, p);
        Tensor4D expected = Conv2d.backend("naive").forward(x, w, null, p);
        try (Tensor4D xn = x.toNative(MemoryLayout.NHWC);
             Tensor4D out = Tensor4D.allocateNative(MemoryLayout.NHWC, 2, 24, 13, 11);
             Tensor4D own = Tensor4D.allocateNative(MemoryLayout.NHWC, 2, 24, 13, 11)) {
            int forms = LayoutEdge.forms(xn, null, out);
            assertNull(PreparedForms.decided(s, ConvPass.FORWARD, forms));
            assertSame(out, Conv2d.forwardInto(xn, w, null, p, out));
            ConvBackend decided = PreparedForms.decided(s, ConvPass.FORWARD, forms);
            assertNotNull(decided, "the first call decides by timing");
            assertTrue(expected.maxAbsDiff(out) < 1e-4f, "" + expected.maxAbsDiff(out));
            decided.forwardInto(xn, w, null, p, own);
            assertEquals(own.toHeapNchw(), out.toHeapNchw(), "the decided backend's own result");
            try (PreparedConvolution prepared = Conv2d.prepareForward(s, w, null)) {
                prepared.forwardInto(xn, own);
                assertSame(decided, prepared.backend(), "a prepared convolution of the layer runs the same backend");
            }
        }
    }

    @Test
    void aPreparedBackwardPassChoosesPerFormOfItsTensors() {
        Tensor4D x = Tensor4D.random(11, 2, 32, 28, 28);
        Tensor4D w = Tensor4D.random(12, 32, 32, 3, 3);
        Tensor4D dy = Tensor4D.random(13, 2, 32, 28, 28);
        ConvShape shape = ConvShape.backward(x, w, dy, P);
        ConvGradients expected = Conv2d.backend("naive").backward(x, w, dy, P);
        for (String mode : List.of("estimated", "pinned", "autotune")) {
            if (mode.equals("pinned")) {
                System.setProperty(Conv2d.BACKEND_PROPERTY, "im2col");
            } else {
                System.clearProperty(Conv2d.BACKEND_PROPERTY);
                Conv2d.setAutotune(mode.equals("autotune"));
            }
            try (org.conv4j.api.PreparedBackward p = Conv2d.prepareBackward(shape, w);
                 Tensor4D xn = x.toNative(org.conv4j.api.MemoryLayout.NHWC);
                 Tensor4D dyn = dy.toNative(org.conv4j.api.MemoryLayout.NHWC)) {
                ConvGradients g = p.backward(xn, dyn);
                assertGradientsClose(expected, g);
                if (mode.equals("pinned")) {
                    assertEquals("im2col", p.backend().name());
                } else {
                    assertTrue(p.backend().supports(shape, ConvPass.BACKWARD) && !p.backend().isReference(),
                            p.backend().name());
                }
                assertGradientsClose(expected, p.backward(x, dy));
                assertClose(expected.input(), p.inputGradient(dyn).toHeapNchw());
                assertClose(expected.weight(), p.weightGradient(xn, dyn));
                g.input().close();
            }
        }
    }

    /** The prepared contender runs the backward pass too, into native NHWC dL/dx, and gives the reference's gradients. */
    @Test
    void thePreparedNativeContenderRunsTheBackwardPass() {
        Problem p = Problem.of(ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1), ConvPass.BACKWARD,
                Problem.DEFAULT_SEED);
        ConvGradients expected = Conv2d.backend("naive").backward(p.input(), p.weight(), p.gradOutput(),
                p.shape().params());
        Contender c = Contenders.byName(NativeContender.PREPARED);
        assertEquals(null, c.skipReason(p.shape(), ConvPass.BACKWARD));
        Contender.Run run = c.prepare(p, ConvPass.BACKWARD);
        for (int i = 0; i < 3; i++) {
            run.run();
        }
        assertTrue(run.gradients().input().isNative(), "dL/dx native NHWC like the input");
        assertGradientsClose(expected, run.gradients());
        run.close(); // the prepared pass and the native tensors, at once
        assertTrue(run.gradients().input().isClosed());
    }

    private static void assertGradientsClose(ConvGradients expected, ConvGradients actual) {
        assertClose(expected.input(), actual.input().toHeapNchw());
        assertClose(expected.weight(), actual.weight().toHeapNchw());
        assertClose(expected.biasTensor(), actual.biasTensor());
    }
}
