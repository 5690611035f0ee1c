package org.conv4j.direct;

import java.util.List;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.naive.NaiveBackend;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Shapes chosen to reach each path of the direct backend that the conformance kit's small cases may not:
 * work above the parallel threshold with a single plane (row bands), runs longer than one run buffer,
 * rows wider than a run, depthwise 3x3 at stride 1 and 2, padding wider than the kernel (output wider
 * than the input), and a non-finite weight with whole-row runs in the input gradient.
 */
class DirectPathsTest {

    private record Shape(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
    }

    private static final List<Shape> SHAPES = List.of(
            new Shape("one plane 2x2, parallel bands", 1, 1, 300, 300, 1, 2, 2, ConvParams.DEFAULT),
            new Shape("depthwise 3x3 s1 p1", 2, 8, 40, 40, 8, 3, 3, ConvParams.builder().padding(1).groups(8).build()),
            new Shape("depthwise 3x3 s2 p1", 2, 8, 41, 41, 8, 3, 3, ConvParams.builder().padding(1).stride(2).groups(8).build()),
            new Shape("depthwise multiplier 2, 3x3 p1", 1, 4, 30, 30, 8, 3, 3, ConvParams.builder().padding(1).groups(4).build()),
            new Shape("rows wider than a run", 1, 2, 5, 1500, 3, 2, 3, ConvParams.builder().padding(0, 1).build()),
            new Shape("padding wider than the kernel", 1, 3, 12, 9, 2, 2, 2, ConvParams.builder().padding(3, 1, 4, 2).build()),
            new Shape("5x5 dilated, 2 channels, stride 1", 2, 2, 33, 35, 3, 5, 5, ConvParams.builder().dilation(2).padding(3).build()),
            new Shape("stride 2x1", 1, 3, 25, 26, 4, 3, 3, ConvParams.builder().stride(2, 1).padding(1).build()));

    @TestFactory
    List<DynamicTest> everyPathAgreesWithTheReference() {
        ConvBackend direct = new DirectBackend();
        ConvBackend naive = new NaiveBackend();
        return SHAPES.stream().map(s -> DynamicTest.dynamicTest(s.label(), () -> {
            Tensor4D x = Tensor4D.random(11, s.n(), s.c(), s.h(), s.w());
            Tensor4D w = Tensor4D.random(12, s.k(), s.c() / s.p().groups(), s.kh(), s.kw());
            float[] bias = java.util.Arrays.copyOf(new float[] {0.25f, -0.5f, 1f, 0f, 0.125f, 2f, -1f, 0.5f}, s.k());
            Tensor4D expected = naive.forward(x, w, bias, s.p());
            Agreement.assertAgrees("forward", s, expected, direct.forward(x, w, bias, s.p()), 1e-5f);
            Tensor4D dy = Tensor4D.random(13, expected.n(), expected.c(), expected.h(), expected.w());
            assertGradients(s, naive.backward(x, w, dy, s.p()), direct.backward(x, w, dy, s.p()));
            w.set(0, 0, 0, s.kw() - 1, Float.NaN);
            Agreement.assertAgrees("forward, NaN weight", s, naive.forward(x, w, bias, s.p()),
                    direct.forward(x, w, bias, s.p()), 1e-5f);
            assertGradients(s, naive.backward(x, w, dy, s.p()), direct.backward(x, w, dy, s.p()));
        })).toList();
    }

    private static void assertGradients(Shape s, ConvGradients expected, ConvGradients actual) {
        Agreement.assertAgrees("dL/dx", s, expected.input(), actual.input(), 1e-5f);
        Agreement.assertAgrees("dL/dw", s, expected.weight(), actual.weight(), 1e-5f);
        Agreement.assertAgrees("dL/db", s, expected.biasTensor(), actual.biasTensor(), 1e-5f);
    }
}
