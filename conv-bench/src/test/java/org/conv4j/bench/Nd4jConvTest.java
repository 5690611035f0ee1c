package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import java.util.stream.Stream;

/** The ND4J peer computes what the naive reference computes (so its timings compare like with like). */
class Nd4jConvTest {

    private static final ConvBackend NAIVE = Conv2d.backend("naive");

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("plain 3x3", 2, 3, 9, 7, 4, 3, 3, ConvParams.DEFAULT),
                Arguments.of("stride 2 pad 1", 2, 5, 11, 10, 6, 3, 3, ConvParams.builder().stride(2).padding(1).build()),
                Arguments.of("rectangular kernel, dilation", 1, 3, 12, 13, 5, 3, 2,
                        ConvParams.builder().dilation(2).padding(2, 1).build()),
                Arguments.of("even kernel, TF same", 1, 2, 8, 9, 3, 4, 4, ConvParams.builder().samePadding(8, 9, 4, 4).build()),
                Arguments.of("depthwise", 2, 6, 10, 10, 6, 3, 3, ConvParams.builder().padding(1).groups(6).build()),
                Arguments.of("1x1", 1, 7, 5, 5, 3, 1, 1, ConvParams.DEFAULT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndBackwardMatchNaive(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        Tensor4D x = Tensor4D.random(11, n, c, h, w);
        Tensor4D wt = Tensor4D.random(12, k, c / p.groups(), kh, kw);
        float[] b = Tensor4D.random(13, 1, k, 1, 1).data();
        Tensor4D ref = NAIVE.forward(x, wt, b, p);

        Nd4jConv nd = Nd4jConv.prepare(x, wt, b, p);
        nd.forward();
        Tensor4D y = nd.forwardResult();
        assertTrue(y.sameShape(ref), label + ": shape " + y.shapeString() + " vs " + ref.shapeString());
        float tol = 1e-5f * Math.max(1f, ref.maxAbs());
        assertTrue(y.maxAbsDiff(ref) <= tol, label + ": forward max diff " + y.maxAbsDiff(ref));

        Tensor4D dy = Tensor4D.random(14, ref.n(), ref.c(), ref.h(), ref.w());
        ConvGradients g = NAIVE.backward(x, wt, dy, p);
        nd.prepareBackward(dy);
        nd.backward();
        ConvGradients gn = nd.backwardResult();
        assertTrue(gn.input().maxAbsDiff(g.input()) <= 1e-5f * Math.max(1f, g.input().maxAbs()),
                label + ": dx max diff " + gn.input().maxAbsDiff(g.input()));
        assertTrue(gn.weight().maxAbsDiff(g.weight()) <= 1e-5f * Math.max(1f, g.weight().maxAbs()),
                label + ": dw max diff " + gn.weight().maxAbsDiff(g.weight()));
        assertTrue(gn.biasTensor().maxAbsDiff(g.biasTensor()) <= 1e-5f * Math.max(1f, g.biasTensor().maxAbs()),
                label + ": db max diff " + gn.biasTensor().maxAbsDiff(g.biasTensor()));
    }

    @Test
    void groupsOtherThanDepthwiseAreReportedUnsupported() {
        Tensor4D x = Tensor4D.random(1, 1, 4, 5, 5);
        Tensor4D w = Tensor4D.random(2, 4, 2, 3, 3);
        ConvParams p = ConvParams.builder().groups(2).build();
        assertNotNull(Nd4jConv.unsupportedReason(ConvShape.forward(x, w, null, p)));
        assertThrows(UnsupportedOperationException.class, () -> Nd4jConv.prepare(x, w, null, p));
    }

    @Test
    void asymmetricNonSamePaddingIsReportedUnsupported() {
        Tensor4D x = Tensor4D.random(1, 1, 2, 6, 6);
        Tensor4D w = Tensor4D.random(2, 3, 2, 3, 3);
        ConvParams odd = ConvParams.builder().padding(0, 2, 1, 1).build();
        assertNotNull(Nd4jConv.unsupportedReason(ConvShape.forward(x, w, null, odd)));
        assertNull(Nd4jConv.unsupportedReason(ConvShape.forward(x, w, null, ConvParams.builder().padding(1).build())));
    }

    @Test
    void sgemmProbeMultiplies() {
        SgemmProbe probe = new SgemmProbe(64, 5);
        assertEquals(2L * 64 * 64 * 64, probe.flops());
        assertEquals(64, probe.run().rows());
    }
}
