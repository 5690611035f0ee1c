package org.conv4j.onednn;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forward pass on native tensors in place: oneDNN reads and writes the caller's memory. */
class InPlaceTest {

    private final OnednnBackend onednn = new OnednnBackend();
    private final ConvParams params = ConvParams.builder().padding(1).build();

    @Test
    void nativeNhwcRunsWithoutCopiesOrReordersAndAgreesWithTheReference() {
        Tensor4D x = Tensor4D.random(1, 2, 32, 14, 14);
        Tensor4D w = Tensor4D.random(2, 48, 32, 3, 3);
        float[] b = new float[48];
        b[5] = 1f;
        Tensor4D expected = Conv2d.backend("naive").forward(x, w, b, params);
        ConvShape s = ConvShape.forward(x, w, b, params);
        assertTrue(onednn.forwardsInPlace(s, x.toNative(MemoryLayout.NHWC), s.newOutput().toNative(MemoryLayout.NHWC)));
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor4D xn = x.toNative(layout);
                 Tensor4D out = Tensor4D.allocateNative(layout, 2, 48, 14, 14).fill(Float.NaN)) {
                assertSame(out, onednn.forwardInto(xn, w, b, params, out));
                assertTrue(expected.maxAbsDiff(out) < 1e-4f, layout + ": " + expected.maxAbsDiff(out));
                try (Tensor4D y = onednn.forward(xn, w, b, params)) {
                    assertEquals(layout, y.layout());
                    assertTrue(y.isNative());
                    assertTrue(expected.maxAbsDiff(y) < 1e-4f, layout + ": " + expected.maxAbsDiff(y));
                }
            }
        }
        assertTrue(OnednnBackend.inPlaceWithoutReorders(s, true, MemoryLayout.NHWC),
                "oneDNN should read and write nhwc as it is");
    }

    @Test
    void buffersInTheOtherByteOrderAreConvertedInstead() {
        Tensor4D x = Tensor4D.random(3, 1, 4, 6, 6);
        Tensor4D w = Tensor4D.random(4, 4, 4, 3, 3);
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN;
        Tensor4D xo = Tensor4D.wrap(ByteBuffer.allocateDirect(4 * 144).order(other).asFloatBuffer(),
                MemoryLayout.NHWC, 1, 4, 6, 6).copyFrom(x);
        Tensor4D out = Tensor4D.allocateNative(MemoryLayout.NHWC, 1, 4, 6, 6);
        ConvShape s = ConvShape.forward(x, w, null, params);
        assertFalse(onednn.forwardsInPlace(s, xo, out));
        onednn.forwardInto(xo, w, null, params, out);
        Tensor4D expected = Conv2d.backend("naive").forward(x, w, null, params);
        assertTrue(expected.maxAbsDiff(out) < 1e-4f, "" + expected.maxAbsDiff(out));
        out.close();
    }

    @Test
    void anOutputOverTheInputIsComputedThroughCopies() {
        Tensor4D x = Tensor4D.random(4, 2, 8, 9, 7);
        Tensor4D w = Tensor4D.random(5, 8, 8, 3, 3);
        Tensor4D expected = Conv2d.backend("naive").forward(x, w, null, params);
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor4D xn = x.toNative(layout)) {
                assertFalse(onednn.forwardsInPlace(ConvShape.forward(x, w, null, params), xn, xn), layout.name());
                assertSame(xn, onednn.forwardInto(xn, w, null, params, xn));
                assertTrue(expected.maxAbsDiff(xn) < 1e-4f, layout + ": " + expected.maxAbsDiff(xn));
            }
        }
    }

    @Test
    void concurrentCallsOnASharedNativeInputGiveTheSerialResults() throws Exception {
        Tensor4D w = Tensor4D.random(5, 16, 16, 3, 3);
        try (Tensor4D x = Tensor4D.random(6, 2, 16, 12, 12).toNative(MemoryLayout.NHWC)) {
            Tensor4D serial = onednn.forward(x, w, null, params).toHeapNchw();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                java.util.List<java.util.concurrent.Future<Tensor4D>> results = new java.util.ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    results.add(pool.submit(() -> {
                        try (Tensor4D y = onednn.forward(x, w, null, params)) {
                            return y.toHeapNchw();
                        }
                    }));
                }
                for (java.util.concurrent.Future<Tensor4D> r : results) {
                    assertEquals(serial, r.get());
                }
            } finally {
                pool.shutdown();
            }
        }
    }
}
