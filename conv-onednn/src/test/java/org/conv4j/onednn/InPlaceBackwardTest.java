package org.conv4j.onednn;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backward passes on native activations in place: oneDNN reads {@code x} and {@code dL/dy} where they are and
 * writes {@code dL/dx} into a native tensor of their layout, with the results of the heap path, non-finite values
 * included.
 */
class InPlaceBackwardTest {

    private final OnednnBackend onednn = new OnednnBackend();
    private final ConvBackend naive = Conv2d.backend("naive");

    @Test
    void nativeActivationsOfOneLayoutAreTakenInPlace() {
        ConvParams p = ConvParams.builder().padding(1).build();
        Tensor4D x = Tensor4D.random(1, 2, 8, 9, 9);
        Tensor4D w = Tensor4D.random(2, 6, 8, 3, 3);
        Tensor4D dy = Tensor4D.random(3, 2, 6, 9, 9);
        ConvShape s = ConvShape.backward(x, w, dy, p);
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor4D xn = x.toNative(layout); Tensor4D dyn = dy.toNative(layout);
                 Tensor4D other = dy.toNative(layout == MemoryLayout.NHWC ? MemoryLayout.NCHW : MemoryLayout.NHWC)) {
                for (ConvPass pass : new ConvPass[] {ConvPass.BACKWARD, ConvPass.INPUT_GRADIENT,
                        ConvPass.WEIGHT_GRADIENT}) {
                    assertTrue(onednn.backwardsInPlace(s, pass, xn, dyn), layout + " " + pass);
                    assertFalse(onednn.backwardsInPlace(s, pass, xn, other), layout + " " + pass + ", mixed layouts");
                    assertFalse(onednn.backwardsInPlace(s, pass, x, dyn), layout + " " + pass + ", heap input");
                }
                // dL/dy as the tensor whose form dL/dx takes (a prepared pass's inputGradient): only read, so taken
                assertTrue(onednn.backwardsInPlace(s, ConvPass.INPUT_GRADIENT, dyn, dyn), layout + ", one tensor");
            }
        }
    }

    /** Dense and depthwise layers, padded and strided, with finite operands, in both layouts. */
    @Test
    void gradientsAgreeWithTheReference() {
        check(ConvParams.builder().padding(1).build(), 2, 16, 24, 10, 10, 3, 1, false);
        check(ConvParams.builder().padding(1).stride(2).groups(16).build(), 3, 16, 16, 11, 11, 3, 1, false);
        check(ConvParams.builder().padding(0, 2, 1, 0).dilation(2).build(), 2, 5, 7, 9, 8, 3, 2, false);
        check(ConvParams.builder().build(), 4, 32, 8, 7, 7, 1, 3, false);
    }

    /**
     * A non-finite weight on a padded layer (oneDNN skips the padded taps that conv4j multiplies: the heap path
     * repairs dL/dx) and a non-finite dL/dy (its padded taps' dL/dw must be NaN).
     */
    @Test
    void nonFiniteValuesAffectWhatTheyReach() {
        check(ConvParams.builder().padding(1).build(), 2, 6, 4, 8, 8, 3, 4, true);
        check(ConvParams.builder().padding(1).groups(6).build(), 2, 6, 6, 8, 8, 3, 5, true);
    }

    private void check(ConvParams p, int n, int c, int k, int h, int w, int kernel, long seed, boolean nonFinite) {
        Tensor4D x = Tensor4D.random(seed, n, c, h, w);
        Tensor4D weight = Tensor4D.random(seed + 1, k, c / p.groups(), kernel, kernel);
        ConvShape fwd = ConvShape.forward(x, weight, null, p);
        Tensor4D dy = Tensor4D.random(seed + 2, n, k, fwd.outH(), fwd.outW());
        if (nonFinite) {
            weight.data()[0] = Float.POSITIVE_INFINITY; // a corner tap: it reads padding at the image's corner
            dy.data()[0] = Float.NaN; // the first output: its window reads the padding
        }
        ConvGradients e = naive.backward(x, weight, dy, p);
        float tolerance = OnednnBackend.TOLERANCE;
        float gy = Agreement.maxFiniteAbs(dy);
        String context = p + " " + n + "x" + c + "x" + h + "x" + w + " -> " + k;
        for (MemoryLayout layout : MemoryLayout.values()) {
            String at = context + ", native " + layout;
            try (Tensor4D xn = x.toNative(layout); Tensor4D dyn = dy.toNative(layout)) {
                ConvGradients g = onednn.backward(xn, weight, dyn, p);
                try (Tensor4D dx = g.input()) {
                    assertNative(layout, dx, at);
                    Agreement.assertAgrees("dL/dx", at, e.input(), dx, tolerance, gy * Agreement.maxFiniteAbs(weight));
                }
                Agreement.assertAgrees("dL/dw", at, e.weight(), g.weight(), tolerance, gy * Agreement.maxFiniteAbs(x));
                assertArrayEquals(e.bias(), g.bias(), 1e-3f * Math.max(1f, gy) * n * fwd.outPlane(), at);
                try (Tensor4D dx = onednn.inputGradient(xn, weight, dyn, p)) {
                    assertNative(layout, dx, at);
                    Agreement.assertAgrees("inputGradient", at, e.input(), dx, tolerance,
                            gy * Agreement.maxFiniteAbs(weight));
                }
                Agreement.assertAgrees("weightGradient", at, e.weight(), onednn.weightGradient(xn, weight, dyn, p),
                        tolerance, gy * Agreement.maxFiniteAbs(x));
                assertEquals(x, xn.toHeapNchw(), "input was modified, " + at);
                assertEquals(dy, dyn.toHeapNchw(), "dL/dy was modified, " + at);
            }
        }
    }

    private static void assertNative(MemoryLayout layout, Tensor4D t, String context) {
        assertTrue(t.isNative(), "native storage, " + context);
        assertEquals(layout, t.layout(), "layout, " + context);
    }
}
