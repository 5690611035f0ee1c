package org.conv4j.api;

import org.conv4j.internal.FakeBackend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** conv-api has no backend on its test classpath: a 2D-only backend declines 3D, and no 3D backend is found. */
class Conv3dTest {

    @Test
    void aBackendWithoutTheCapabilityDeclines() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Conv3d.on(FakeBackend.estimated("im2col-like", 1)));
        assertEquals("im2col-like backend: 3D convolution is not supported (it does not implement Conv3dBackend);"
                + " backends that run it: []", e.getMessage());
    }

    @Test
    void noBackendNamesTheArtifactToAdd() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Conv3d.forward(
                Tensor5D.zeros(1, 1, 2, 2, 2), Tensor5D.zeros(1, 1, 1, 1, 1), null, Conv3dParams.DEFAULT));
        assertTrue(e.getMessage().contains("org.conv4j:conv-naive"), e.getMessage());
    }

    @Test
    void outputSizesArePerAxis() {
        Conv3dShape s = Conv3dShape.forward(Tensor5D.zeros(1, 4, 9, 10, 11), Tensor5D.zeros(6, 2, 3, 2, 5), null,
                Conv3dParams.builder().stride(2, 3, 1).padding(1, 0, 0, 2, 2, 2).dilation(1, 2, 2).groups(2).build());
        assertEquals(new ConvAxis(9, 3, 2, 1, 0, 1, (9 + 1 - 3) / 2 + 1), s.depth());
        assertEquals(new ConvAxis(10, 2, 3, 0, 2, 2, (10 + 2 - 3) / 3 + 1), s.rows());
        assertEquals(new ConvAxis(11, 5, 1, 2, 2, 2, 11 + 4 - 9 + 1), s.cols());
        assertEquals(3L * 2 * 5 * 2 * 6 * s.depth().out() * s.rows().out() * s.cols().out(), s.macs());
    }
}
