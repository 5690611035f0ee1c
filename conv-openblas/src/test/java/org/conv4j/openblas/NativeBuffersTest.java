package org.conv4j.openblas;

import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeBuffersTest {

    @Test
    void copiesInAndOut() {
        try (NativeFloats f = NativeFloats.allocate(10)) {
            assertEquals(10, f.capacity());
            assertEquals(40, f.bytes());
            assertTrue(f.buffer().isDirect());
            assertEquals(ByteOrder.nativeOrder(), f.buffer().order());
            f.copyFrom(new float[] {9, 1, 2, 3}, 1, 4, 3);
            f.fill(0, 4, -1f);
            float[] out = new float[8];
            f.copyTo(0, out, 1, 7);
            assertArrayEquals(new float[] {0, -1, -1, -1, -1, 1, 2, 3}, out);
            assertEquals(2f, f.buffer().get(5));
            assertEquals(3, f.pointerAt(3).position());
            assertEquals(f.pointerAt(0).address(), f.pointerAt(3).address(), "same base, different position");
        }
    }

    @Test
    void rangesAreChecked() {
        try (NativeFloats f = NativeFloats.allocate(4)) {
            assertThrows(IndexOutOfBoundsException.class, () -> f.copyFrom(new float[3], 0, 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> f.copyTo(0, new float[3], 1, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> f.pointerAt(-1));
        }
        assertThrows(IllegalArgumentException.class, () -> NativeFloats.allocate(0));
    }

    @Test
    void poolReusesReleasedBuffersAndNeverSharesOneInFlight() {
        NativeBufferPool pool = new NativeBufferPool(2);
        NativeFloats a = pool.acquire(1000);
        NativeFloats b = pool.acquire(1000);
        assertNotSame(a, b);
        assertEquals(NativeBufferPool.GRANULE_FLOATS, a.capacity(), "rounded up to the granule");
        pool.release(a);
        assertSame(a, pool.acquire(500), "a released buffer that fits is reused");
        pool.release(a);
        pool.release(b);
        NativeFloats big = pool.acquire(NativeBufferPool.GRANULE_FLOATS + 1L);
        assertEquals(2 * NativeBufferPool.GRANULE_FLOATS, big.capacity());
        pool.release(big);
        assertEquals(3L * NativeBufferPool.GRANULE_FLOATS * Float.BYTES, pool.idleBytes(),
                "at most maxIdle=2 idle buffers (1 + 2 granules): one of the smallest was freed");
        pool.clear();
        assertEquals(0, pool.idleBytes());
        assertThrows(IllegalArgumentException.class, () -> pool.acquire(0));
        assertThrows(IllegalArgumentException.class, () -> new NativeBufferPool(0));
    }
}
