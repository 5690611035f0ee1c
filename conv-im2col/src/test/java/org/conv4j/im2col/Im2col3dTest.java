package org.conv4j.im2col;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 3D passes of {@link Im2colBackend} (vol2col + GEMM) against the naive 3D reference ({@code Conv3d.on(naive)}),
 * forward and all three gradients (and each single gradient equal to the backward pass's), within the tolerance of the 2D conformance kit (1e-5 of the reference's largest
 * finite value): strides, six-sided asymmetric padding, dilation, groups, odd and prime sizes, 1x1x1 kernels,
 * a kernel the size of the input, batches, bands smaller than a depth slice, and non-finite values in the input,
 * the weight (with padding) and {@code dL/dy}, where NaN and infinities must sit exactly where the reference has
 * them.
 */
class Im2col3dTest {

    private static final float TOLERANCE = 1e-5f;
    private static final Conv3d.OnBackend NAIVE = Conv3d.on(Conv2d.backend("naive"));
    private static final Im2colBackend BACKEND = new Im2colBackend();
    /** The smallest workspace: a few output rows per unit, so units split volumes and depth slices. */
    private static final Im2colBackend TINY = new Im2colBackend(Workspace.MIN_LIMIT_BYTES);

    private record Case(String label, int n, int c, int d, int h, int w, int k, int kd, int kh, int kw,
                        Conv3dParams p) {
        Tensor5D input(long seed) {
            return Tensor5D.random(seed, n, c, d, h, w);
        }

        Tensor5D weight(long seed) {
            return Tensor5D.random(seed, k, c / p.groups(), kd, kh, kw);
        }
    }

    private static Stream<Case> cases() {
        return Stream.of(
                new Case("3x3x3, padding 1, batch 2", 2, 3, 6, 7, 8, 4, 3, 3, 3, Conv3dParams.builder().padding(1).build()),
                new Case("strides (2,1,3), six-sided padding (1,0,2,1,0,3), dilation (2,1,2)", 2, 2, 9, 8, 11, 3, 2, 3, 2,
                        Conv3dParams.builder().stride(2, 1, 3).padding(1, 0, 2, 1, 0, 3).dilation(2, 1, 2).build()),
                new Case("groups 2, stride 2, padding 1", 1, 4, 7, 7, 7, 6, 3, 3, 3,
                        Conv3dParams.builder().groups(2).stride(2).padding(1).build()),
                new Case("depthwise (groups = C = K), asymmetric padding", 2, 3, 5, 6, 7, 3, 3, 2, 3,
                        Conv3dParams.builder().groups(3).padding(0, 2, 1, 0, 2, 1).build()),
                new Case("odd and prime sizes", 3, 3, 7, 11, 13, 5, 3, 5, 2, Conv3dParams.builder().stride(1, 2, 1)
                        .padding(2, 1, 0, 3, 1, 0).build()),
                new Case("1x1x1 identity, batch 3", 3, 5, 4, 5, 6, 7, 1, 1, 1, Conv3dParams.DEFAULT),
                new Case("1x1x1 identity, groups 5", 2, 5, 3, 4, 5, 10, 1, 1, 1, Conv3dParams.builder().groups(5).build()),
                new Case("1x1x1, stride 2 (lowered)", 2, 3, 5, 7, 6, 4, 1, 1, 1, Conv3dParams.builder().stride(2).build()),
                new Case("1x1x1, padding 1 (lowered: padding-only outputs)", 1, 2, 3, 3, 4, 3, 1, 1, 1,
                        Conv3dParams.builder().padding(1).build()),
                new Case("kernel equal to the input", 2, 3, 5, 4, 3, 4, 5, 4, 3, Conv3dParams.DEFAULT),
                new Case("padding wider than the dilated kernel", 1, 2, 3, 4, 3, 2, 2, 2, 2,
                        Conv3dParams.builder().padding(4, 3, 0, 5, 3, 1).build()),
                new Case("depth 1 (a 2D convolution)", 2, 3, 1, 9, 10, 4, 1, 3, 3,
                        Conv3dParams.builder().padding(0, 0, 1, 1, 1, 1).build()),
                new Case("one channel: the smallest workspace's bands straddle depth slices", 2, 1, 5, 6, 7, 2, 2, 3, 2,
                        Conv3dParams.builder().padding(1, 0, 1, 1, 0, 1).build()),
                new Case("dilation larger than the input's depth", 1, 2, 3, 6, 6, 3, 2, 2, 2,
                        Conv3dParams.builder().dilation(4, 1, 1).padding(2, 2, 0, 0, 0, 0).build()));
    }

