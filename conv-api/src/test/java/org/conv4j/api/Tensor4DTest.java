package org.conv4j.api;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Tensor4DTest {

    @Test
    void nchwIndexing() {
        Tensor4D t = Tensor4D.zeros(2, 3, 4, 5);
        t.set(1, 2, 3, 4, 7f);
        assertEquals(7f, t.data()[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
        assertEquals(7f, t.get(1, 2, 3, 4));
        assertEquals(119, t.index(1, 2, 3, 4));
        assertEquals("[2, 3, 4, 5]", t.shapeString());
    }

    @Test
    void wrapSharesTheArray() {
        float[] data = new float[6];
        Tensor4D t = Tensor4D.wrap(data, 1, 1, 2, 3);
        assertSame(data, t.data());
        t.set(0, 0, 1, 2, 3f);
        assertEquals(3f, data[5]);
    }

    @Test
    void wrapRejectsAWrongLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor4D.wrap(new float[5], 1, 1, 2, 3));
        assertEquals("data: expected length 6 for shape [1, 1, 2, 3], got 5", e.getMessage());
        NullPointerException npe = assertThrows(NullPointerException.class, () -> Tensor4D.wrap(null, 1, 1, 1, 1));
        assertTrue(npe.getMessage().contains("data"));
    }

    @Test
    void rejectsNonPositiveDimensions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor4D.zeros(1, 0, 2, 2));
        assertEquals("shape: expected every dimension >= 1, got [1, 0, 2, 2]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor4D.zeros(-1, 1, 2, 2));
    }

    @Test
    void rejectsAnElementCountThatOverflowsInt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor4D.zeros(65536, 65536, 1, 1));
        assertTrue(e.getMessage().contains("expected at most 2147483647 elements, got 4294967296"), e.getMessage());
        // 2^32 wraps to 0 in int arithmetic: the check must not be fooled by that
        assertThrows(IllegalArgumentException.class, () -> Tensor4D.wrap(new float[0], 65536, 65536, 1, 1));
    }

    @Test
    void indexOutOfRangeIsReportedByName() {
        Tensor4D t = Tensor4D.zeros(1, 2, 3, 4);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 2, 0, 0));
        assertEquals("index c: expected 0 <= c < 2 for a tensor of shape [1, 2, 3, 4], got 2", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> t.set(0, 0, 0, -1, 1f));
    }

    @Test
    void randomIsReproducibleAndBounded() {
        Tensor4D a = Tensor4D.random(5, 2, 3, 4, 5);
        assertEquals(a, Tensor4D.random(5, 2, 3, 4, 5));
        assertNotEquals(a, Tensor4D.random(6, 2, 3, 4, 5));
        for (float v : a.data()) {
            assertTrue(v >= -1f && v < 1f);
        }
    }

    @Test
    void comparisonsTreatNonFiniteValuesByKind() {
        Tensor4D a = Tensor4D.wrap(new float[] {1f, Float.NaN, Float.POSITIVE_INFINITY}, 1, 1, 1, 3);
        Tensor4D b = Tensor4D.wrap(new float[] {1.5f, Float.NaN, Float.POSITIVE_INFINITY}, 1, 1, 1, 3);
        assertEquals(0.5f, a.maxAbsDiff(b));
        assertTrue(a.allClose(b, 0f, 0.5f));
        assertFalse(a.allClose(b, 0f, 0.4f));
        b.set(0, 0, 0, 2, Float.NEGATIVE_INFINITY);
        assertEquals(Float.POSITIVE_INFINITY, a.maxAbsDiff(b));
        assertEquals(Float.POSITIVE_INFINITY, a.maxAbs());
        assertThrows(IllegalArgumentException.class, () -> a.maxAbsDiff(Tensor4D.zeros(1, 1, 3, 1)));
    }

    @Test
    void copyIsDeep() {
        Tensor4D a = Tensor4D.random(1, 1, 1, 2, 2);
        Tensor4D b = a.copy();
        assertEquals(a, b);
        b.fill(0f);
        assertNotEquals(a, b);
        assertEquals("Tensor4D[1, 1, 2, 2] [0.0, 0.0, 0.0, 0.0]", b.toString());
    }

    /**
     * Every non-finite kind at every position of arrays of length 0 to 20 (both sides of the eight-way unrolled
     * loop and its tail) is found, only inside the scanned range; finite values of any size, and negative zeros,
     * are not reported.
     */
    @Test
    void allFiniteFindsEachNonFiniteValueOnlyInsideItsRange() {
        float[] kinds = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int length = 0; length <= 20; length++) {
            float[] a = new float[length];
            for (int i = 0; i < length; i++) {
                a[i] = i % 3 == 0 ? -0f : (i % 2 == 0 ? Float.MAX_VALUE : -Float.MIN_VALUE * i);
            }
            assertTrue(Tensor4D.allFinite(a, 0, length), "length " + length);
            for (int at = 0; at < length; at++) {
                for (float kind : kinds) {
                    float kept = a[at];
                    a[at] = kind;
                    assertFalse(Tensor4D.allFinite(a, 0, length), kind + " at " + at + " of " + length);
                    assertTrue(Tensor4D.allFinite(a, 0, at), kind + " before the range");
                    assertTrue(Tensor4D.allFinite(a, at + 1, length), kind + " after the range");
                    a[at] = kept;
                }
            }
        }
        Tensor4D t = Tensor4D.random(3, 2, 3, 4, 5);
        assertTrue(t.allFinite());
        t.set(1, 2, 3, 4, Float.NaN);
        assertFalse(t.allFinite());
    }

    @Test
    void allFiniteNamesABadRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor4D.allFinite(new float[4], 2, 5));
        assertTrue(e.getMessage().contains("from, to") && e.getMessage().contains("<= 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor4D.allFinite(new float[4], 3, 2));
        assertThrows(IllegalArgumentException.class, () -> Tensor4D.allFinite(null, 0, 0));
    }

    // ---------------------------------------------------------------- layouts and storage

    @Test
    void nhwcStoresChannelsFastest() {
        Tensor4D t = Tensor4D.zeros(MemoryLayout.NHWC, 2, 3, 4, 5);
        t.set(1, 2, 3, 4, 7f);
        assertEquals(((1 * 4 + 3) * 5 + 4) * 3 + 2, t.index(1, 2, 3, 4));
        assertEquals(7f, t.data()[t.index(1, 2, 3, 4)]);
        assertEquals(7f, t.get(1, 2, 3, 4));
        assertEquals(MemoryLayout.NHWC, t.layout());
        assertFalse(t.isNative());
    }

    @Test
    void conversionsKeepEveryElementByLogicalIndex() {
        Tensor4D a = Tensor4D.random(3, 2, 3, 4, 5);
        for (MemoryLayout layout : MemoryLayout.values()) {
            Tensor4D heap = a.toLayout(layout);
            try (Tensor4D off = a.toNative(layout)) {
                assertEquals(layout, heap.layout());
                assertTrue(off.isNative());
                assertEquals(layout, off.layout());
                for (int n = 0; n < 2; n++) {
                    for (int c = 0; c < 3; c++) {
                        for (int h = 0; h < 4; h++) {
                            for (int w = 0; w < 5; w++) {
                                assertEquals(a.get(n, c, h, w), heap.get(n, c, h, w));
                                assertEquals(a.get(n, c, h, w), off.get(n, c, h, w));
                            }
                        }
                    }
                }
                assertEquals(a, heap);
                assertEquals(a, off);
                assertEquals(a.hashCode(), off.hashCode());
                assertEquals(0f, a.maxAbsDiff(off));
                assertEquals(a, off.toHeap().toLayout(MemoryLayout.NCHW));
                assertSame(heap, heap.toLayout(layout));
                assertEquals(a, Tensor4D.zeros(layout, 2, 3, 4, 5).copyFrom(off));
            }
        }
        assertSame(a, a.toHeapNchw());
    }

    /**
     * Every storage and layout into every other, on shapes that take each path of the copy: one channel and one
     * pixel (where the orders coincide), bands with a remainder, more channels than a band holds, and a tensor
     * large enough to be split among the processors.
     */
    @Test
    void copyFromMovesEachElementBetweenEveryStorageAndLayout() {
        int[][] shapes = {{2, 3, 4, 5}, {1, 1, 7, 9}, {3, 17, 1, 1}, {1, 3000, 3, 3}, {2, 70, 40, 50}};
        for (int[] s : shapes) {
            float[] values = new float[s[0] * s[1] * s[2] * s[3]];
            for (int i = 0; i < values.length; i++) {
                values[i] = i;
            }
            Tensor4D reference = Tensor4D.wrap(values, s[0], s[1], s[2], s[3]);
            for (MemoryLayout fromLayout : MemoryLayout.values()) {
                for (boolean fromNative : new boolean[] {false, true}) {
                    Tensor4D from = fromNative ? reference.toNative(fromLayout) : reference.toLayout(fromLayout);
                    for (MemoryLayout toLayout : MemoryLayout.values()) {
                        for (boolean toNative : new boolean[] {false, true}) {
                            try (Tensor4D to = toNative ? Tensor4D.allocateNative(toLayout, s[0], s[1], s[2], s[3])
                                    : Tensor4D.zeros(toLayout, s[0], s[1], s[2], s[3])) {
                                to.copyFrom(from);
                                for (int n = 0; n < s[0]; n++) {
                                    for (int c = 0; c < s[1]; c++) {
                                        for (int h = 0; h < s[2]; h++) {
                                            for (int w = 0; w < s[3]; w++) {
                                                if (to.get(n, c, h, w) != reference.get(n, c, h, w)) {
                                                    assertEquals(reference.get(n, c, h, w), to.get(n, c, h, w),
                                                            java.util.Arrays.toString(s) + " " + fromLayout
                                                                    + (fromNative ? " native" : " heap") + " -> "
                                                                    + toLayout + (toNative ? " native" : " heap")
                                                                    + " at " + n + "," + c + "," + h + "," + w);
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    from.close();
                }
            }
        }
    }

    @Test
    void aDirectBufferIsUsedInPlace() {
        FloatBuffer direct = ByteBuffer.allocateDirect(4 * 8).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.position(2); // the elements are those between position and limit
        direct.limit(8);
        Tensor4D t = Tensor4D.wrap(direct, MemoryLayout.NHWC, 1, 3, 1, 2);
        assertTrue(t.isNative());
        t.set(0, 1, 0, 0, 5f); // NHWC index 1, buffer index 2 + 1
        assertEquals(5f, direct.get(3));
        direct.put(7, 9f); // NHWC index 5 = (w 1, c 2)
        assertEquals(9f, t.get(0, 2, 0, 1));
        assertEquals(2, direct.position(), "wrap must not move the caller's position");
        t.close(); // not ours to free
        assertEquals(9f, direct.get(7));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.get(0, 0, 0, 0));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aHeapBufferWrapsItsWholeArrayOnly() {
        float[] array = new float[6];
        Tensor4D t = Tensor4D.wrap(FloatBuffer.wrap(array), MemoryLayout.NCHW, 1, 1, 2, 3);
        assertSame(array, t.data());
        IllegalArgumentException part = assertThrows(IllegalArgumentException.class,
                () -> Tensor4D.wrap(FloatBuffer.wrap(new float[8], 2, 6), MemoryLayout.NCHW, 1, 1, 2, 3));
        assertTrue(part.getMessage().contains("buffer: expected a direct buffer"), part.getMessage());
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> Tensor4D.wrap(FloatBuffer.allocate(5), MemoryLayout.NHWC, 1, 1, 2, 3));
        assertTrue(length.getMessage().contains("expected 6 elements") && length.getMessage().contains("got 5"),
                length.getMessage());
    }

    @Test
    void aClosedNativeTensorFailsClearlyAndDataNamesToHeap() {
        Tensor4D t = Tensor4D.allocateNative(MemoryLayout.NCHW, 1, 2, 2, 2);
        assertEquals(0f, t.maxAbs());
        IllegalStateException data = assertThrows(IllegalStateException.class, t::data);
        assertTrue(data.getMessage().contains("toHeap()"), data.getMessage());
        t.close();
        t.close(); // twice is fine
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, t::toHeap);
        assertThrows(IllegalStateException.class, () -> t.fill(1f));
        assertThrows(IllegalStateException.class, () -> Tensor4D.zeros(1, 2, 2, 2).copyFrom(t));
        Tensor4D heap = Tensor4D.zeros(MemoryLayout.NHWC, 1, 1, 1, 1);
        heap.close(); // a no-op on the heap
        assertFalse(heap.isClosed());
        assertEquals(0f, heap.get(0, 0, 0, 0));
    }
}
