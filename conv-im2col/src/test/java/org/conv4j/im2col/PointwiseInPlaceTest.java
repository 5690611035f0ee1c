package org.conv4j.im2col;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.ConvParams;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pointwise layers on native tensors run as GEMMs on the caller's memory: every layout, with and without a bias,
 * agree with the naive reference, including a non-finite input pixel that must reach only its own outputs.
 */
class PointwiseInPlaceTest {

    private static final ConvBackend NAIVE = Conv2d.backend("naive");
    private static final Im2colBackend IM2COL = new Im2colBackend();

    @Test
    void onlyPointwiseLayersOnNativeOperandsOfOneLayoutRunInPlace() {
        Tensor4D w1 = Tensor4D.random(3, 4, 2, 1, 1);
        Tensor4D w3 = Tensor4D.random(3, 4, 2, 3, 3);
        try (Tensor4D nchw = Tensor4D.allocateNative(MemoryLayout.NCHW, 1, 2, 5, 5);
             Tensor4D nhwc = Tensor4D.allocateNative(MemoryLayout.NHWC, 1, 4, 5, 5)) {
            ConvParams none = ConvParams.builder().build();
            org.conv4j.api.ConvShape pointwise = ConvShape.forward(nchw, w1, null, none);
            assertTrue(!IM2COL.forwardsInPlace(pointwise, nchw, nhwc), "mixed layouts");
            assertTrue(!IM2COL.forwardsInPlace(pointwise, nchw, Tensor4D.zeros(1, 4, 5, 5)), "heap output");
            assertTrue(!IM2COL.forwardsInPlace(ConvShape.forward(nchw, w3, null, none), nchw, nhwc),
                    "3x3 kernel");
            ConvParams strided = ConvParams.builder().stride(2).build();
            assertTrue(!IM2COL.forwardsInPlace(ConvShape.forward(nchw, w1, null, strided), nchw,
                    Tensor4D.allocateNative(MemoryLayout.NCHW, 1, 4, 3, 3)), "stride 2");
        }
    }

    @Test
    void nativeInputAndOutputAgreeWithTheReferenceInEveryLayout() {
        Tensor4D x = Tensor4D.random(1, 3, 5, 6, 4);
        x.set(1, 2, 3, 1, Float.NaN);
        Tensor4D w = Tensor4D.random(2, 7, 5, 1, 1);
        float[] bias = {0.5f, -1, 2, 0, 0.25f, 3, -0.75f};
        ConvParams p = ConvParams.builder().build();
        for (float[] b : new float[][] {bias, null}) {
            Tensor4D expected = NAIVE.forward(x, w, b, p);
            for (MemoryLayout layout : MemoryLayout.values()) {
                try (Tensor4D in = x.toNative(layout);
                     Tensor4D out = Tensor4D.allocateNative(layout, 3, 7, 6, 4).fill(Float.NaN)) {
                    assertTrue(IM2COL.forwardsInPlace(ConvShape.forward(in, w, b, p), in, out));
                    IM2COL.forwardInto(in, w, b, p, out);
                    Agreement.assertAgrees("pointwise in place, " + layout, p, expected, out.toHeapNchw(), 1e-5f);
                    assertTrue(Float.isNaN(out.get(1, 0, 3, 1)));
                    assertEquals(expected.get(1, 0, 3, 2), out.get(1, 0, 3, 2), 1e-5f, "a NaN pixel stays in place");
                    Tensor4D y = IM2COL.forward(in, w, b, p);
                    assertEquals(layout, y.layout());
                    assertTrue(y.isNative());
                    Agreement.assertAgrees("pointwise forward, " + layout, p, expected, y.toHeapNchw(), 1e-5f);
                    y.close();
                }
            }
        }
    }
}
