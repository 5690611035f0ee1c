package org.conv4j.onednn;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.ParallelChunks;
import org.conv4j.naive.NaiveBackend;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Non-finite values that meet padding, where oneDNN's kernels (which skip padded taps) and conv4j's real
 * zero padding differ: a non-finite weight (forward) and a non-finite {@code dL/dy} at the border
 * ({@code dL/dw}; the conformance kit puts its {@code dL/dy} poison in the middle of the image, where no
 * tap reads padding). Results must match the naive reference, NaN for NaN.
 */
class PaddedTapsTest {

    private static final ConvBackend ONEDNN = new OnednnBackend();
    private static final ConvBackend NAIVE = new NaiveBackend();

    private record Geometry(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
    }

    private static final List<Geometry> GEOMETRIES = List.of(
            new Geometry("3x3 pad 1", 2, 3, 7, 8, 4, 3, 3, ConvParams.builder().padding(1).build()),
            new Geometry("asymmetric padding, stride 2", 1, 2, 9, 10, 3, 3, 2,
                    ConvParams.builder().padding(2, 0, 1, 3).stride(2).build()),
            new Geometry("dilated, strided", 1, 2, 11, 9, 3, 3, 3,
                    ConvParams.builder().padding(3).stride(2, 1).dilation(2, 3).build()),
            new Geometry("groups 2, padding wider than the kernel", 2, 4, 5, 6, 4, 2, 2,
                    ConvParams.builder().padding(3, 1, 2, 4).groups(2).build()),
            new Geometry("depthwise", 1, 3, 6, 6, 3, 3, 3, ConvParams.builder().padding(1).groups(3).build()));

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    @TestFactory
    Stream<DynamicTest> nonFiniteValuesOnPaddingMatchTheReference() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Geometry g : GEOMETRIES) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " in a corner weight, " + g.label(), () -> {
                    Tensor4D x = Tensor4D.random(1, g.n(), g.c(), g.h(), g.w());
                    Tensor4D w = Tensor4D.random(2, g.k(), g.c() / g.p().groups(), g.kh(), g.kw());
                    w.set(g.k() - 1, 0, 0, 0, bad);
                    w.set(0, 0, g.kh() - 1, g.kw() - 1, bad);
                    float[] b = Tensor4D.random(3, 1, 1, 1, g.k()).data();
                    Tensor4D expected = NAIVE.forward(x, w, b, g.p());
                    Tensor4D actual = ONEDNN.forward(x, w, b, g.p());
                    assertTrue(countNonFinite(expected) > 0, "the case must produce NaN outputs");
                    Agreement.assertAgrees("forward", g, expected, actual, OnednnBackend.TOLERANCE);
                }));
                tests.add(DynamicTest.dynamicTest(bad + " in dL/dy at the border, " + g.label(), () -> {
                    Tensor4D x = Tensor4D.random(1, g.n(), g.c(), g.h(), g.w());
                    Tensor4D w = Tensor4D.random(2, g.k(), g.c() / g.p().groups(), g.kh(), g.kw());
                    Tensor4D y = NAIVE.forward(x, w, null, g.p());
                    Tensor4D dy = Tensor4D.random(4, y.n(), y.c(), y.h(), y.w());
                    dy.set(0, 0, 0, 0, bad);
                    dy.set(y.n() - 1, y.c() - 1, y.h() - 1, y.w() - 1, bad);
                    ConvGradients expected = NAIVE.backward(x, w, dy, g.p());
                    ConvGradients actual = ONEDNN.backward(x, w, dy, g.p());
                    assertTrue(countNonFinite(expected.weight()) > 0, "the case must produce NaN in dL/dw");
                    assertTrue(countNonFinite(expected.weight()) < expected.weight().size(),
                            "the case must also have finite dL/dw elements");
                    Agreement.assertAgrees("dL/dx", g, expected.input(), actual.input(), OnednnBackend.TOLERANCE);
                    Agreement.assertAgrees("dL/dw", g, expected.weight(), actual.weight(), OnednnBackend.TOLERANCE);
                    Agreement.assertAgrees("dL/db", g, expected.biasTensor(), actual.biasTensor(),
                            OnednnBackend.TOLERANCE);
                }));
            }
        }
        return tests.stream();
    }

    /**
     * A non-finite {@code dL/dy} only where the window lies wholly in padding, and a finite {@code dL/dw} from
     * oneDNN (whose kernels skip padded taps, so that value never reaches it): the shortcut that scans
     * {@code dL/dw} in place of {@code dL/dy} must not be taken for such a geometry, and every tap of the
     * filter becomes NaN, as conv4j's zero padding gives. With a window that reads the input, a finite
     * {@code dL/dw} does prove {@code dL/dy} finite, and nothing is changed.
     */
    @Test
    void nonFiniteGradientWhereTheWholeWindowIsPadding() {
        ConvParams p = ConvParams.builder().padding(3, 0, 3, 0).build(); // output row and column 0 read only padding
        ConvShape s = ConvShape.forward(Tensor4D.zeros(1, 2, 6, 6), Tensor4D.zeros(3, 2, 2, 2), null, p);
        for (float bad : NON_FINITE) {
            Tensor4D dy = Tensor4D.random(4, 1, 3, s.outH(), s.outW());
            dy.set(0, 1, 0, 0, bad);
            float[] dw = new float[3 * 2 * 2 * 2];
            PaddedTaps.weightGradient(s, dy.data(), dw);
            for (int e = 0; e < dw.length; e++) {
                assertEquals(e / 8 == 1, Float.isNaN(dw[e]), "dL/dw element " + e + " with " + bad);
            }
        }
        ConvShape inside = ConvShape.forward(Tensor4D.zeros(1, 2, 6, 6), Tensor4D.zeros(3, 2, 3, 3), null,
                ConvParams.builder().padding(1).build());
        Tensor4D dy = Tensor4D.random(4, 1, 3, 6, 6);
        dy.set(0, 1, 0, 0, Float.NaN);
        float[] dw = new float[3 * 2 * 3 * 3];
        PaddedTaps.weightGradient(inside, dy.data(), dw);
        assertEquals(0, countNonFinite(Tensor4D.wrap(dw, 3, 2, 3, 3)),
                "a finite dL/dw where every window reads the input: left as it is");
    }

    private static int countNonFinite(Tensor4D t) {
        int count = 0;
        for (float v : t.data()) {
            count += Float.isFinite(v) ? 0 : 1;
        }
        return count;
    }

    @Test
    void hasNonFiniteFindsEveryKindAnywhere() {
        assertFindsEveryKind(1000);
    }

    /** Arrays scanned in parallel chunks: a value on either side of every chunk boundary is found. */
    @Test
    void hasNonFiniteFindsEveryKindInLargeArrays() {
        assertFindsEveryKind(3 * ParallelChunks.MIN_FLOATS + 5);
    }

    private static void assertFindsEveryKind(int length) {
        float[] a = new float[length];
        assertFalse(PaddedTaps.hasNonFinite(a));
        a[3] = Float.MAX_VALUE;
        a[4] = -Float.MIN_VALUE;
        assertFalse(PaddedTaps.hasNonFinite(a));
        List<Integer> positions = new ArrayList<>(List.of(0, length / 2 + 17, length - 1));
        int processors = Runtime.getRuntime().availableProcessors();
        for (int c = 1; c < processors; c++) {
            int boundary = (int) ((long) length * c / processors);
            positions.add(boundary - 1);
            positions.add(boundary);
        }
        for (float bad : NON_FINITE) {
            for (int at : positions) {
                a[at] = bad;
                assertTrue(PaddedTaps.hasNonFinite(a), bad + " at " + at + " of " + length);
                a[at] = 0;
            }
        }
    }
}
