package org.conv4j.im2col;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.nd4j.Gemm;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backward pass on the heap ({@link Im2colBackend#backwardOnHeap}) on thin shapes above
 * {@link Im2colBackend#SMALL_MACS}, which the kit's small cases do not reach: long dot products in the weight
 * gradient and several bands of {@link Im2colBackend#HEAP_BAND_FLOATS}. Each case is compared with the naive
 * reference (as the kit does: tolerance 1e-5 of the reference's largest value) and with the native path
 * (forced through the package-private constructor), and run twice for identical results.
 */
class HeapBackwardTest {

    private record Case(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
    }

    private static final ConvBackend NAIVE = Conv2d.backend("naive");
    private static final Im2colBackend HEAP = new Im2colBackend();
    private static final Im2colBackend NATIVE = new Im2colBackend(Workspace.DEFAULT_LIMIT_BYTES, 0);

    private static Stream<Case> cases() {
        return Stream.of(
                new Case("seeds' thin case 1x1x211x197 * 1x1x2x2", 1, 1, 211, 197, 1, 2, 2, ConvParams.DEFAULT),
                new Case("thin, batch 2, stride 2, asymmetric padding, dilation", 2, 1, 183, 170, 1, 3, 2,
                        ConvParams.builder().stride(2, 1).padding(1, 0, 2, 1).dilation(1, 2).build()),
                new Case("depthwise 3x3, groups 3", 1, 3, 130, 121, 3, 3, 3,
                        ConvParams.builder().groups(3).padding(1).build()),
                new Case("1x1 identity, 2 channels to 3", 2, 2, 140, 150, 3, 1, 1, ConvParams.DEFAULT));
    }

    @TestFactory
    Stream<DynamicTest> agreesWithNaiveAndWithTheNativePath() {
        return cases().map(c -> DynamicTest.dynamicTest(c.label(), () -> {
            Tensor4D x = Tensor4D.random(1, c.n(), c.c(), c.h(), c.w());
            Tensor4D w = Tensor4D.random(2, c.k(), c.c() / c.p().groups(), c.kh(), c.kw());
            ConvShape s = ConvShape.forward(x, w, null, c.p());
            assertTrue(s.macs() >= Im2colBackend.SMALL_MACS, "case must be above SMALL_MACS: " + s.macs());
            assertTrue((long) s.outChannelsPerGroup() * s.patchSize() < Im2colBackend.THIN_GEMM, "case must be thin");
            Tensor4D dy = Tensor4D.random(3, c.n(), c.k(), s.outH(), s.outW());

            ConvGradients expected = NAIVE.backward(x, w, dy, c.p());
            ConvGradients heap = HEAP.backward(x, w, dy, c.p());
            ConvGradients nat = NATIVE.backward(x, w, dy, c.p());
            Agreement.assertAgrees("heap dx vs naive", c, expected.input(), heap.input(), 1e-5f);
            Agreement.assertAgrees("heap dw vs naive", c, expected.weight(), heap.weight(), 1e-5f);
            Agreement.assertAgrees("native dx vs naive", c, expected.input(), nat.input(), 1e-5f);
            Agreement.assertAgrees("native dw vs naive", c, expected.weight(), nat.weight(), 1e-5f);
            assertArrayEquals(expected.bias(), heap.bias(), 1e-5f * Math.max(1f, maxAbs(expected.bias())));

            ConvGradients again = HEAP.backward(x, w, dy, c.p());
            assertArrayEquals(heap.input().data(), again.input().data(), "dx, second call");
            assertArrayEquals(heap.weight().data(), again.weight().data(), "dw, second call");
        }));
    }

    @Test
    void bandsHoldAtMostHeapBandFloatsOfColumns() {
        // 1 channel, 2x2 kernel, 499 outputs per row: 4 * 499 floats per output row.
        ConvShape s = ConvShape.forward(Tensor4D.zeros(1, 1, 500, 500), Tensor4D.zeros(1, 1, 2, 2), null,
                ConvParams.DEFAULT);
        WorkPlan plan = WorkPlan.of(s, Workspace.DEFAULT_LIMIT_BYTES, true);
        assertEquals(Im2colBackend.HEAP_BAND_FLOATS / (4 * 499), heapBandRowsOf(s, plan));
    }

    private static int heapBandRowsOf(ConvShape s, WorkPlan plan) {
        return Im2colBackend.heapBandRows(s, plan);
    }

    private static float maxAbs(float[] v) {
        float m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    @Test
    void thinSgemmNTAddsDotProductsOfRows() {
        // A (2 x 3) * B^T with B (2 x 3): C[i][r] += sum_t A[i][t] * B[r][t], on offsets and leading dimensions.
        float[] a = {9, 1, 2, 3, 0, 4, 5, 6, 0};      // offset 1, lda 4: rows {1,2,3}, {4,5,6}
        float[] b = {1, 0, 1, 7, 2, 1, 0, 7};         // offset 0, ldb 4: rows {1,0,1}, {2,1,0}
        double[] c = {100, 1, 1, 1, 1};               // offset 1: adds to the existing values
        Gemm.thinSgemmNT(a, 1, 4, 2, 2, b, 0, 4, 3, c, 1);
        assertArrayEquals(new double[]{100, 1 + 4, 1 + 4, 1 + 10, 1 + 13}, c);
    }

    @Test
    void thinSgemmTNMultipliesTheTransposeAndPropagatesNaN() {
        // A stored 2 x 3 (m x p); C (3 x 2) = A^T * B with B (2 x 2), ldc 3 leaves column 2 of C alone.
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {1, Float.NaN, 10, 100};
        float[] c = {-1, -1, 42, -1, -1, 42, -1, -1, 42};
        Gemm.thinSgemmTN(a, 0, 2, 3, b, 0, 2, 2, c, 0, 3);
        assertEquals(1 + 40, c[0]);
        assertTrue(Float.isNaN(c[1]));
        assertEquals(2 + 50, c[3]);
        assertEquals(3 + 60, c[6]);
        assertEquals(42, c[2]);
        assertEquals(42, c[5]);
        assertEquals(42, c[8]);
    }
}
