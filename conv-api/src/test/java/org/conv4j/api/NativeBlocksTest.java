package org.conv4j.api;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The memory of closed native tensors, kept for the next tensor of the same size. */
class NativeBlocksTest {

    /** 1 MiB of floats: large enough to be kept. */
    private static final int H = 256;

    @Test
    void aClosedTensorsMemoryServesTheNextOfItsSizeZeroed() {
        Workspace.releaseIdle();
        long before = NativeBlocks.keptBytes();
        Tensor4D t = Tensor4D.allocateNative(MemoryLayout.NHWC, 1, 4, H, H / 4);
        t.fill(7f);
        t.close();
        assertEquals(before + 4L * t.size(), NativeBlocks.keptBytes(), "the closed tensor's memory is kept");
        try (Tensor4D u = Tensor4D.allocateNative(MemoryLayout.NCHW, 4, 1, H / 4, H)) {
            assertEquals(before, NativeBlocks.keptBytes(), "the next tensor of that size takes it");
            for (float v : u.toHeapNchw().data()) {
                assertEquals(0f, v, "a reused block is zeroed");
            }
        }
        assertTrue(Workspace.releaseIdle() >= 4L * H * H, "releaseIdle frees what is kept");
        assertEquals(0, NativeBlocks.keptBytes());
    }

    @Test
    void aResultToOverwriteTakesAKeptBlockToo() {
        Workspace.releaseIdle();
        Tensor4D t = Tensor4D.allocateNative(MemoryLayout.NHWC, 1, 4, H, H / 4);
        t.close();
        assertEquals(4L * t.size(), NativeBlocks.keptBytes());
        try (Tensor4D r = org.conv4j.internal.Access.tensors().nativeToOverwrite(MemoryLayout.NHWC, 1, 4, H, H / 4)) {
            assertEquals(0, NativeBlocks.keptBytes(), "it reuses the kept block");
            assertTrue(r.isNative());
            assertEquals(MemoryLayout.NHWC, r.layout());
        }
        Workspace.releaseIdle();
    }

    @Test
    void smallBlocksAndExposedOnesAreNotKept() {
        Workspace.releaseIdle();
        Tensor4D small = Tensor4D.allocateNative(MemoryLayout.NCHW, 1, 1, 8, 8);
        small.close();
        assertEquals(0, NativeBlocks.keptBytes(), "below " + NativeBlocks.MIN_KEPT_BYTES + " bytes");
        Tensor4D viewed = Tensor4D.allocateNative(MemoryLayout.NCHW, 1, 4, H, H / 4);
        FloatBuffer view = viewed.buffer();
        viewed.close();
        assertEquals(0, NativeBlocks.keptBytes(), "a view may still read it: left to the cleaner");
        assertEquals(4 * H * H / 4, view.capacity());
    }
}
