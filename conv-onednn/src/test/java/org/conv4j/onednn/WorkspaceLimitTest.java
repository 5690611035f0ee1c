package org.conv4j.onednn;

import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Small workspace limits split the batch into parts of whole images (the smallest limit: one image per
 * part; a middle one: several images and a shorter last part). Results must equal one call's up to float
 * rounding (1e-6 of the largest value): oneDNN may pick other kernels for other batch sizes, and
 * {@code dL/dw}, {@code dL/db} are summed over the parts. The single-gradient passes split alike.
 */
class WorkspaceLimitTest {

    private record Geometry(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        ConvShape shape() {
            return ConvShape.forward(Tensor4D.zeros(n, c, h, w), Tensor4D.zeros(k, c / p.groups(), kh, kw), null, p);
        }
    }

    private static final List<Geometry> GEOMETRIES = List.of(
            new Geometry("3x3 pad 1", 7, 6, 19, 17, 8, 3, 3, ConvParams.builder().padding(1).build()),
            new Geometry("strided, dilated, asymmetric padding, groups 2", 5, 4, 23, 21, 6, 3, 2,
                    ConvParams.builder().stride(2, 3).dilation(2, 1).padding(2, 0, 1, 3).groups(2).build()),
            new Geometry("1x1", 5, 5, 13, 11, 7, 1, 1, ConvParams.DEFAULT),
            new Geometry("depthwise 5x5", 6, 4, 15, 16, 4, 5, 5, ConvParams.builder().groups(4).padding(2).build()));

    private static final OnednnBackend UNBOUNDED = new OnednnBackend(1L << 40);

    /** The limit that just fits {@code N/2 + 1} images: parts of several images and a shorter last part. */
    private static long middleLimit(Geometry g, ConvPass pass) {
        ConvShape s = g.shape();
        return Math.max(Workspace.MIN_LIMIT_BYTES, OnednnBackend.workspaceBytes(s, pass, true, s.batch() / 2 + 1));
    }

