package org.conv4j.im2col;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny workspace limits force the banded paths (chunks of one image, bands of a few rows, single rows);
 * their results must equal the unbounded path's up to float rounding (1e-6 of the largest value). Not
 * bit-identical: OpenBLAS's kernels for different matrix widths may order the same sums differently, and
 * the weight gradient sums over output positions band by band.
 */
class WorkspaceLimitTest {

    private record Geometry(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
    }

    private static final List<Geometry> GEOMETRIES = List.of(
            new Geometry("3x3 pad 1", 3, 6, 19, 17, 8, 3, 3, ConvParams.builder().padding(1).build()),
            new Geometry("strided, dilated, asymmetric padding, groups 2", 2, 4, 23, 21, 6, 3, 2,
                    ConvParams.builder().stride(2, 3).dilation(2, 1).padding(2, 0, 1, 3).groups(2).build()),
            new Geometry("1x1 identity", 2, 5, 13, 11, 7, 1, 1, ConvParams.DEFAULT),
            new Geometry("depthwise 5x5", 2, 4, 15, 16, 4, 5, 5, ConvParams.builder().groups(4).padding(2).build()),
            new Geometry("AlexNet-like 11x11 stride 4", 2, 3, 39, 39, 4, 11, 11, ConvParams.builder().stride(4).build()));

    private static final Im2colBackend UNBOUNDED = new Im2colBackend(1L << 34);

    /** The limits: the minimum (single rows), and a few that give bands of several rows or chunks of images. */
    private static long[] limits(Geometry g) {
        Tensor4D x = Tensor4D.zeros(g.n(), g.c(), g.h(), g.w());
        Tensor4D w = Tensor4D.zeros(g.k(), g.c() / g.p().groups(), g.kh(), g.kw());
        ConvShape s = ConvShape.forward(x, w, null, g.p());
        long perPosition = (long) s.inChannels() * s.kernelH() * s.kernelW() + s.outChannels();
        long fixed = 2L * s.outChannels() * s.patchSize();
        long row = perPosition * s.outW();
        return java.util.stream.LongStream.of(Workspace.MIN_LIMIT_BYTES, 4 * (fixed + 2 * row), 4 * (fixed + 3 * row + 1),
                4 * (fixed + row * s.outH() + 5), 4 * (fixed + row * s.outH() * 2))
                .map(b -> Math.max(b, Workspace.MIN_LIMIT_BYTES)).distinct().toArray();
    }

    @TestFactory
    Stream<DynamicTest> smallLimitsGiveTheUnboundedResults() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Geometry g : GEOMETRIES) {
            for (long limit : limits(g)) {
              for (boolean nativeGemm : new boolean[] {false, true}) {
                tests.add(DynamicTest.dynamicTest(g.label() + ", limit " + limit + " bytes"
                        + (nativeGemm ? ", every GEMM on OpenBLAS" : ""), () -> {
                    Tensor4D x = Tensor4D.random(1, g.n(), g.c(), g.h(), g.w());
                    Tensor4D w = Tensor4D.random(2, g.k(), g.c() / g.p().groups(), g.kh(), g.kw());
                    float[] bias = Tensor4D.random(3, 1, g.k(), 1, 1).data();
                    Im2colBackend bounded = nativeGemm ? new Im2colBackend(limit, 0) : new Im2colBackend(limit);
                    Tensor4D expected = UNBOUNDED.forward(x, w, bias, g.p());
                    Agreement.assertAgrees("forward", g, expected, bounded.forward(x, w, bias, g.p()), 1e-6f);
                    Tensor4D dy = Tensor4D.random(4, expected.n(), expected.c(), expected.h(), expected.w());
                    ConvGradients full = UNBOUNDED.backward(x, w, dy, g.p());
                    ConvGradients banded = bounded.backward(x, w, dy, g.p());
                    Agreement.assertAgrees("dL/dx", g, full.input(), banded.input(), 1e-6f);
                    Agreement.assertAgrees("dL/dw", g, full.weight(), banded.weight(), 1e-6f);
                    Agreement.assertAgrees("dL/db", g, full.biasTensor(), banded.biasTensor(), 0f);
                }));
              }
            }
        }
        return tests.stream();
    }

    @Test
    void planSplitsAsDocumented() {
        Tensor4D x = Tensor4D.zeros(8, 64, 56, 56);
        Tensor4D w = Tensor4D.zeros(64, 64, 3, 3);
        ConvShape s = ConvShape.forward(x, w, null, ConvParams.builder().padding(1).build());
        WorkPlan whole = WorkPlan.of(s, Workspace.DEFAULT_LIMIT_BYTES, false);
        assertEquals(56, whole.rows());
        assertTrue(whole.images() >= 1 && 4 * whole.capacity() <= Workspace.DEFAULT_LIMIT_BYTES, whole.toString());
        WorkPlan bands = WorkPlan.of(s, 4L << 20, false);
        assertEquals(1, bands.images());
        assertTrue(bands.rows() > 1 && bands.rows() < 56 && 4 * bands.capacity() <= 4L << 20, bands.toString());
        WorkPlan single = WorkPlan.of(s, Workspace.MIN_LIMIT_BYTES, true);
        assertEquals(1, single.rows(), "below one row, one row is used anyway");
        assertTrue(WorkPlan.of(ConvShape.forward(Tensor4D.zeros(1, 3, 5, 5), Tensor4D.zeros(2, 3, 1, 1), null,
                ConvParams.DEFAULT), Workspace.DEFAULT_LIMIT_BYTES, false).identity());
        assertTrue(!WorkPlan.of(ConvShape.forward(Tensor4D.zeros(1, 3, 5, 5), Tensor4D.zeros(2, 3, 1, 1), null,
                ConvParams.builder().stride(2).build()), Workspace.DEFAULT_LIMIT_BYTES, false).identity());
    }

    @Test
    void aRowTooLargeForAnyBufferIsReportedAsUnsupported() {
        // one output row would need (50000 + 1) * 50001 floats: more than a Java buffer can index
        Tensor4D x = Tensor4D.zeros(1, 1, 1, 1);
        Tensor4D w = Tensor4D.zeros(1, 1, 1, 50_000);
        ConvParams p = ConvParams.builder().padding(0, 0, 50_000, 50_000).build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> new Im2colBackend().forward(x, w, null, p));
        assertTrue(e.getMessage().startsWith("im2col: one output row"), e.getMessage());
    }

    @Test
    void limitBelowTheMinimumIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Im2colBackend(Workspace.MIN_LIMIT_BYTES - 1));
        assertTrue(e.getMessage().contains("expected") && e.getMessage().contains("got"), e.getMessage());
    }
}
