package org.conv4j.api;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Tensor3DTest {

    @Test
    void ncwIndexIsChannelsFirst() {
        Tensor3D t = Tensor3D.zeros(2, 3, 5);
        t.set(1, 2, 4, 7f);
        assertEquals((1 * 3 + 2) * 5 + 4, t.index(1, 2, 4));
        assertEquals(7f, t.data()[(1 * 3 + 2) * 5 + 4]);
        assertEquals(7f, t.get(1, 2, 4));
        assertEquals("[2, 3, 5]", t.shapeString());
        assertEquals(Tensor3D.NCW, t.layout());
        assertTrue(t.isHeapNcw());
    }

    @Test
    void nwcIndexIsChannelsLast() {
        Tensor3D t = Tensor3D.zeros(Tensor3D.NWC, 2, 3, 5);
        t.set(1, 2, 4, 7f);
        assertEquals((1 * 5 + 4) * 3 + 2, t.index(1, 2, 4));
        assertEquals(7f, t.data()[(1 * 5 + 4) * 3 + 2]);
        assertFalse(t.isHeapNcw());
    }

    @Test
    void viewsShareTheStorageBothWays() {
        float[] data = new float[2 * 3 * 4];
        Tensor4D four = Tensor4D.wrap(data, MemoryLayout.NHWC, 2, 3, 1, 4);
        Tensor3D three = Tensor3D.view(four);
        assertSame(four, three.asTensor4D());
        assertSame(data, three.data());
        three.set(1, 2, 3, 5f);
        assertEquals(5f, four.get(1, 2, 0, 3));
        four.set(0, 1, 0, 2, 6f);
        assertEquals(6f, three.get(0, 1, 2));
        assertEquals(Tensor3D.NWC, three.layout());
        assertArrayEquals(new int[] {2, 3, 4}, three.shape());
    }

    @Test
    void viewRequiresHeightOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor3D.view(Tensor4D.zeros(1, 2, 3, 4)));
        assertEquals("t: expected height 1 (shape (n, c, 1, w)) to view as (n, c, w), got shape [1, 2, 3, 4]",
                e.getMessage());
        assertThrows(NullPointerException.class, () -> Tensor3D.view(null));
    }

    @Test
    void badShapesAndLengthsAreNamedIn1dTerms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor3D.zeros(1, 0, 2));
        assertEquals("shape: expected every dimension >= 1, got [1, 0, 2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor3D.wrap(new float[5], 1, 2, 3));
        assertEquals("data: expected length 6 for shape [1, 2, 3], got 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor3D.zeros(65536, 65536, 1));
        assertTrue(e.getMessage().contains("expected at most 2147483647 elements, got 4294967296"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Tensor3D.wrap(FloatBuffer.allocate(4), Tensor3D.NCW, null, 1, 1, 5));
        assertTrue(e.getMessage().startsWith("buffer: expected 5 elements"), e.getMessage());
        IndexOutOfBoundsException ix = assertThrows(IndexOutOfBoundsException.class,
                () -> Tensor3D.zeros(1, 2, 3).get(0, 2, 0));
        assertTrue(ix.getMessage().contains("index c: expected 0 <= c < 2"), ix.getMessage());
    }

    @Test
    void nativeStorageWrapsAndConvertsByLogicalIndex() {
        Tensor3D heap = Tensor3D.random(3, 2, 3, 7);
        assertEquals(Tensor4D.random(3, 2, 3, 1, 7).toString().replace("Tensor4D[2, 3, 1, 7]", "Tensor3D[2, 3, 7]"),
                heap.toString());
        try (Tensor3D nwc = heap.toNative(Tensor3D.NWC)) {
            assertTrue(nwc.isNative());
            assertEquals(heap, nwc);
            assertEquals(heap.get(1, 2, 6), nwc.get(1, 2, 6));
            assertEquals(heap.get(1, 2, 6), nwc.buffer().get((1 * 7 + 6) * 3 + 2));
            assertTrue(nwc.toString().startsWith("Tensor3D[2, 3, 7] NWC native"), nwc.toString());
            Tensor3D back = Tensor3D.zeros(2, 3, 7).copyFrom(nwc);
            assertEquals(heap, back);
            assertEquals(0f, heap.maxAbsDiff(back));
        }
        ByteBuffer bytes = ByteBuffer.allocateDirect(6 * Float.BYTES).order(ByteOrder.nativeOrder());
        Tensor3D wrapped = Tensor3D.wrap(bytes.asFloatBuffer(), Tensor3D.NCW, bytes, 1, 2, 3);
        wrapped.set(0, 1, 2, 4f);
        assertEquals(4f, bytes.asFloatBuffer().get(5));
        wrapped.close();
        assertTrue(wrapped.isClosed());
        assertTrue(wrapped.asTensor4D().isClosed());
    }

    @Test
    void copiesAreCopiesAndComparisonsAreByValue() {
        Tensor3D a = Tensor3D.random(5, 1, 2, 4);
        Tensor3D b = a.copy();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        b.set(0, 0, 0, 9f);
        assertNotEquals(a, b);
        assertSame(a, a.toLayout(Tensor3D.NCW));
        Tensor3D nwc = a.toLayout(Tensor3D.NWC);
        assertEquals(a, nwc);
        assertTrue(a.allClose(nwc, 0f, 0f));
        assertEquals(Tensor3D.filled(2f, 1, 2, 4), Tensor3D.zeros(1, 2, 4).fill(2f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.copyFrom(Tensor3D.zeros(1, 2, 5)));
        assertEquals("source: expected shape [1, 2, 4], got [1, 2, 5]", e.getMessage());
    }
}