    @TestFactory
    Stream<DynamicTest> agreesWithTheNaiveReference() {
        return cases().flatMap(c -> Stream.of(
                DynamicTest.dynamicTest(c.label(), () -> assertAgrees(c, BACKEND)),
                DynamicTest.dynamicTest(c.label() + ", smallest workspace", () -> assertAgrees(c, TINY))));
    }

    @Test
    void theSmallestWorkspaceCutsBandsAcrossDepthSlices() {
        Case c = cases().filter(x -> x.label().startsWith("one channel")).findFirst().orElseThrow();
        Conv3dShape s = Conv3dShape.forward(c.input(1), c.weight(2), null, c.p());
        WorkPlan plan = WorkPlan.of(s, Workspace.MIN_LIMIT_BYTES, true);
        assertEquals(1, plan.images());
        assertTrue(plan.rows() < s.depth().out() * s.rows().out() && plan.rows() % s.rows().out() != 0,
                "bands must be smaller than a depth slice and straddle slices: " + plan);
    }

    /** Forward, forward with bias, and the backward pass, each against the reference. */
    private static void assertAgrees(Case c, Im2colBackend backend) {
        Tensor5D x = c.input(1);
        Tensor5D w = c.weight(2);
        float[] bias = new float[c.k()];
        for (int k = 0; k < bias.length; k++) {
            bias[k] = 0.25f * k - 0.5f;
        }
        Tensor5D xBefore = x.copy();
        Tensor5D wBefore = w.copy();
        Conv3d.OnBackend on = Conv3d.on(backend);
        compare(c.label() + " forward", NAIVE.forward(x, w, null, c.p()), on.forward(x, w, null, c.p()));
        Tensor5D y = NAIVE.forward(x, w, bias, c.p());
        compare(c.label() + " forward with bias", y, on.forward(x, w, bias, c.p()));
        Tensor5D dy = Tensor5D.random(3, y.n(), y.c(), y.d(), y.h(), y.w());
        Conv3dGradients g = on.backward(x, w, dy, c.p());
        compareGradients(c.label(), NAIVE.backward(x, w, dy, c.p()), g);
        // each gradient alone runs the whole pass's GEMMs for it on the same data: the same values, bit for bit
        Conv3dShape s = Conv3dShape.backward(x, w, dy, c.p());
        assertEquals(g.input(), backend.inputGradient3d(s, w, dy), c.label() + " inputGradient3d");
        assertEquals(g.weight(), backend.weightGradient3d(s, x, dy), c.label() + " weightGradient3d");
        assertEquals(g.input(), on.inputGradient(x, w, dy, c.p()), c.label() + " inputGradient");
        assertEquals(g.weight(), on.weightGradient(x, w, dy, c.p()), c.label() + " weightGradient");
        assertEquals(xBefore, x, "the input must not change");
        assertEquals(wBefore, w, "the weight must not change");
    }

    private static void compareGradients(String label, Conv3dGradients expected, Conv3dGradients actual) {
        compare(label + " dL/dx", expected.input(), actual.input());
        compare(label + " dL/dw", expected.weight(), actual.weight());
        compare(label + " dL/db", expected.bias(), actual.bias());
    }

    private static void compare(String what, Tensor5D expected, Tensor5D actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        compare(what, expected.data(), actual.data());
    }

