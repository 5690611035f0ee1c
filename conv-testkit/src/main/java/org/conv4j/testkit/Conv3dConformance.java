package org.conv4j.testkit;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The 3D part of the conformance kit ({@link ConvBackendConformance} runs it for every backend that implements
 * {@link Conv3dBackend}): through {@link Conv3d#on(ConvBackend)}, forward, {@code forwardInto} a NaN-filled output,
 * backward and both single gradients agree with the naive reference within the backend's tolerance (see
 * {@link Agreement}); the transposed passes agree with the kit's own scatter ({@link Transposed3dReference}); in
 * every storage and layout; with non-finite values, which reach exactly the outputs whose window holds them; and
 * bad input is rejected with a message naming the argument with the expected and actual value. A case the backend
 * declines ({@link Conv3dBackend#supports3d}) must be declined with an {@link UnsupportedOperationException} naming
 * the backend, and is otherwise skipped.
 */
final class Conv3dConformance {

    private final ConvBackend backend;
    private final Conv3d.OnBackend conv;
    private final Conv3d.OnBackend reference;
    private final float tolerance;

    Conv3dConformance(ConvBackend backend, ConvBackend reference, float tolerance) {
        this.backend = backend;
        this.conv = backend instanceof Conv3dBackend ? Conv3d.on(backend) : null;
        this.reference = Conv3d.on(reference);
        this.tolerance = tolerance;
    }

    /** {@code tests}, or none if the backend does not run 3D convolutions (the kit checks that it declines them). */
    private Stream<DynamicTest> ifRuns3d(List<DynamicTest> tests) {
        return conv == null ? Stream.empty() : tests.stream();
    }

    /** The tensor's elements read as a heap NCHW tensor {@code (N, C, D*H, W)}, for {@link Agreement}. */
    private static Tensor4D flat(Tensor5D t) {
        Tensor5D h = t.toHeapNcdhw();
        return Tensor4D.wrap(h.data(), h.n(), h.c(), h.d() * h.h(), h.w());
    }

    private static float max(Tensor5D t) {
        return Agreement.maxFiniteAbs(flat(t));
    }

    private void assertAgrees(String what, Object context, Tensor5D expected, Tensor5D actual, float term) {
        if (actual == null) {
            fail(what + " is null for " + context);
        }
        assertEquals(expected.shapeString(), actual.shapeString(), "3D " + what + ": shape, for " + context);
        Agreement.assertAgrees("3D " + what, context, flat(expected), flat(actual), tolerance, term);
    }

    private void assertGradientsAgree(Object context, Tensor5D x, Tensor5D w, Tensor5D dy, Conv3dGradients expected,
                                      Conv3dGradients actual) {
        float gy = max(dy);
        assertAgrees("dL/dx", context, expected.input(), actual.input(), gy * max(w));
        assertAgrees("dL/dw", context, expected.weight(), actual.weight(), gy * max(x));
        float[] eb = expected.bias();
        assertAgrees("dL/db", context, Tensor5D.wrap(eb, 1, eb.length, 1, 1, 1),
                Tensor5D.wrap(actual.bias(), 1, actual.bias().length, 1, 1, 1), gy);
    }

    /**
     * Whether the backend runs both passes of {@code s}; if not, that its calls are declined with an
     * {@link UnsupportedOperationException} naming it.
     */
    private boolean runs(Conv3dShape s, Tensor5D x, Tensor5D w, Tensor5D dy, Conv3dParams p) {
        Conv3dBackend v = (Conv3dBackend) backend;
        boolean forward = v.supports3d(s, ConvPass.FORWARD);
        boolean backward = v.supports3d(s, ConvPass.BACKWARD);
        if (!forward) {
            assertDeclined(() -> conv.forward(x, w, null, p));
        }
        if (!backward) {
            assertDeclined(() -> conv.backward(x, w, dy, p));
        }
        return forward && backward;
    }

    private void assertDeclined(org.junit.jupiter.api.function.Executable call) {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, call);
        assertTrue(e.getMessage().startsWith(backend.name() + " backend"), e.getMessage());
    }

    // ---------------------------------------------------------------- agreement

    Stream<DynamicTest> agreement(long seed, int sweep) {
        List<Conv3dCase> cases = new ArrayList<>(Conv3dCases.edgeCases());
        cases.addAll(Conv3dCases.paddingModeCases());
        cases.addAll(Conv3dCases.sweep(seed, sweep));
        return ifRuns3d(cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkAgreement(c)))
                .toList());
    }

    private void checkAgreement(Conv3dCase c) {
        Tensor5D x = c.input();
        Tensor5D w = c.weight();
        float[] b = c.bias();
        Tensor5D dy = c.gradOutput();
        Conv3dParams p = c.params();
        if (!runs(unpaddedShape(c), x, w, dy, p)) {
            return;
        }
        Tensor5D expected = reference.forward(x, w, b, p);
        float term = max(x) * max(w);
        assertAgrees("forward", c, expected, conv.forward(x, w, b, p), term);
        Tensor5D out = Tensor5D.zeros(expected.n(), expected.c(), expected.d(), expected.h(), expected.w())
                .fill(Float.NaN);
        assertSame(out, conv.forwardInto(x, w, b, p, out), "forwardInto must return its output, for " + c);
        assertAgrees("forwardInto (NaN-filled output)", c, expected, out, term);
        Conv3dGradients e = reference.backward(x, w, dy, p);
        assertGradientsAgree(c, x, w, dy, e, conv.backward(x, w, dy, p));
        float gy = max(dy);
        assertAgrees("inputGradient", c, e.input(), conv.inputGradient(x, w, dy, p), gy * max(w));
        assertAgrees("weightGradient", c, e.weight(), conv.weightGradient(x, w, dy, p), gy * max(x));
        assertEquals(c.input(), x, "input was modified for " + c);
        assertEquals(c.weight(), w, "weight was modified for " + c);
        assertEquals(c.gradOutput(), dy, "gradOutput was modified for " + c);
        assertArrayEquals(c.bias(), b, "bias was modified for " + c);
    }

    /**
     * The shape the backend is asked to run: that of the case, or, for a copying padding mode, that of the input
     * padded beforehand (the facade pads it and calls the backend without padding).
     */
    private static Conv3dShape unpaddedShape(Conv3dCase c) {
        Conv3dParams p = c.params();
        if (p.paddingMode() == PaddingMode.ZEROS) {
            return c.shape();
        }
        Conv3dParams q = Conv3dParams.builder().stride(p.strideD(), p.strideH(), p.strideW())
                .dilation(p.dilationD(), p.dilationH(), p.dilationW()).groups(p.groups()).build();
        Tensor5D padded = Tensor5D.zeros(c.n(), c.c(), c.d() + p.padFront() + p.padBack(),
                c.h() + p.padTop() + p.padBottom(), c.w() + p.padLeft() + p.padRight());
        return Conv3dShape.forward(padded, c.weight(), null, q);
    }

    // ---------------------------------------------------------------- transposed

    Stream<DynamicTest> transposed(long seed, int sweep) {
        List<Conv3dCase> cases = new ArrayList<>(Conv3dCases.transposedCases());
        SplittableRandom r = new SplittableRandom(seed);
        for (Conv3dCase c : Conv3dCases.sweep(seed, sweep)) {
            Conv3dParams q = c.params();
            Conv3dCase t = new Conv3dCase("transposed " + c.label(), c.seed(), c.n(), c.c(), c.d(), c.h(), c.w(),
                    c.k(), c.kd(), c.kh(), c.kw(), q.toBuilder().outputPadding(
                            r.nextInt(Math.max(q.strideD(), q.dilationD())),
                            r.nextInt(Math.max(q.strideH(), q.dilationH())),
                            r.nextInt(Math.max(q.strideW(), q.dilationW()))).build(), c.hasBias());
            int[] out = t.transposedOut();
            if (out[0] >= 1 && out[1] >= 1 && out[2] >= 1) {
                cases.add(t);
            }
        }
        return ifRuns3d(cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkTransposed(c)))
                .toList());
    }

    private void checkTransposed(Conv3dCase c) {
        Tensor5D x = c.input();
        Tensor5D w = c.transposedWeight();
        float[] b = c.bias();
        Tensor5D dy = c.transposedGradOutput();
        Conv3dParams p = c.params();
        Tensor5D y;
        Conv3dGradients g;
        try {
            y = conv.transposedForward(x, w, b, p);
            g = conv.transposedBackward(x, w, dy, p);
        } catch (UnsupportedOperationException declined) {
            assertTrue(declined.getMessage().startsWith(backend.name() + " backend"), declined.getMessage());
            return;
        }
        assertAgrees("transposed forward", c, Transposed3dReference.forward(x, w, b, p, c.transposedOut()), y,
                max(x) * max(w));
        assertGradientsAgree("transposed " + c, x, w, dy, Transposed3dReference.backward(x, w, dy, p), g);
        assertEquals(c.input(), x, "input was modified by a transposed pass for " + c);
        assertEquals(c.transposedWeight(), w, "weight was modified by a transposed pass for " + c);
    }

    // ---------------------------------------------------------------- storages and layouts

    private static final List<String> STORAGES = List.of("heap NCDHW", "heap NDHWC", "native NCDHW",
            "native NDHWC");

    /** {@code t} in the combination {@code STORAGES.get(kind)}: itself for heap NCDHW, else a copy. */
    private static Tensor5D as(int kind, Tensor5D t) {
        MemoryLayout layout = kind % 2 == 0 ? Tensor5D.NCDHW : Tensor5D.NDHWC;
        return kind < 2 ? t.toLayout(layout) : t.toNative(layout);
    }

    /**
     * A few edge cases with the input in each storage and layout, weight, dL/dy and output drawn at random
     * (seeded), and again with every operand in the input's storage and layout (the calls a backend that
     * {@linkplain Conv3dBackend#takesInPlace3d takes native tensors in place} runs in place): forward,
     * {@code forwardInto}, backward and the single gradients agree with the reference, and each result takes its
     * operand's storage and layout.
     */
    Stream<DynamicTest> storages(long seed) {
        List<DynamicTest> tests = new ArrayList<>();
        Random random = new Random(seed);
        List<Conv3dCase> cases = Conv3dCases.edgeCases();
        for (Conv3dCase c : List.of(cases.get(1), cases.get(2), cases.get(9), cases.get(10))) {
            for (int kind = 0; kind < STORAGES.size(); kind++) {
                int[] kinds = {kind, random.nextInt(4), random.nextInt(4), random.nextInt(4)};
                tests.add(DynamicTest.dynamicTest(STORAGES.get(kind) + " input, " + c,
                        () -> checkStorages(c, kinds)));
                int[] same = {kind, kind, kind, kind};
                tests.add(DynamicTest.dynamicTest("every operand " + STORAGES.get(kind) + ", " + c,
                        () -> checkStorages(c, same)));
            }
        }
        return ifRuns3d(tests);
    }

    private void checkStorages(Conv3dCase c, int[] kinds) {
        Tensor5D x = c.input();
        Tensor5D w = c.weight();
        float[] b = c.bias();
        Tensor5D dy = c.gradOutput();
        Conv3dParams p = c.params();
        if (!runs(c.shape(), x, w, dy, p)) {
            return;
        }
        String context = c + " (input " + STORAGES.get(kinds[0]) + ", weight " + STORAGES.get(kinds[1])
                + ", dL/dy " + STORAGES.get(kinds[2]) + ", output " + STORAGES.get(kinds[3]) + ")";
        try (Tensor5D xs = as(kinds[0], x); Tensor5D ws = as(kinds[1], w); Tensor5D dys = as(kinds[2], dy)) {
            Tensor5D expected = reference.forward(x, w, b, p);
            float term = max(x) * max(w);
            Tensor5D y = conv.forward(xs, ws, b, p);
            assertAgrees("forward", context, expected, y, term);
            assertLike(xs, y, "forward output", context);
            try (Tensor5D out = as(kinds[3], Tensor5D.zeros(expected.n(), expected.c(), expected.d(), expected.h(),
                    expected.w()).fill(Float.NaN))) {
                assertSame(out, conv.forwardInto(xs, ws, b, p, out), "forwardInto must return its output, " + context);
                assertAgrees("forwardInto", context, expected, out, term);
            }
            Conv3dGradients e = reference.backward(x, w, dy, p);
            Conv3dGradients g = conv.backward(xs, ws, dys, p);
            assertGradientsAgree(context, x, w, dy, e, g);
            assertLike(xs, g.input(), "dL/dx", context);
            assertLike(ws, g.weight(), "dL/dw", context);
            Tensor5D dx = conv.inputGradient(xs, ws, dys, p);
            assertAgrees("inputGradient", context, e.input(), dx, max(dy) * max(w));
            assertLike(xs, dx, "inputGradient", context);
            Tensor5D dw = conv.weightGradient(xs, ws, dys, p);
            assertAgrees("weightGradient", context, e.weight(), dw, max(dy) * max(x));
            assertLike(ws, dw, "weightGradient", context);
            for (Tensor5D t : List.of(y, g.input(), g.weight(), dx, dw)) {
                t.close();
            }
            assertEquals(x, xs.toHeapNcdhw(), "input was modified for " + context);
        }
    }

    private static void assertLike(Tensor5D operand, Tensor5D result, String what, String context) {
        assertEquals(operand.layout(), result.layout(), what + ": layout, for " + context);
        assertEquals(operand.isNative(), result.isNative(), what + ": native storage, for " + context);
    }

    // ---------------------------------------------------------------- non-finite locality

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    private static Conv3dParams.Builder p() {
        return Conv3dParams.builder();
    }

    /**
     * A NaN or infinity in the input reaches exactly the outputs whose window holds it along all three axes
     * (from the geometry, with {@link org.conv4j.api.ConvAxis#outputFor}); forward and backward, also with the
     * value in the weight (padding is a real zero, so it reaches every output of its filter whose window puts it
     * on padding) or in dL/dy, agree with the reference.
     */
    Stream<DynamicTest> nonFinite() {
        List<Conv3dCase> cases = List.of(
                new Conv3dCase("3D locality, padded", 191, 2, 3, 6, 7, 8, 4, 3, 3, 3, p().padding(1, 2, 0, 1, 2, 1)
                        .build(), true),
                new Conv3dCase("3D locality, stride 3 > kernel 2", 192, 1, 2, 8, 9, 8, 3, 2, 2, 2,
                        p().stride(3).build(), false),
                new Conv3dCase("3D locality, dilated, groups 2", 193, 1, 4, 7, 8, 9, 4, 3, 2, 3,
                        p().dilation(2, 3, 1).groups(2).padding(2).build(), true),
                new Conv3dCase("3D locality, large kernel", 194, 1, 2, 12, 12, 12, 2, 7, 7, 7, p().padding(3)
                        .build(), false));
        List<DynamicTest> tests = new ArrayList<>();
        for (Conv3dCase c : cases) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " in input, " + c, () -> checkLocality(c, bad)));
                tests.add(DynamicTest.dynamicTest(bad + " in weight and gradOutput, " + c, () -> {
                    Tensor5D x = c.input();
                    Tensor5D w = c.weight();
                    if (!runs(c.shape(), x, w, c.gradOutput(), c.params())) {
                        return;
                    }
                    w.set(0, 0, w.d() - 1, 0, w.w() - 1, bad);
                    assertAgrees("forward with " + bad + " in weight", c, reference.forward(x, w, c.bias(),
                            c.params()), conv.forward(x, w, c.bias(), c.params()), 0f);
                    Tensor5D dy = c.gradOutput();
                    dy.set(dy.n() - 1, dy.c() - 1, dy.d() / 2, 0, dy.w() / 2, bad);
                    Tensor5D clean = c.weight();
                    assertGradientsAgree(bad + " in gradOutput, " + c, x, clean, dy,
                            reference.backward(x, clean, dy, c.params()), conv.backward(x, clean, dy, c.params()));
                }));
            }
        }
        return ifRuns3d(tests);
    }

    private void checkLocality(Conv3dCase c, float bad) {
        Tensor5D x = c.input();
        Conv3dShape s = c.shape();
        if (!runs(s, x, c.weight(), c.gradOutput(), c.params())) {
            return;
        }
        int outD = s.depth().out();
        int outH = s.rows().out();
        int outW = s.cols().out();
        int[][] spots = {{0, 0, s.depth().in() / 2, s.rows().in() / 2, s.cols().in() / 2},
            {s.batch() - 1, s.inChannels() - 1, 0, s.rows().in() - 1, 1}};
        boolean[] affected = new boolean[s.batch() * s.outChannels() * outD * outH * outW];
        for (int[] spot : spots) {
            x.set(spot[0], spot[1], spot[2], spot[3], spot[4], bad);
            boolean[] planes = ConvBackendConformance.outputsReading(s.depth(), spot[2]);
            boolean[] rows = ConvBackendConformance.outputsReading(s.rows(), spot[3]);
            boolean[] cols = ConvBackendConformance.outputsReading(s.cols(), spot[4]);
            int group = spot[1] / s.inChannelsPerGroup();
            for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
                for (int z = 0; z < outD; z++) {
                    for (int r = 0; r < outH; r++) {
                        for (int q = 0; q < outW; q++) {
                            affected[(((spot[0] * s.outChannels() + k) * outD + z) * outH + r) * outW + q]
                                    |= planes[z] && rows[r] && cols[q];
                        }
                    }
                }
            }
        }
        Tensor5D y = conv.forward(x, c.weight(), c.bias(), c.params());
        int nonFinite = 0;
        for (int i = 0; i < affected.length; i++) {
            float v = y.data()[i];
            if (affected[i] == Float.isFinite(v)) {
                fail("3D output element " + i + " = " + v + (affected[i] ? " should be non-finite: its window holds a "
                        + bad : " should be finite: its window holds no " + bad) + ", for " + c);
            }
            nonFinite += affected[i] ? 1 : 0;
        }
        assertTrue(nonFinite > 0 && nonFinite < affected.length,
                "the locality case must have both affected and unaffected outputs: " + c);
        assertAgrees("forward with " + bad + " in input", c, reference.forward(x, c.weight(), c.bias(), c.params()),
                y, 0f);
        Tensor5D dy = c.gradOutput();
        assertGradientsAgree(bad + " in input, " + c, x, c.weight(), dy,
                reference.backward(x, c.weight(), dy, c.params()), conv.backward(x, c.weight(), dy, c.params()));
    }

    // ---------------------------------------------------------------- bad input

    Stream<DynamicTest> badInput() {
        if (conv == null) {
            return Stream.empty();
        }
        Conv3dParams plain = Conv3dParams.DEFAULT;
        Tensor5D x = Tensor5D.random(1, 2, 4, 5, 6, 7); // seed 1: (N 2, C 4, D 5, H 6, W 7)
        Tensor5D w = Tensor5D.random(2, 6, 4, 3, 3, 3); // output (2, 6, 3, 4, 5)
        Tensor5D tw = Tensor5D.random(4, 4, 3, 3, 3, 3); // transposed: Cin 4, Cout 3
        Conv3dParams groups2 = p().groups(2).build();
        Conv3dParams s2 = p().stride(2).padding(1).build();
        List<BadInput> bad = List.of(
                new BadInput("null input", NullPointerException.class, "input", () -> conv.forward(null, w, null, plain)),
                new BadInput("null weight", NullPointerException.class, "weight", () -> conv.forward(x, null, null, plain)),
                new BadInput("null params", NullPointerException.class, "params", () -> conv.forward(x, w, null, null)),
                new BadInput("null gradOutput", NullPointerException.class, "gradOutput",
                        () -> conv.backward(x, w, null, plain)),
                new BadInput("groups not dividing C", IllegalArgumentException.class, "groups",
                        () -> conv.forward(Tensor5D.zeros(1, 5, 4, 4, 4), Tensor5D.zeros(4, 2, 3, 3, 3), null, groups2)),
                new BadInput("weight channels != C/groups", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor5D.zeros(6, 3, 3, 3, 3), null, plain)),
                new BadInput("kernel deeper than input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, Tensor5D.zeros(6, 4, 6, 3, 3), null, plain)),
                new BadInput("dilated kernel wider than padded input", IllegalArgumentException.class, "weight",
                        () -> conv.forward(x, w, null, p().dilation(1, 1, 4).build())),
                new BadInput("bias of the wrong length", IllegalArgumentException.class, "bias",
                        () -> conv.forward(x, w, new float[5], plain)),
                new BadInput("gradOutput of the wrong shape", IllegalArgumentException.class, "gradOutput",
                        () -> conv.backward(x, w, Tensor5D.zeros(2, 6, 3, 3, 4), plain)),
                new BadInput("output of the wrong shape", IllegalArgumentException.class, "output",
                        () -> conv.forwardInto(x, w, null, plain, Tensor5D.zeros(2, 6, 3, 3, 4))),
                new BadInput("reflected pad as deep as the input", IllegalArgumentException.class, "padFront",
                        () -> conv.forward(x, w, null, p().padding(5, 0, 0, 0, 0, 0).paddingMode(PaddingMode.REFLECT)
                                .build())),
                new BadInput("output padding on a convolution", IllegalArgumentException.class, "outputPadding",
                        () -> conv.forward(x, w, null, s2.toBuilder().outputPadding(1, 0, 0).build())),
                new BadInput("transposed weight dimension 0 != input channels", IllegalArgumentException.class,
                        "weight", () -> conv.transposedForward(x, Tensor5D.zeros(3, 4, 3, 3, 3), null, s2)),
                new BadInput("transposed output padding not below stride or dilation", IllegalArgumentException.class,
                        "outputPadding", () -> conv.transposedForward(x, tw, null,
                                s2.toBuilder().outputPadding(0, 2, 0).build())),
                new BadInput("transposed gradOutput of the wrong shape", IllegalArgumentException.class,
                        "gradOutput", () -> conv.transposedBackward(x, tw, Tensor5D.zeros(2, 4, 3, 3, 3), s2)),
                new BadInput("transposed padding mode", IllegalArgumentException.class, "paddingMode",
                        () -> conv.transposedForward(x, tw, null,
                                s2.toBuilder().paddingMode(PaddingMode.CIRCULAR).build())));
        return ConvBackendConformance.rejected("3D ", bad);
    }
}
