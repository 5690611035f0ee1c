package org.conv4j.onednn;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.naive.NaiveBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weights a facade call leaves in its context ({@link Context#inKept}) serve a later call only if its weights
 * are equal: each call here is checked against the naive reference after the weights changed in place (same
 * array), were replaced by an equal copy or by other values, and after calls of another shape, of the other pass
 * and on native tensors ran on the same backend (one context, since the calls come from one thread).
 */
class KeptWeightsTest {

    private static final float TOLERANCE = 1e-4f;

    private final OnednnBackend onednn = new OnednnBackend();
    private final ConvBackend conv = onednn;
    private final ConvBackend naive = new NaiveBackend();

    private static void assertClose(String what, Tensor4D expected, Tensor4D actual) {
        float scale = Math.max(1e-3f, expected.maxAbs());
        float diff = expected.maxAbsDiff(actual);
        assertTrue(diff <= TOLERANCE * scale, what + ": largest difference " + diff + ", scale " + scale);
    }

    private void checkForward(String what, Tensor4D x, Tensor4D w, float[] b, ConvParams p) {
        assertClose(what, naive.forward(x, w, b, p), conv.forward(x, w, b, p));
    }

    private void checkInputGradient(String what, Tensor4D x, Tensor4D w, Tensor4D dy, ConvParams p) {
        assertClose(what, naive.inputGradient(x, w, dy, p), conv.inputGradient(x, w, dy, p));
    }

    @Test
    void changedWeightsAreLoadedAgainAndEqualOnesNeedNot() {
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D x = Tensor4D.random(1, 2, 16, 9, 11);
        Tensor4D w = Tensor4D.random(2, 16, 16, 3, 3);
        float[] b = new float[16];
        Tensor4D dy = Tensor4D.random(3, 2, 16, 9, 11);
        checkForward("first call", x, w, b, p);
        checkForward("same weights again", x, w, b, p);
        w.data()[0] += 1f; // changed in place: same array, other values
        checkForward("one weight changed in place", x, w, b, p);
        w.data()[w.data().length - 1] = -w.data()[w.data().length - 1];
        checkForward("the last weight changed in place", x, w, b, p);
        checkForward("an equal copy", x, Tensor4D.wrap(w.data().clone(), 16, 16, 3, 3), b, p);
        checkForward("other weights", x, Tensor4D.random(4, 16, 16, 3, 3), b, p);
        checkForward("the weights before", x, w, b, p);

        checkInputGradient("input gradient", x, w, dy, p);
        checkForward("forward after the input gradient", x, w, b, p);
        w.data()[5] *= -3f;
        checkInputGradient("input gradient, weights changed in place", x, w, dy, p);
        checkInputGradient("input gradient again", x, w, dy, p);
        checkForward("forward after that", x, w, b, p);

        Tensor4D x2 = Tensor4D.random(5, 1, 16, 20, 20);
        Tensor4D w2 = Tensor4D.random(6, 8, 16, 5, 5);
        checkForward("another shape", x2, w2, new float[8], ConvParams.builder().padding(2).build());
        checkForward("the first shape again", x, w, b, p);

        try (Tensor4D nx = x.toNative(MemoryLayout.NHWC)) {
            assertClose("native NHWC", naive.forward(x, w, b, p), conv.forward(nx, w, b, p).toHeapNchw());
            w.data()[7] += 0.5f;
            assertClose("native NHWC, weights changed in place", naive.forward(x, w, b, p),
                    conv.forward(nx, w, b, p).toHeapNchw());
        }
        w.data()[3] = Float.NaN;
        checkForward("a NaN weight", x, w, b, p);
        w.data()[3] = 0.25f;
        checkForward("the NaN replaced", x, w, b, p);
    }

    @Test
    void changedWeightsAreLoadedAgainIn3d() {
        Conv3d.OnBackend conv3 = Conv3d.on(onednn);
        Conv3d.OnBackend naive3 = Conv3d.on(new NaiveBackend());
        Conv3dParams p = Conv3dParams.builder().padding(1).build();
        Tensor5D x = Tensor5D.random(1, 1, 8, 5, 6, 7);
        Tensor5D w = Tensor5D.random(2, 8, 8, 3, 3, 3);
        float[] b = new float[8];
        for (int round = 0; round < 3; round++) {
            Tensor5D expected = naive3.forward(x, w, b, p);
            Tensor5D actual = conv3.forward(x, w, b, p);
            float diff = expected.maxAbsDiff(actual);
            assertTrue(diff <= TOLERANCE * Math.max(1e-3f, expected.maxAbs()), "3D round " + round + ": " + diff);
            w.data()[round * 11] += 2f;
        }
    }
}