    /**
     * Finite reference values within {@link #TOLERANCE} of the largest finite one (at least {@link
     * Agreement#MIN_SCALE}); NaN exactly where the reference has NaN, each infinity where it has that infinity.
     */
    private static void compare(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        float scale = Agreement.MIN_SCALE;
        for (float v : expected) {
            if (Float.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        float bound = TOLERANCE * scale;
        for (int e = 0; e < expected.length; e++) {
            float want = expected[e];
            float got = actual[e];
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got), what + " [" + e + "]: expected NaN, got " + got);
            } else if (Float.isInfinite(want)) {
                assertEquals(want, got, what + " [" + e + "]");
            } else {
                float diff = Math.abs(want - got);
                assertTrue(diff <= bound, what + " [" + e + "]: expected " + want + ", got " + got + " (differs by "
                        + diff + ", allowed " + bound + ")");
            }
        }
    }

    // ---------------------------------------------------------------- non-finite values

    private static final Case PADDED = new Case("padded, strided, dilated, grouped", 2, 4, 6, 7, 8, 4, 3, 2, 3,
            Conv3dParams.builder().groups(2).stride(1, 2, 1).padding(1, 0, 1, 2, 0, 1).dilation(1, 1, 2).build());
    private static final Case IDENTITY = new Case("1x1x1 identity", 2, 3, 4, 5, 6, 4, 1, 1, 1, Conv3dParams.DEFAULT);

    @TestFactory
    Stream<DynamicTest> nonFiniteValuesReachWhatTheyReachInTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : List.of(PADDED, IDENTITY)) {
            for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                tests.add(DynamicTest.dynamicTest(c.label() + ": " + v + " in the input",
                        () -> assertNonFiniteAgrees(c, v, 0)));
                tests.add(DynamicTest.dynamicTest(c.label() + ": " + v + " in the weight",
                        () -> assertNonFiniteAgrees(c, v, 1)));
                tests.add(DynamicTest.dynamicTest(c.label() + ": " + v + " in dL/dy",
                        () -> assertNonFiniteAgrees(c, v, 2)));
            }
        }
        return tests.stream();
    }

    /** {@code v} in the input (0), the weight (1) or {@code dL/dy} (2), then forward and backward as the reference. */
    private static void assertNonFiniteAgrees(Case c, float v, int where) {
        Tensor5D x = c.input(5);
        Tensor5D w = c.weight(6);
        if (where == 0) {
            x.set(1, 1, c.d() / 2, c.h() / 2, c.w() - 1, v);
        } else if (where == 1) {
            w.set(1, 0, c.kd() - 1, 0, c.kw() - 1, v); // multiplies padding in the padded case
        }
        Tensor5D expectedY = NAIVE.forward(x, w, null, c.p());
        Tensor5D dy = Tensor5D.random(7, expectedY.n(), expectedY.c(), expectedY.d(), expectedY.h(), expectedY.w());
        if (where == 2) {
            dy.set(0, 1, expectedY.d() / 2, expectedY.h() - 1, 0, v);
        }
        for (Im2colBackend b : List.of(BACKEND, TINY)) {
            Conv3d.OnBackend on = Conv3d.on(b);
            Tensor5D y = on.forward(x, w, null, c.p());
            compare(c.label() + " forward", expectedY.data(), y.data());
            if (where < 2) {
                assertTrue(hasNonFiniteAndFinite(y.data()), "the case must leave some outputs finite");
            }
            compareGradients(c.label(), NAIVE.backward(x, w, dy, c.p()), on.backward(x, w, dy, c.p()));
        }
    }

    private static boolean hasNonFiniteAndFinite(float[] a) {
        boolean finite = false;
        boolean other = false;
        for (float v : a) {
            finite |= Float.isFinite(v);
            other |= !Float.isFinite(v);
        }
        return finite && other;
    }

    @Test
    void aNonFiniteWeightTimesPaddingIsNaN() {
        // an output whose poisoned tap reads padding is NaN (inf * 0); one whose poisoned tap reads the input is inf
        Case c = new Case("3x3x3 padding 1", 1, 1, 3, 3, 3, 1, 3, 3, 3, Conv3dParams.builder().padding(1).build());
        Tensor5D x = c.input(8);
        Tensor5D w = c.weight(9);
        w.set(0, 0, 0, 1, 1, Float.POSITIVE_INFINITY); // tap (a=0): reads depth od - 1, padding for od = 0
        Tensor5D y = Conv3d.on(BACKEND).forward(x, w, null, c.p());
        assertTrue(Float.isNaN(y.get(0, 0, 0, 1, 1)), "inf x padding must be NaN: " + y.get(0, 0, 0, 1, 1));
        assertTrue(Float.isInfinite(y.get(0, 0, 1, 1, 1)), "inf x input must be infinite: " + y.get(0, 0, 1, 1, 1));
    }

    // ---------------------------------------------------------------- limits, estimates, threads

    @Test
    void declinesWhatABufferCannotIndex() {
        // 128^3 taps over 1025 output columns: one output row of the column matrix holds 2^21 * 1025 floats
        Tensor5D x = Tensor5D.zeros(1, 1, 1, 1, 1);
        Tensor5D w = Tensor5D.zeros(1, 1, 128, 128, 128);
        Conv3dParams p = Conv3dParams.builder().padding(127, 0, 127, 0, 127, 1024).build();
        Conv3dShape s = Conv3dShape.forward(x, w, null, p);
        assertFalse(BACKEND.supports3d(s, ConvPass.FORWARD));
        assertFalse(BACKEND.supports3d(s, ConvPass.BACKWARD));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Conv3d.on(BACKEND).forward(x, w, null, p));
        assertTrue(e.getMessage().startsWith("im2col backend: 3D"), e.getMessage());
        assertTrue(BACKEND.supports3d(Conv3dShape.forward(Tensor5D.zeros(1, 2, 4, 4, 4), Tensor5D.zeros(3, 2, 3, 3, 3),
                null, Conv3dParams.DEFAULT), ConvPass.BACKWARD));
    }

    @Test
    void estimatesAreFiniteAndGrowWithTheWork() {
        Conv3dShape small = Conv3dShape.forward(Tensor5D.zeros(1, 4, 4, 8, 8), Tensor5D.zeros(8, 4, 3, 3, 3), null,
                Conv3dParams.builder().padding(1).build());
        Conv3dShape large = Conv3dShape.forward(Tensor5D.zeros(2, 16, 8, 32, 32), Tensor5D.zeros(32, 16, 3, 3, 3),
                null, Conv3dParams.builder().padding(1).build());
        for (ConvPass pass : List.of(ConvPass.FORWARD, ConvPass.BACKWARD)) {
            double a = BACKEND.estimate3dNanos(small, pass);
            double b = BACKEND.estimate3dNanos(large, pass);
            assertTrue(Double.isFinite(a) && a > 0 && Double.isFinite(b) && b > a, pass + ": " + a + ", " + b);
        }
        assertTrue(BACKEND.estimate3dNanos(large, ConvPass.BACKWARD) > BACKEND.estimate3dNanos(large, ConvPass.FORWARD));
    }

    @Test
    void concurrentCallsGiveTheSameResultsAsSerialCalls() throws Exception {
        List<Case> all = cases().toList();
        List<float[][]> serial = new ArrayList<>();
        for (Case c : all) {
            serial.add(run(c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<float[][]>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    List<float[][]> results = new ArrayList<>();
                    for (Case c : all) {
                        results.add(run(c));
                    }
                    return results;
                }));
            }
            for (Future<List<float[][]>> f : futures) {
                List<float[][]> results = f.get();
                for (int i = 0; i < all.size(); i++) {
                    for (int r = 0; r < 4; r++) {
                        assertArrayEquals(serial.get(i)[r], results.get(i)[r], all.get(i).label() + " result " + r);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Forward, dL/dx, dL/dw, dL/db of a case on {@link #BACKEND}. */
    private static float[][] run(Case c) {
        Tensor5D x = c.input(11);
        Tensor5D w = c.weight(12);
        Conv3d.OnBackend on = Conv3d.on(BACKEND);
        Tensor5D y = on.forward(x, w, null, c.p());
        Conv3dGradients g = on.backward(x, w, y, c.p());
        return new float[][] {y.data(), g.input().data(), g.weight().data(), g.bias()};
    }
}
