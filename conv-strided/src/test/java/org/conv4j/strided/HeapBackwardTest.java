package org.conv4j.strided;

import org.conv4j.openblas.GemmTuning;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The thin backward pass on the Java heap ({@link StridedBackend#backwardOnHeap}) on shapes larger than the
 * kit's (several bands of {@link GemmTuning#HEAP_BAND_FLOATS}, long dot products): compared with the naive
 * reference (tolerance 1e-5 of the reference's largest value, as in the kit) and with the native gathered path,
 * and run twice for identical results.
 */
class HeapBackwardTest {

    private record Case(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
    }

    private static final ConvBackend NAIVE = Conv2d.backend("naive");
    private static final StridedBackend STRIDED = new StridedBackend();

    private static Stream<Case> cases() {
        return Stream.of(
                new Case("thin scaling case 1x1x211x197 * 1x1x2x2", 1, 1, 211, 197, 1, 2, 2, ConvParams.DEFAULT),
                new Case("thin, batch 2, stride 2, asymmetric padding, dilation", 2, 1, 183, 170, 1, 3, 2,
                        ConvParams.builder().stride(2, 1).padding(1, 0, 2, 1).dilation(1, 2).build()),
                new Case("depthwise 3x3, groups 3", 1, 3, 130, 121, 3, 3, 3,
                        ConvParams.builder().groups(3).padding(1).build()),
                new Case("2 -> 2 channels 2x2 (zero-copy natively)", 1, 2, 150, 140, 2, 2, 2, ConvParams.DEFAULT));
    }

    @TestFactory
    Stream<DynamicTest> agreesWithNaiveAndWithTheNativePath() {
        return cases().map(c -> DynamicTest.dynamicTest(c.label(), () -> {
            Tensor4D x = Tensor4D.random(1, c.n(), c.c(), c.h(), c.w());
            Tensor4D w = Tensor4D.random(2, c.k(), c.c() / c.p().groups(), c.kh(), c.kw());
            ConvShape s = ConvShape.forward(x, w, null, c.p());
            assertTrue(StridedBackend.isThin(s), "case must take the heap path");
            assertTrue(StridedBackend.heapBandRows(s) < s.outH(), "case must have several bands");
            Tensor4D dy = Tensor4D.random(3, c.n(), c.k(), s.outH(), s.outW());

            ConvGradients expected = NAIVE.backward(x, w, dy, c.p());
            ConvGradients heap = STRIDED.backward(x, w, dy, c.p());
            ConvGradients nat = STRIDED.backward(s, StridedBackend.backwardPath(s, x, w), x, w, dy);
            Agreement.assertGradientsAgree("heap vs naive:", c, expected, heap, 1e-5f);
            Agreement.assertGradientsAgree("native vs naive:", c, expected, nat, 1e-5f);
            assertArrayEquals(nat.bias(), heap.bias());

            Agreement.assertSameGradients("second call", heap, STRIDED.backward(x, w, dy, c.p()));
        }));
    }

    @Test
    void onlyThinShapesTakeTheHeapPath() {
        ConvShape scaling = ConvShape.forward(Tensor4D.zeros(1, 1, 500, 500), Tensor4D.zeros(1, 1, 2, 2), null,
                ConvParams.DEFAULT);
        assertTrue(StridedBackend.isThin(scaling));
        assertEquals(GemmTuning.HEAP_BAND_FLOATS / (4 * 499), StridedBackend.heapBandRows(scaling));
        ConvShape resnet = ConvShape.forward(Tensor4D.zeros(1, 64, 56, 56), Tensor4D.zeros(64, 64, 3, 3), null,
                ConvParams.builder().padding(1).build());
        assertFalse(StridedBackend.isThin(resnet));
    }
}
