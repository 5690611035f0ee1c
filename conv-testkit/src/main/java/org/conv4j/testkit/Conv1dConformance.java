package org.conv4j.testkit;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv1dGradients;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor3D;
import org.conv4j.testkit.ConvBackendConformance.BadInput;
import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 1D part of the conformance kit ({@link ConvBackendConformance} runs it for every backend): each backend's
 * 2D passes, reached through {@link Conv1d#on(ConvBackend)} as convolutions of height 1, agree with the kit's own
 * 1D reference ({@link Conv1dReference}) within the backend's tolerance (see {@link Agreement}); forward,
 * {@code forwardInto} a NaN-filled output, backward, both single gradients and the transposed passes; in every
 * storage and layout; with non-finite values, which reach exactly the outputs whose window holds them; and bad
 * input is rejected with a message naming the argument with the expected and actual value.
 */
final class Conv1dConformance {

    private final Conv1d.OnBackend conv;
    private final float tolerance;

    Conv1dConformance(ConvBackend backend, float tolerance) {
        this.conv = Conv1d.on(backend);
        this.tolerance = tolerance;
    }

    private static float max(Tensor3D t) {
        return Agreement.maxFiniteAbs(t.asTensor4D());
    }

    private void assertAgrees(String what, Object context, Tensor3D expected, Tensor3D actual, float term) {
        if (actual == null) {
            fail(what + " is null for " + context);
        }
        Agreement.assertAgrees("1D " + what, context, expected.asTensor4D(), actual.asTensor4D(), tolerance, term);
    }

    /** The three gradients; each one's scale is at least its largest single term (as in the 2D kit). */
    private void assertGradientsAgree(Object context, Tensor3D x, Tensor3D w, Tensor3D dy, Conv1dGradients expected,
                                      Conv1dGradients actual) {
        float gy = max(dy);
        assertAgrees("dL/dx", context, expected.input(), actual.input(), gy * max(w));
        assertAgrees("dL/dw", context, expected.weight(), actual.weight(), gy * max(x));
        assertAgrees("dL/db", context, expected.biasTensor(), actual.biasTensor(), gy);
    }

    // ---------------------------------------------------------------- agreement

    Stream<DynamicTest> agreement(long seed, int sweep) {
        List<Conv1dCase> cases = new ArrayList<>(Conv1dCases.edgeCases());
        cases.addAll(Conv1dCases.paddingModeCases());
        cases.addAll(Conv1dCases.sweep(seed, sweep));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkAgreement(c)));
    }

    private void checkAgreement(Conv1dCase c) {
        Tensor3D x = c.input();
        Tensor3D w = c.weight();
        float[] b = c.bias();
        Tensor3D dy = c.gradOutput();
        Conv1dParams p = c.params();
        Tensor3D expected = Conv1dReference.forward(x, w, b, p);
        float term = max(x) * max(w);
        assertAgrees("forward", c, expected, conv.forward(x, w, b, p), term);
        Tensor3D out = Tensor3D.filled(Float.NaN, expected.n(), expected.c(), expected.w());
        assertSame(out, conv.forwardInto(x, w, b, p, out), "forwardInto must return its output, for " + c);
        assertAgrees("forwardInto (NaN-filled output)", c, expected, out, term);
        Conv1dGradients e = Conv1dReference.backward(x, w, dy, p);
        assertGradientsAgree(c, x, w, dy, e, conv.backward(x, w, dy, p));
        float gy = max(dy);
        assertAgrees("inputGradient", c, e.input(), conv.inputGradient(x, w, dy, p), gy * max(w));
        assertAgrees("weightGradient", c, e.weight(), conv.weightGradient(x, w, dy, p), gy * max(x));
        assertEquals(c.input(), x, "input was modified for " + c);
        assertEquals(c.weight(), w, "weight was modified for " + c);
        assertEquals(c.gradOutput(), dy, "gradOutput was modified for " + c);
        assertArrayEquals(c.bias(), b, "bias was modified for " + c);
    }

    // ---------------------------------------------------------------- transposed

    Stream<DynamicTest> transposed(long seed, int sweep) {
        List<Conv1dCase> cases = new ArrayList<>(Conv1dCases.transposedCases());
        SplittableRandom r = new SplittableRandom(seed);
        for (Conv1dCase c : Conv1dCases.sweep(seed, sweep)) {
            Conv1dParams q = c.params();
            Conv1dCase t = new Conv1dCase("transposed " + c.label(), c.seed(), c.n(), c.c(), c.w(), c.k(), c.kw(),
                    q.toBuilder().outputPadding(r.nextInt(Math.max(q.stride(), q.dilation()))).build(), c.hasBias());
            if ((c.w() - 1) * q.stride() - q.padLeft() - q.padRight() + (c.kw() - 1) * q.dilation() + 1 >= 1) {
                cases.add(t); // some output is reached by the input
            }
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkTransposed(c)));
    }

    private void checkTransposed(Conv1dCase c) {
        Tensor3D x = c.input();
        Tensor3D w = c.transposedWeight();
        float[] b = c.bias();
        Tensor3D dy = c.transposedGradOutput();
        Conv1dParams p = c.params();
        assertAgrees("transposed forward", c, Conv1dReference.transposedForward(x, w, b, p, c.transposedOutW()),
                conv.transposedForward(x, w, b, p), max(x) * max(w));
        assertGradientsAgree("transposed " + c, x, w, dy, Conv1dReference.transposedBackward(x, w, dy, p),
                conv.transposedBackward(x, w, dy, p));
        assertEquals(c.input(), x, "input was modified by a transposed pass for " + c);
        assertEquals(c.transposedWeight(), w, "weight was modified by a transposed pass for " + c);
    }

    // ---------------------------------------------------------------- storages and layouts

    private static final List<String> STORAGES = List.of("heap NCW", "heap NWC", "native NCW", "native NWC");

    /** {@code t} in the combination {@code STORAGES.get(kind)}: itself for heap NCW, else a copy. */
    private static Tensor3D as(int kind, Tensor3D t) {
        MemoryLayout layout = kind % 2 == 0 ? Tensor3D.NCW : Tensor3D.NWC;
        return kind < 2 ? t.toLayout(layout) : t.toNative(layout);
    }

    /**
     * Every edge case with its input in each storage and layout, weight, dL/dy and output drawn from them at
     * random (seeded): forward, {@code forwardInto}, backward, the single gradients and (with the transposed
     * weight) the transposed passes agree with the reference, and each result takes its operand's storage and
     * layout, as in 2D.
     */
    Stream<DynamicTest> storages(long seed) {
        List<DynamicTest> tests = new ArrayList<>();
        Random random = new Random(seed);
        for (Conv1dCase c : Conv1dCases.edgeCases()) {
            for (int kind = 0; kind < STORAGES.size(); kind++) {
                int[] kinds = {kind, random.nextInt(4), random.nextInt(4), random.nextInt(4)};
                tests.add(DynamicTest.dynamicTest(STORAGES.get(kind) + " input, " + c, () -> checkStorages(c, kinds)));
            }
        }
        return tests.stream();
    }

    private void checkStorages(Conv1dCase c, int[] kinds) {
        Tensor3D x = c.input();
        Tensor3D w = c.weight();
        float[] b = c.bias();
        Tensor3D dy = c.gradOutput();
        Conv1dParams p = c.params();
        String context = c + " (input " + STORAGES.get(kinds[0]) + ", weight " + STORAGES.get(kinds[1])
                + ", dL/dy " + STORAGES.get(kinds[2]) + ", output " + STORAGES.get(kinds[3]) + ")";
        try (Tensor3D xs = as(kinds[0], x); Tensor3D ws = as(kinds[1], w); Tensor3D dys = as(kinds[2], dy)) {
            Tensor3D expected = Conv1dReference.forward(x, w, b, p);
            float term = max(x) * max(w);
            Tensor3D y = conv.forward(xs, ws, b, p);
            assertAgrees("forward", context, expected, y, term);
            assertLike(xs, y, "forward output", context);
            try (Tensor3D out = as(kinds[3], Tensor3D.filled(Float.NaN, expected.n(), expected.c(), expected.w()))) {
                assertSame(out, conv.forwardInto(xs, ws, b, p, out), "forwardInto must return its output, " + context);
                assertAgrees("forwardInto", context, expected, out, term);
            }
            Conv1dGradients e = Conv1dReference.backward(x, w, dy, p);
            Conv1dGradients g = conv.backward(xs, ws, dys, p);
            assertGradientsAgree(context, x, w, dy, e, g);
            assertLike(xs, g.input(), "dL/dx", context);
            assertLike(ws, g.weight(), "dL/dw", context);
            float gy = max(dy);
            Tensor3D dx = conv.inputGradient(xs, ws, dys, p);
            assertAgrees("inputGradient", context, e.input(), dx, gy * max(w));
            assertLike(xs, dx, "inputGradient", context);
            Tensor3D dw = conv.weightGradient(xs, ws, dys, p);
            assertAgrees("weightGradient", context, e.weight(), dw, gy * max(x));
            assertLike(ws, dw, "weightGradient", context);
            closeAll(y, g.input(), g.weight(), dx, dw);
            assertEquals(x, xs, "input was modified for " + context);
        }
    }

    private static void assertLike(Tensor3D operand, Tensor3D result, String what, String context) {
        assertEquals(operand.layout(), result.layout(), what + ": layout, for " + context);
        assertEquals(operand.isNative(), result.isNative(), what + ": native storage, for " + context);
    }

    private static void closeAll(Tensor3D... tensors) {
        for (Tensor3D t : tensors) {
            t.close();
        }
    }

    // ---------------------------------------------------------------- non-finite locality

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    private static Conv1dParams.Builder p() {
        return Conv1dParams.builder();
    }

    /**
     * A NaN or infinity in the input reaches exactly the outputs whose window holds it (computed from the
     * geometry with {@link org.conv4j.api.ConvAxis#outputFor}); forward and backward, also with the value in the
     * weight or in dL/dy, agree with the reference.
     */
    Stream<DynamicTest> nonFinite() {
        List<Conv1dCase> cases = List.of(
                new Conv1dCase("1D locality, padded", 171, 2, 3, 19, 4, 3, p().padding(1, 2).build(), true),
                new Conv1dCase("1D locality, stride 3 > kernel 2", 172, 1, 2, 23, 3, 2, p().stride(3).build(), false),
                new Conv1dCase("1D locality, dilated", 173, 1, 2, 24, 2, 3, p().dilation(3).padding(2).build(), true),
                new Conv1dCase("1D locality, groups 2", 174, 2, 4, 16, 4, 3, p().groups(2).padding(1).build(), true),
                new Conv1dCase("1D locality, large kernel", 175, 1, 2, 48, 2, 9, p().padding(4).build(), false));
        List<DynamicTest> tests = new ArrayList<>();
        for (Conv1dCase c : cases) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " in input, " + c, () -> checkLocality(c, bad)));
                tests.add(DynamicTest.dynamicTest(bad + " in weight and gradOutput, " + c, () -> {
                    Tensor3D x = c.input();
                    Tensor3D w = c.weight();
                    w.set(0, 0, w.w() - 1, bad);
                    assertAgrees("forward with " + bad + " in weight", c, Conv1dReference.forward(x, w, c.bias(),
                            c.params()), conv.forward(x, w, c.bias(), c.params()), 0f);
                    Tensor3D dy = c.gradOutput();
                    dy.set(dy.n() - 1, dy.c() - 1, dy.w() / 2, bad);
                    Tensor3D cleanW = c.weight();
                    assertGradientsAgree(bad + " in gradOutput, " + c, x, cleanW, dy,
                            Conv1dReference.backward(x, cleanW, dy, c.params()), conv.backward(x, cleanW, dy, c.params()));
                }));
            }
        }
        return tests.stream();
    }

    private void checkLocality(Conv1dCase c, float bad) {
        Tensor3D x = c.input();
        ConvShape s = c.shape();
        int[][] spots = {{0, 0, s.inW() / 2}, {s.batch() - 1, s.inChannels() - 1, 0}};
        boolean[] affected = new boolean[s.batch() * s.outChannels() * s.outW()];
        for (int[] spot : spots) {
            x.set(spot[0], spot[1], spot[2], bad);
            boolean[] reading = ConvBackendConformance.outputsReading(s.cols(), spot[2]);
            int group = spot[1] / s.inChannelsPerGroup();
            for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
                for (int o = 0; o < s.outW(); o++) {
                    affected[(spot[0] * s.outChannels() + k) * s.outW() + o] |= reading[o];
                }
            }
        }
        Tensor3D y = conv.forward(x, c.weight(), c.bias(), c.params());
        int nonFinite = 0;
        for (int i = 0; i < affected.length; i++) {
            float v = y.data()[i];
            if (affected[i] == Float.isFinite(v)) {
                fail("1D output (" + i / (y.w() * y.c()) + ", " + (i / y.w()) % y.c() + ", " + i % y.w() + ") = " + v
                        + (affected[i] ? " should be non-finite: its window holds a " + bad
                        : " should be finite: its window holds no " + bad) + ", for " + c);
            }
            nonFinite += affected[i] ? 1 : 0;
        }
        assertTrue(nonFinite > 0 && nonFinite < affected.length,
                "the locality case must have both affected and unaffected outputs: " + c);
        assertAgrees("forward with " + bad + " in input", c, Conv1dReference.forward(x, c.weight(), c.bias(),
                c.params()), y, 0f);
        Tensor3D dy = c.gradOutput();
        assertGradientsAgree(bad + " in input, " + c, x, c.weight(), dy,
                Conv1dReference.backward(x, c.weight(), dy, c.params()), conv.backward(x, c.weight(), dy, c.params()));
    }

    // ---------------------------------------------------------------- bad input

    Stream<DynamicTest> badInput() {
        Conv1dParams plain = Conv1dParams.DEFAULT;
        Tensor3D x = Tensor3D.random(1, 2, 4, 8);
        Tensor3D w = Tensor3D.random(2, 6, 4, 3);
        Tensor3D dy = Tensor3D.random(3, 2, 6, 6);
        Tensor3D tw = Tensor3D.random(4, 4, 3, 3);
        Conv1dParams groups2 = p().groups(2).build();
        Conv1dParams s2 = p().stride(2).padding(1).build();
        List<BadInput> bad = List.of(
                new BadInput("null input", NullPointerException.class, "input", () -> conv.forward(null, w, null, plain)),
                new BadInput("null weight", NullPointerException.class, "weight", () -> conv.forward(x, null, null, plain)),
                new BadInput("null params", NullPointerException.class, "params", () -> conv.forward(x, w, null, null)),
                new BadInput("null gradOutput", NullPointerException.class, "gradOutput",
                        () -> conv.backward(x, w, null, plain)),
                new BadInput("groups not dividing C", IllegalArgumentException.class, "groups",
                        () -> conv.forward(Tensor3D.zeros(1, 5, 8), Tensor3D.zeros(4, 2, 3), null, groups2)),
                new BadInput("weight channels != C/groups", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor3D.zeros(6, 3, 3), null, plain)),
                new BadInput("kernel longer than input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor3D.zeros(6, 4, 9), null, plain)),
                new BadInput("dilated kernel longer than padded input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, w, null, p().dilation(4).build())),
                new BadInput("bias of the wrong length", IllegalArgumentException.class, "bias",
                        () -> conv.forward(x, w, new float[5], plain)),
                new BadInput("gradOutput of the wrong length", IllegalArgumentException.class, "gradOutput",
                        () -> conv.backward(x, w, Tensor3D.zeros(2, 6, 7), plain)),
                new BadInput("output of the wrong shape", IllegalArgumentException.class, "output",
                        () -> conv.forwardInto(x, w, null, plain, Tensor3D.zeros(2, 5, 6))),
                new BadInput("reflected pad as long as the input", IllegalArgumentException.class, "padLeft",
                        () -> conv.forward(x, w, null, p().padding(8, 0).paddingMode(PaddingMode.REFLECT).build())),
                new BadInput("output padding on a convolution", IllegalArgumentException.class, "outputPadding",
                        () -> conv.forward(x, w, null, s2.toBuilder().outputPadding(1).build())),
                new BadInput("transposed weight dimension 0 != input channels", IllegalArgumentException.class,
                        "weight", () -> conv.transposedForward(x, Tensor3D.zeros(3, 4, 3), null, s2)),
                new BadInput("transposed output padding not below stride or dilation", IllegalArgumentException.class,
                        "outputPadding", () -> conv.transposedForward(x, tw, null, s2.toBuilder().outputPadding(2).build())),
                new BadInput("transposed padding mode", IllegalArgumentException.class, "paddingMode",
                        () -> conv.transposedForward(x, tw, null, s2.toBuilder().paddingMode(PaddingMode.CIRCULAR).build())));
        return ConvBackendConformance.rejected("1D ", bad);
    }
}
