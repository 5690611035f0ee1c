package org.conv4j.nd4j;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Nd4jInteropTest {

    @Test
    void roundTripPreservesShapeAndValues() {
        Tensor4D t = Tensor4D.random(1, 2, 3, 5, 7);
        INDArray a = Nd4jInterop.toINDArray(t);
        assertArrayEquals(new long[] {2, 3, 5, 7}, a.shape());
        assertEquals(DataType.FLOAT, a.dataType());
        assertEquals('c', a.ordering());
        assertEquals(t.get(1, 2, 4, 6), a.getFloat(1, 2, 4, 6));
        assertEquals(t.get(0, 1, 2, 3), a.getFloat(0, 1, 2, 3));
        assertEquals(t, Nd4jInterop.toTensor(a));
    }

    @Test
    void conversionsCopy() {
        Tensor4D t = Tensor4D.random(2, 1, 2, 2, 2);
        INDArray a = Nd4jInterop.toINDArray(t);
        t.set(0, 0, 0, 0, 100f);
        assertTrue(a.getFloat(0, 0, 0, 0) != 100f, "the array must not share the tensor's memory");
        Tensor4D back = Nd4jInterop.toTensor(a);
        a.putScalar(new long[] {0, 0, 0, 1}, 55f);
        assertTrue(back.get(0, 0, 0, 1) != 55f, "the tensor must not share the array's memory");
    }

    @Test
    void viewsStridesOrderAndDataTypesAreHonoured() {
        INDArray base = Nd4j.rand(DataType.DOUBLE, 3, 4, 6, 5);
        INDArray permuted = base.permute(0, 1, 3, 2);              // [3, 4, 5, 6], non-default strides
        INDArray sliced = permuted.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all(),
                NDArrayIndex.interval(1, 4), NDArrayIndex.all());   // [2, 4, 3, 6], a view with an offset
        INDArray fOrder = Nd4j.rand(DataType.FLOAT, 'f', 2, 3, 4, 5);
        for (INDArray a : new INDArray[] {base, permuted, sliced, fOrder}) {
            Tensor4D t = Nd4jInterop.toTensor(a);
            long[] s = a.shape();
            assertTrue(t.hasShape((int) s[0], (int) s[1], (int) s[2], (int) s[3]), t.shapeString());
            for (int n = 0; n < t.n(); n++) {
                for (int c = 0; c < t.c(); c++) {
                    for (int h = 0; h < t.h(); h++) {
                        for (int w = 0; w < t.w(); w++) {
                            assertEquals((float) a.getDouble(n, c, h, w), t.get(n, c, h, w),
                                    "element (" + n + ", " + c + ", " + h + ", " + w + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void yxioWeightsMapToOihw() {
        INDArray yxio = Nd4j.rand(DataType.FLOAT, 3, 2, 4, 5); // kH=3, kW=2, C=4, K=5
        Tensor4D oihw = Nd4jInterop.fromYxioWeights(yxio);
        assertTrue(oihw.hasShape(5, 4, 3, 2), oihw.shapeString());
        for (int k = 0; k < 5; k++) {
            for (int c = 0; c < 4; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 2; j++) {
                        assertEquals(yxio.getFloat(i, j, c, k), oihw.get(k, c, i, j));
                    }
                }
            }
        }
        INDArray back = Nd4jInterop.toYxioWeights(oihw);
        assertArrayEquals(new long[] {3, 2, 4, 5}, back.shape());
        assertEquals(yxio, back);
    }

    @Test
    void wrongRankIsRejectedNamingTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.toTensor(Nd4j.rand(DataType.FLOAT, 3, 4)));
        assertTrue(e.getMessage().startsWith("array: expected a non-empty rank-4"), e.getMessage());
        assertTrue(e.getMessage().contains("got rank 2 with shape [3, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.fromYxioWeights(Nd4j.rand(DataType.FLOAT, 3, 4, 5)));
        assertTrue(e.getMessage().startsWith("weights: expected a rank-4"), e.getMessage());
        assertThrows(NullPointerException.class, () -> Nd4jInterop.toTensor(null));
    }

    @Test
    void viewSharesTheArraysMemoryInBothLayouts() {
        INDArray nchw = Nd4j.rand(DataType.FLOAT, 2, 3, 4, 5);
        Tensor4D t = Nd4jInterop.view(nchw, MemoryLayout.NCHW);
        assertTrue(t.isNative());
        assertEquals(nchw.getFloat(1, 2, 3, 4), t.get(1, 2, 3, 4));
        t.set(0, 1, 2, 3, 42f);
        assertEquals(42f, nchw.getFloat(0, 1, 2, 3), "a write through the tensor reaches the array");

        INDArray nhwc = Nd4j.rand(DataType.FLOAT, 2, 4, 5, 3); // [N, H, W, C]
        Tensor4D last = Nd4jInterop.view(nhwc, MemoryLayout.NHWC);
        assertEquals(MemoryLayout.NHWC, last.layout());
        assertEquals(2, last.n());
        assertEquals(3, last.c());
        assertEquals(nhwc.getFloat(1, 3, 4, 2), last.get(1, 2, 3, 4));
        nhwc.putScalar(new long[] {0, 1, 2, 0}, -7f);
        assertEquals(-7f, last.get(0, 0, 1, 2), "a write through the array reaches the tensor");

        // a convolution on the views equals one on heap copies
        Tensor4D w = Tensor4D.random(3, 4, 3, 3, 3);
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D expected = Conv2d.backend("naive").forward(last.toHeapNchw(), w, null, p);
        Tensor4D y = Conv2d.backend("naive").forward(last, w, null, p);
        assertEquals(MemoryLayout.NHWC, y.layout());
        assertTrue(y.isNative());
        assertEquals(0f, expected.maxAbsDiff(y));
    }

    @Test
    void viewRejectsWhatItCannotShare() {
        assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.view(Nd4j.rand(DataType.DOUBLE, 1, 2, 3, 4), MemoryLayout.NCHW));
        assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.view(Nd4j.rand(DataType.FLOAT, 1, 2, 3, 4).permute(0, 2, 3, 1), MemoryLayout.NHWC));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.view(Nd4j.rand(DataType.FLOAT, 2, 3), MemoryLayout.NCHW));
        assertTrue(e.getMessage().startsWith("array: expected a dense FLOAT rank-4"), e.getMessage());
    }

    @Test
    void aNativeTensorIsViewedAsAnArrayWithoutACopy() {
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor4D t = Tensor4D.random(11, 2, 3, 4, 5).toNative(layout)) {
                INDArray a = Nd4jInterop.view(t);
                long[] expected = layout == MemoryLayout.NHWC ? new long[] {2, 4, 5, 3} : new long[] {2, 3, 4, 5};
                assertArrayEquals(expected, a.shape());
                for (int n = 0; n < 2; n++) {
                    for (int c = 0; c < 3; c++) {
                        for (int h = 0; h < 4; h++) {
                            for (int w = 0; w < 5; w++) {
                                float v = layout == MemoryLayout.NHWC ? a.getFloat(n, h, w, c) : a.getFloat(n, c, h, w);
                                assertEquals(t.get(n, c, h, w), v);
                            }
                        }
                    }
                }
                // shared both ways
                t.set(1, 2, 3, 4, 42f);
                assertEquals(42f, layout == MemoryLayout.NHWC ? a.getFloat(1, 3, 4, 2) : a.getFloat(1, 2, 3, 4));
                if (layout == MemoryLayout.NHWC) {
                    a.putScalar(new long[] {0, 1, 2, 0}, -7f);
                } else {
                    a.putScalar(new long[] {0, 0, 1, 2}, -7f);
                }
                assertEquals(-7f, t.get(0, 0, 1, 2));
                // and back: the array viewed as a tensor is the same memory
                assertEquals(t, Nd4jInterop.view(a, layout));
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jInterop.view(Tensor4D.zeros(1, 1, 2, 2)));
        assertTrue(e.getMessage().startsWith("tensor:"), e.getMessage());
    }
}
