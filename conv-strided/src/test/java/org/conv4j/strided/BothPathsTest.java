package org.conv4j.strided;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.strided.StridedBackend.Path;
import org.conv4j.testkit.Agreement;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance kit runs whichever path {@link StridedBackend} picks, and most of its cases have few
 * channels, so the gathered path dominates there. This test forces EACH path on every kit case it can run
 * (zero-copy needs both strides 1) and compares forward, dX, dW and db with the naive reference.
 */
class BothPathsTest {

    private static final float TOLERANCE = 1e-5f;

    private static List<ConvCase> cases() {
        List<ConvCase> all = new ArrayList<>(ConvCases.edgeCases());
        all.addAll(ConvCases.sweep(0xB07A, 120));
        // many channels: the shapes the zero-copy path is chosen for by default
        all.add(new ConvCase("wide, 3x3 pad 1", 91, 2, 32, 9, 11, 8, 3, 3, ConvParams.builder().padding(1).build(), true));
        all.add(new ConvCase("wide, groups 2, dilated, asymmetric padding", 92, 1, 40, 10, 7, 6, 3, 2,
                ConvParams.builder().groups(2).dilation(2, 1).padding(2, 0, 1, 3).build(), true));
        return all;
    }

    @TestFactory
    Stream<DynamicTest> zeroCopyPathAgreesWithReference() {
        return cases().stream().filter(c -> !c.params().isStrided())
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, Path.ZERO_COPY)));
    }

    @TestFactory
    Stream<DynamicTest> gatheredPathAgreesWithReference() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c, Path.GATHERED)));
    }

    private static void check(ConvCase c, Path path) {
        ConvBackend ref = Conv2d.backend("naive");
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvShape s = c.shape();
        Tensor4D y = StridedBackend.forward(s, path, x, w, c.bias(),
                Tensor4D.filled(Float.NaN, s.batch(), s.outChannels(), s.outH(), s.outW()));
        Agreement.assertAgrees("forward " + path, c, ref.forward(x, w, c.bias(), c.params()), y, TOLERANCE);
        ConvGradients expected = ref.backward(x, w, dy, c.params());
        ConvGradients actual = StridedBackend.backward(ConvShape.backward(x, w, dy, c.params()), path, x, w, dy);
        Agreement.assertAgrees("dL/dx " + path, c, expected.input(), actual.input(), TOLERANCE);
        Agreement.assertAgrees("dL/dw " + path, c, expected.weight(), actual.weight(), TOLERANCE);
        Agreement.assertAgrees("dL/db " + path, c, expected.biasTensor(), actual.biasTensor(), TOLERANCE);
    }

    @Test
    void pathChoice() {
        Tensor4D x = Tensor4D.random(1, 1, 32, 8, 8);
        Tensor4D w = Tensor4D.random(2, 4, 32, 3, 3);
        ConvParams pad1 = ConvParams.builder().padding(1).build();
        ConvShape wide = ConvShape.forward(x, w, null, pad1);
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(wide), "many channels, stride 1");
        assertEquals(Path.ZERO_COPY, StridedBackend.backwardPath(wide, x, w), "finite data");
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(
                ConvShape.forward(x, w, null, pad1.toBuilder().stride(2).build())), "strided");
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(ConvShape.forward(x, Tensor4D.random(5, 64, 8, 3, 3),
                null, pad1.toBuilder().groups(4).build())), "groups leave 8 channels for 16 filters per group");
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(ConvShape.forward(x, Tensor4D.random(5, 4, 8, 3, 3),
                null, pad1.toBuilder().groups(4).build())), "8 channels for 1 filter per group");
        Tensor4D narrow = Tensor4D.random(3, 1, 2, 8, 8);
        assertEquals(Path.GATHERED, StridedBackend.forwardPath(
                ConvShape.forward(narrow, Tensor4D.random(4, 4, 2, 3, 3), null, pad1)), "few channels, 3x3");
        assertEquals(Path.ZERO_COPY, StridedBackend.forwardPath(
                ConvShape.forward(narrow, Tensor4D.random(4, 4, 2, 1, 1), null, ConvParams.DEFAULT)), "1x1 kernel");

        Tensor4D xNaN = x.copy();
        xNaN.set(0, 3, 4, 4, Float.NaN);
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(wide, xNaN, w), "NaN input");
        Tensor4D wInf = w.copy();
        wInf.set(1, 0, 0, 0, Float.POSITIVE_INFINITY);
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(wide, x, wInf), "infinite weight");
    }

    /**
     * Why the non-finite fallback exists: the zero-copy backward also sums over wrap-around columns (dY = 0
     * there), and 0 * NaN = NaN. A NaN in the last input column is read by a wrap-around column of tap
     * j = 0 only; the backend must still give the reference's finite dW for that tap.
     */
    @Test
    void nonFiniteInputTakesTheExactPathAndMatchesTheReference() {
        ConvCase c = new ConvCase("NaN in a wrap-around column", 93, 1, 32, 6, 6, 4, 3, 3, ConvParams.DEFAULT, false);
        Tensor4D x = c.input();
        x.set(0, 5, 2, 5, Float.NaN); // column W-1: taps j < kW-1 reach it only through wrap-around columns
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvGradients expected = Conv2d.backend("naive").backward(x, w, dy, c.params());
        ConvGradients actual = new StridedBackend().backward(x, w, dy, c.params());
        Agreement.assertAgrees("dL/dw", c, expected.weight(), actual.weight(), TOLERANCE);
        Agreement.assertAgrees("dL/dx", c, expected.input(), actual.input(), TOLERANCE);
        assertTrue(Float.isFinite(expected.weight().get(0, 5, 0, 0)), "the reference's dW tap (0, 0) is finite here");
    }
}
