package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Tensor5DTest {

    @Test
    void ncdhwAndNdhwcIndexFormulas() {
        Tensor5D a = Tensor5D.zeros(2, 3, 4, 5, 6);
        assertEquals((((1 * 3 + 2) * 4 + 3) * 5 + 4) * 6 + 5, a.index(1, 2, 3, 4, 5));
        Tensor5D b = Tensor5D.zeros(Tensor5D.NDHWC, 2, 3, 4, 5, 6);
        assertEquals((((1 * 4 + 3) * 5 + 4) * 6 + 5) * 3 + 2, b.index(1, 2, 3, 4, 5));
        b.set(1, 2, 3, 4, 5, 7f);
        assertEquals(7f, b.data()[(((1 * 4 + 3) * 5 + 4) * 6 + 5) * 3 + 2]);
        assertEquals(7f, b.get(1, 2, 3, 4, 5));
        assertArrayEquals(new int[] {2, 3, 4, 5, 6}, b.shape());
        assertEquals("[2, 3, 4, 5, 6]", b.shapeString());
    }

    @Test
    void layoutsAndStoragesCompareByLogicalIndex() {
        Tensor5D a = Tensor5D.random(3, 2, 3, 2, 4, 5);
        Tensor5D b = a.toLayout(Tensor5D.NDHWC);
        assertEquals(a, b);
        assertEquals(a.get(1, 2, 1, 3, 4), b.get(1, 2, 1, 3, 4));
        try (Tensor5D n = b.toNative(Tensor5D.NDHWC)) {
            assertEquals(a, n);
            assertTrue(n.toString().startsWith("Tensor5D[2, 3, 2, 4, 5] NDHWC native"), n.toString());
            assertEquals(a, Tensor5D.zeros(2, 3, 2, 4, 5).copyFrom(n));
        }
        Tensor5D c = a.copy();
        c.set(0, 0, 1, 0, 0, 9f);
        assertNotEquals(a, c);
        assertEquals(0f, a.maxAbsDiff(b));
    }

    @Test
    void badShapesAndIndicesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor5D.zeros(1, 2, 0, 3, 4));
        assertEquals("shape: expected every dimension >= 1, got [1, 2, 0, 3, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor5D.wrap(new float[5], 1, 1, 2, 1, 3));
        assertEquals("data: expected length 6 for shape [1, 1, 2, 1, 3], got 5", e.getMessage());
        IndexOutOfBoundsException ix = assertThrows(IndexOutOfBoundsException.class,
                () -> Tensor5D.zeros(1, 1, 2, 3, 4).get(0, 0, 0, 3, 0));
        assertTrue(ix.getMessage().contains("0 <= h < 3"), ix.getMessage());
    }
}
