package org.conv4j.im2col;

import org.conv4j.openblas.GemmTuning;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
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
 * {@link Im2colTuning#SMALL_MACS}, which the kit's small cases do not reach: long dot products in the weight
 * gradient and several bands of {@link GemmTuning#HEAP_BAND_FLOATS}. Each case is compared with the naive
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
                new Case("thin scaling case 1x1x211x197 * 1x1x2x2", 1, 1, 211, 197, 1, 2, 2, ConvParams.DEFAULT),
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
            assertTrue(s.macs() >= Im2colTuning.SMALL_MACS, "case must be above SMALL_MACS: " + s.macs());
            assertTrue((long) s.outChannelsPerGroup() * s.patchSize() < GemmTuning.THIN_GEMM, "case must be thin");
            Tensor4D dy = Tensor4D.random(3, c.n(), c.k(), s.outH(), s.outW());

            ConvGradients expected = NAIVE.backward(x, w, dy, c.p());
            ConvGradients heap = HEAP.backward(x, w, dy, c.p());
            ConvGradients nat = NATIVE.backward(x, w, dy, c.p());
            Agreement.assertGradientsAgree("heap vs naive:", c, expected, heap, 1e-5f);
            Agreement.assertGradientsAgree("native vs naive:", c, expected, nat, 1e-5f);
            assertArrayEquals(expected.bias(), heap.bias(), 1e-5f * Math.max(1f, Agreement.maxFiniteAbs(expected.biasTensor())));

            Agreement.assertSameGradients("second call", heap, HEAP.backward(x, w, dy, c.p()));
        }));
    }

    @Test
    void bandsHoldAtMostHeapBandFloatsOfColumns() {
        // 1 channel, 2x2 kernel, 499 outputs per row: 4 * 499 floats per output row.
        ConvShape s = ConvShape.forward(Tensor4D.zeros(1, 1, 500, 500), Tensor4D.zeros(1, 1, 2, 2), null,
                ConvParams.DEFAULT);
        WorkPlan plan = WorkPlan.of(s, Workspace.DEFAULT_LIMIT_BYTES, true);
        assertEquals(GemmTuning.HEAP_BAND_FLOATS / (4 * 499), Im2colBackend.heapBandRows(s, plan));
    }
}
