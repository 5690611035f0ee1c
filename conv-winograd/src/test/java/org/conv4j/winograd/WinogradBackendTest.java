package org.conv4j.winograd;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the conformance kit does not show: which shapes the backend takes by Winograd's method, that those run the
 * Winograd stages (the profile sees a GEMM stage), the layer-sized paths (many channels, groups, paddings above 2,
 * several chunks) against the reference, and the exact path for a non-finite value in a layer-sized call.
 */
class WinogradBackendTest {

    private static final WinogradBackend BACKEND = new WinogradBackend();
    private static final ConvBackend REFERENCE = Conv2d.backend("naive");

    private static ConvShape shape(int c, int k, int h, int w, int kh, ConvParams p) {
        return ConvShape.forward(Tensor4D.zeros(1, c, h, w), Tensor4D.zeros(k, c / p.groups(), kh, kh), null, p);
    }

    @Test
    void supportsOnly3x3Stride1Dilation1WithEnoughChannelsPerGroup() {
        ConvParams pad1 = ConvParams.builder().padding(1).build();
        for (ConvPass pass : new ConvPass[] {ConvPass.FORWARD, ConvPass.BACKWARD}) {
            assertTrue(BACKEND.supports(shape(64, 64, 56, 56, 3, pad1), pass));
            assertTrue(BACKEND.supports(shape(16, 16, 5, 5, 3, ConvParams.builder().padding(0, 3, 2, 0).build()), pass));
            assertTrue(BACKEND.supports(shape(64, 64, 9, 9, 3, ConvParams.builder().padding(1).groups(4).build()), pass));
            assertFalse(BACKEND.supports(shape(64, 64, 56, 56, 5, pad1), pass));
            assertFalse(BACKEND.supports(shape(64, 64, 56, 56, 1, ConvParams.DEFAULT), pass));
            assertFalse(BACKEND.supports(shape(64, 64, 56, 56, 3, ConvParams.builder().padding(1).stride(2).build()), pass));
            assertFalse(BACKEND.supports(shape(64, 64, 56, 56, 3, ConvParams.builder().padding(2).dilation(2).build()), pass));
            assertFalse(BACKEND.supports(shape(3, 64, 224, 224, 3, pad1), pass));
            assertFalse(BACKEND.supports(shape(64, 8, 56, 56, 3, pad1), pass));
            assertFalse(BACKEND.supports(shape(64, 64, 56, 56, 3, ConvParams.builder().padding(1).groups(8).build()), pass));
        }
    }

    @Test
    void theRegisteredBackendIsThisOne() {
        assertTrue(Conv2d.backend(WinogradBackend.NAME) instanceof WinogradBackend);
    }

    @Test
    void theProfileRunsTheFourStagesAndMatchesTheForwardPass() {
        Tensor4D x = Tensor4D.random(1, 2, 32, 19, 23);
        Tensor4D w = Tensor4D.random(2, 48, 32, 3, 3);
        float[] b = Tensor4D.random(3, 1, 1, 1, 48).data();
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D y = Tensor4D.filled(Float.NaN, 2, 48, 19, 23);
        WinogradBackend.Profile profile = BACKEND.profileForward(x, w, b, p, y);
        assertTrue(profile.gemmNanos() > 0 && profile.inputTransformNanos() > 0 && profile.outputTransformNanos() > 0
                && profile.kernelTransformNanos() > 0, profile.toString());
        assertArrayEquals(BACKEND.forward(x, w, b, p).data(), y.data());
        assertThrows(UnsupportedOperationException.class, () -> BACKEND.profileForward(x, Tensor4D.random(4, 48, 32, 5, 5),
                b, ConvParams.builder().padding(2).build(), Tensor4D.zeros(2, 48, 19, 23)));
    }

    /**
     * Layer-sized calls on every tile size, in fused blocks and staged chunks: 40 channels, odd and prime sizes,
     * four-sided padding from 0 to 4 (an input gradient origin above 0), groups, several blocks or chunks of tiles;
     * all passes against the reference.
     */
    @Test
    void layerSizedCallsAgreeWithTheReference() {
        ConvParams[] params = {
            ConvParams.builder().padding(1).build(),
            ConvParams.builder().padding(0).build(),
            ConvParams.builder().padding(3, 0, 4, 2).build(),
            ConvParams.builder().padding(2, 1, 0, 3).groups(2).build(),
        };
        for (ConvParams p : params) {
            Tensor4D x = Tensor4D.random(11, 3, 40, 17, 13);
            Tensor4D w = Tensor4D.random(12, 36, 40 / p.groups(), 3, 3);
            float[] b = Tensor4D.random(13, 1, 1, 1, 36).data();
            ConvShape s = ConvShape.forward(x, w, b, p);
            Tensor4D dy = Tensor4D.random(14, 3, 36, s.outH(), s.outW());
            Tensor4D forward = REFERENCE.forward(x, w, b, p);
            ConvGradients expected = REFERENCE.backward(x, w, dy, p);
            for (TileSize t : TileSize.values()) {
                for (WinogradEngine.Mode mode : WinogradEngine.Mode.values()) {
                    WinogradBackend backend = new WinogradBackend(64L << 20, java.util.List.of(t), 100,
                            WinogradTuning.MIN_GROUP_CHANNELS, mode);
                    assertAgreesOnEveryPass(backend, t + " " + mode + " " + p, s, x, w, b, dy, forward, expected);
                }
            }
        }
    }

