package org.conv4j.onednn;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** onednn's prepared forward pass against the reference, in every storage and layout, across weight changes. */
class PreparedForwardTest {

    private final OnednnBackend onednn = new OnednnBackend();

    @Test
    void everyEdgeCaseAgreesWithTheReferenceInEveryStorage() {
        for (ConvCase c : ConvCases.edgeCases()) {
            Tensor4D x = c.input();
            Tensor4D w = c.weight();
            float[] b = c.bias();
            Tensor4D expected = Conv2d.backend("naive").forward(x, w, b, c.params());
            ConvShape s = ConvShape.forward(x, w, b, c.params());
            try (PreparedConvolution p = onednn.prepareForward(s, w.toNative(MemoryLayout.NHWC), b)) {
                for (int round = 0; round < 2; round++) { // the second call reuses what the first laid out
                    check(expected, p.forward(x), c + ", heap NCHW");
                    for (MemoryLayout layout : MemoryLayout.values()) {
                        try (Tensor4D xn = x.toNative(layout); Tensor4D y = p.forward(xn)) {
                            assertEquals(layout, y.layout());
                            assertTrue(y.isNative());
                            check(expected, y, c + ", native " + layout);
                        }
                        check(expected, p.forward(x.toLayout(layout)), c + ", heap " + layout);
                    }
                }
            }
        }
    }

    private static void check(Tensor4D expected, Tensor4D actual, String context) {
        float bound = 1e-5f * Math.max(1f, expected.maxAbs());
        assertTrue(expected.maxAbsDiff(actual) <= bound, context + ": differs by " + expected.maxAbsDiff(actual));
    }

    @Test
    void setWeightsChangesTheResultAndCloseEndsIt() {
        Tensor4D x = Tensor4D.random(1, 2, 8, 10, 10);
        Tensor4D w1 = Tensor4D.random(2, 16, 8, 3, 3);
        Tensor4D w2 = Tensor4D.random(3, 16, 8, 3, 3);
        float[] b = new float[16];
        ConvParams params = ConvParams.builder().padding(1).build();
        ConvShape s = ConvShape.forward(x, w1, b, params);
        PreparedConvolution p = onednn.prepareForward(s, w1, b);
        assertInstanceOf(PreparedForward.class, p);
        assertSame(onednn, p.backend());
        check(Conv2d.backend("naive").forward(x, w1, b, params), p.forward(x), "first weights");
        w1.fill(0f); // the prepared weights are a copy: no effect until setWeights
        check(Conv2d.backend("naive").forward(x, Tensor4D.random(2, 16, 8, 3, 3), b, params), p.forward(x),
                "the weights as prepared");
        p.setWeights(w2, b);
        check(Conv2d.backend("naive").forward(x, w2, b, params), p.forward(x), "second weights");
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> p.forward(Tensor4D.zeros(1, 8, 10, 10)));
        assertTrue(wrong.getMessage().startsWith("input: expected the prepared shape"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.setWeights(w2, null));
        p.close();
        p.close();
        assertThrows(IllegalStateException.class, () -> p.forward(x));
    }

    @Test
    void theFacadePreparesTheBackendItWouldChoose() {
        Tensor4D x = Tensor4D.random(4, 1, 3, 9, 9);
        Tensor4D w = Tensor4D.random(5, 4, 3, 3, 3);
        ConvShape s = ConvShape.forward(x, w, null, ConvParams.DEFAULT);
        try (PreparedConvolution p = Conv2d.prepareForward(s, w, null)) {
            assertEquals(Conv2d.plan(s, org.conv4j.api.ConvPass.FORWARD).backend(), p.backend());
            check(Conv2d.backend("naive").forward(x, w, null, ConvParams.DEFAULT), p.forward(x), "facade");
        }
    }
}