    @TestFactory
    Stream<DynamicTest> smallLimitsGiveTheResultsOfOneCall() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Geometry g : GEOMETRIES) {
            for (boolean smallest : new boolean[] {true, false}) {
                long forwardLimit = smallest ? Workspace.MIN_LIMIT_BYTES : middleLimit(g, ConvPass.FORWARD);
                long backwardLimit = smallest ? Workspace.MIN_LIMIT_BYTES : middleLimit(g, ConvPass.BACKWARD);
                tests.add(DynamicTest.dynamicTest(g.label() + ", limit " + forwardLimit + " bytes forward, "
                        + backwardLimit + " backward", () -> {
                    ConvShape s = g.shape();
                    OnednnBackend forwardBounded = new OnednnBackend(forwardLimit);
                    OnednnBackend backwardBounded = new OnednnBackend(backwardLimit);
                    int forwardPart = checkedPart(forwardBounded, s, ConvPass.FORWARD, smallest);
                    int backwardPart = checkedPart(backwardBounded, s, ConvPass.BACKWARD, smallest);

                    Tensor4D x = Tensor4D.random(1, g.n(), g.c(), g.h(), g.w());
                    Tensor4D w = Tensor4D.random(2, g.k(), g.c() / g.p().groups(), g.kh(), g.kw());
                    float[] bias = Tensor4D.random(3, 1, g.k(), 1, 1).data();
                    Tensor4D expected = UNBOUNDED.forward(x, w, bias, g.p());
                    Agreement.assertAgrees("forward", g, expected, forwardBounded.forward(x, w, bias, g.p()), 1e-6f);
                    Tensor4D dy = Tensor4D.random(4, expected.n(), expected.c(), expected.h(), expected.w());
                    ConvGradients whole = UNBOUNDED.backward(x, w, dy, g.p());
                    ConvGradients parts = backwardBounded.backward(x, w, dy, g.p());
                    Agreement.assertAgrees("dL/dx", g, whole.input(), parts.input(), 1e-6f);
                    // summed over the batch in another order (per part, then the parts): float32 rounding of
                    // sums of N*outH*outW terms, within the conformance tolerance
                    Agreement.assertAgrees("dL/dw", g, whole.weight(), parts.weight(), OnednnBackend.TOLERANCE);
                    Agreement.assertAgrees("dL/db", g, whole.biasTensor(), parts.biasTensor(), OnednnBackend.TOLERANCE);
                    if (smallest) {
                        assertEquals(1, backwardBounded.imagesPerPart(s, ConvPass.INPUT_GRADIENT, false));
                        assertEquals(1, backwardBounded.imagesPerPart(s, ConvPass.WEIGHT_GRADIENT, false));
                    }
                    Agreement.assertAgrees("dL/dx alone", g, whole.input(),
                            backwardBounded.inputGradient(x, w, dy, g.p()), 1e-6f);
                    Agreement.assertAgrees("dL/dw alone", g, whole.weight(),
                            backwardBounded.weightGradient(x, w, dy, g.p()), OnednnBackend.TOLERANCE);
                    if (forwardPart > 1) {
                        assertTrue(forwardBounded.idleBytes() <= forwardLimit, "idle buffers "
                                + forwardBounded.idleBytes() + " bytes exceed the limit " + forwardLimit);
                    }
                    if (backwardPart > 1) {
                        assertTrue(backwardBounded.idleBytes() <= backwardLimit, "idle buffers "
                                + backwardBounded.idleBytes() + " bytes exceed the limit " + backwardLimit);
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** The part size the backend chose, checked: one image for the smallest limit, else 2 .. N-1 that fit. */
    private static int checkedPart(OnednnBackend b, ConvShape s, ConvPass pass, boolean smallest) {
        int part = b.imagesPerPart(s, pass, true);
        if (smallest) {
            assertEquals(1, part, pass + ": parts of one image below one image's buffers");
        } else {
            assertTrue(part >= s.batch() / 2 + 1 && part < s.batch(), pass + ": expected parts of "
                    + (s.batch() / 2 + 1) + " or more images and a shorter last part, got parts of " + part + " of "
                    + s.batch());
            long bytes = OnednnBackend.workspaceBytes(s, pass, true, part);
            assertTrue(bytes <= b.workspaceBytes(), pass + ": parts of " + part + " images need " + bytes + " bytes");
        }
        return part;
    }

    @Test
    void theWholeBatchRunsInOneCallWhenItFits() {
        ConvShape s = GEOMETRIES.get(0).shape();
        assertEquals(s.batch(), UNBOUNDED.imagesPerPart(s, ConvPass.FORWARD, true));
        assertEquals(s.batch(), UNBOUNDED.imagesPerPart(s, ConvPass.BACKWARD, true));
    }

    @Test
    void idleBuffersShrinkToTheLimitAfterALargerCall() {
        OnednnBackend b = new OnednnBackend(1L << 20);
        // one image of this layer needs about 2 MiB (more than the limit): computed anyway, one image per part
        Tensor4D big = Tensor4D.random(5, 2, 32, 64, 64);
        Tensor4D w = Tensor4D.random(6, 32, 32, 3, 3);
        ConvParams p = ConvParams.builder().padding(1).build();
        b.forward(big, w, null, p);
        long afterBig = b.idleBytes();
        b.forward(Tensor4D.random(7, 2, 4, 8, 8), Tensor4D.random(8, 4, 4, 3, 3), null, p);
        assertTrue(afterBig > 1L << 20, "the large call needs more than the limit: " + afterBig);
        assertTrue(b.idleBytes() <= 1L << 20, "after a small call, idle buffers hold " + b.idleBytes());
    }

    @Test
    void limitBelowTheMinimumIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new OnednnBackend(Workspace.MIN_LIMIT_BYTES - 1));
        assertTrue(e.getMessage().contains("expected") && e.getMessage().contains("got"), e.getMessage());
    }
}