    private static void assertAgreesOnEveryPass(WinogradBackend backend, String what, ConvShape s, Tensor4D x,
                                                Tensor4D w, float[] b, Tensor4D dy, Tensor4D forward,
                                                ConvGradients expected) {
        ConvParams p = s.params();
        assertTrue(backend.supports(s, ConvPass.FORWARD), s.toString());
        Agreement.assertAgrees("forward " + what, what, forward, backend.forward(x, w, b, p),
                WinogradBackend.TOLERANCE);
        ConvGradients actual = backend.backward(x, w, dy, p);
        Agreement.assertGradientsAgree("backward " + what, what, expected, actual, WinogradBackend.TOLERANCE);
        Agreement.assertAgrees("dL/dx alone " + what, what, expected.input(), backend.inputGradient(x, w, dy, p),
                WinogradBackend.TOLERANCE);
    }

    /**
     * Fused blocks forced on a kernel too large for them by shape (264 input channels, 144 filters): each product is
     * split into filters as well as tiles to stay within OpenBLAS's single-thread size, and the result is the same.
     */
    @Test
    void fusedBlocksOfALargeKernelSplitTheFilters() {
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D x = Tensor4D.random(41, 2, 264, 11, 13);
        Tensor4D w = Tensor4D.random(42, 144, 264, 3, 3);
        float[] b = Tensor4D.random(43, 1, 1, 1, 144).data();
        ConvShape s = ConvShape.forward(x, w, b, p);
        Correlation c = Correlation.forward(s);
        assertFalse(WinogradEngine.fusable(c));
        assertTrue(WinogradEngine.fusedRows(c, WinogradEngine.fusedColumns(c, 64)) < 144);
        Tensor4D dy = Tensor4D.random(44, 2, 144, s.outH(), s.outW());
        for (TileSize t : TileSize.values()) {
            WinogradBackend backend = new WinogradBackend(64L << 20, java.util.List.of(t), 100,
                    WinogradTuning.MIN_GROUP_CHANNELS, WinogradEngine.Mode.FUSED);
            assertAgreesOnEveryPass(backend, t + " fused", s, x, w, b, dy, REFERENCE.forward(x, w, b, p),
                    REFERENCE.backward(x, w, dy, p));
        }
    }

    /** Under the smallest workspace limit every chunk is one tile (GEMMs of one column), and the result is the same. */
    @Test
    void theSmallestWorkspaceRunsOneTilePerChunk() {
        ConvParams p = ConvParams.builder().padding(1, 2, 0, 1).build();
        Tensor4D x = Tensor4D.random(31, 2, 16, 9, 11);
        Tensor4D w = Tensor4D.random(32, 24, 16, 3, 3);
        Tensor4D dy = Tensor4D.random(33, 2, 24, 10, 10);
        WinogradBackend tiny = new WinogradBackend(org.conv4j.api.Workspace.MIN_LIMIT_BYTES);
        Correlation c = Correlation.forward(ConvShape.forward(x, w, null, p));
        WinogradEngine.Plan plan = WinogradEngine.plan(c, TileSize.F4, tiny.workspaceBytes(),
                WinogradTuning.MAX_CHUNK_TILES, c.kernelFloats(TileSize.F4), WinogradEngine.Mode.BY_SHAPE);
        assertEquals(1, plan.tiles(), plan.toString());
        assertEquals(1, plan.workers(), plan.toString());
        Agreement.assertAgrees("forward", p, REFERENCE.forward(x, w, null, p), tiny.forward(x, w, null, p),
                WinogradBackend.TOLERANCE);
        Agreement.assertAgrees("dL/dx", p, REFERENCE.inputGradient(x, w, dy, p), tiny.inputGradient(x, w, dy, p),
                WinogradBackend.TOLERANCE);
    }

    /** A NaN in a layer-sized input reaches only the outputs whose window reads it: the call takes the exact path. */
    @Test
    void aNonFiniteInputReachesOnlyTheOutputsThatReadIt() {
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D x = Tensor4D.random(21, 1, 32, 20, 20);
        x.set(0, 5, 9, 9, Float.NaN);
        Tensor4D w = Tensor4D.random(22, 32, 32, 3, 3);
        Tensor4D y = BACKEND.forward(x, w, null, p);
        for (int k = 0; k < 32; k++) {
            for (int h = 0; h < 20; h++) {
                for (int c = 0; c < 20; c++) {
                    boolean reads = Math.abs(h - 9) <= 1 && Math.abs(c - 9) <= 1;
                    assertEquals(reads, Float.isNaN(y.get(0, k, h, c)), "output (" + k + ", " + h + ", " + c + ")");
                }
            }
        }
        Tensor4D dy = Tensor4D.random(23, 1, 32, 20, 20);
        dy.set(0, 3, 0, 19, Float.POSITIVE_INFINITY);
        Tensor4D dx = BACKEND.inputGradient(x, w, dy, p);
        for (int h = 0; h < 20; h++) {
            for (int c = 0; c < 20; c++) {
                boolean reached = h <= 1 && c >= 18;
                assertEquals(reached, !Float.isFinite(dx.get(0, 0, h, c)), "dL/dx (0, " + h + ", " + c + ")");
            }
        }
    }
}
