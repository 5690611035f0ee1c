package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

/**
 * {@code onednn}'s prepared backward pass on the real layers of three networks at batch 1 (their channel counts and
 * strides take oneDNN's blocked and {@code nhwc} kernels, which the kit's small cases do not all reach), on native
 * NHWC tensors, agrees with {@code im2col}'s backward call on heap NCHW ones.
 */
class PreparedBackwardNetworksTest {

    /** Relative to each gradient's largest magnitude: two float32 sums in different orders. */
    private static final float TOLERANCE = 1e-4f;

    @Test
    void everyLayerAgreesWithIm2col() {
        for (String network : List.of("resnet50-net-b1", "mobilenet-net-b1", "mobilenet-dw-net-b1")) {
            for (Network.Layer l : ShapeCatalog.network(network).layers()) {
                ConvShape s = l.shape().geometry();
                Problem p = Problem.of(l.shape(), ConvPass.BACKWARD, Problem.DEFAULT_SEED);
                ConvGradients e = Conv2d.backend("im2col").backward(p.input(), p.weight(), p.gradOutput(),
                        s.params());
                try (PreparedBackward b = Conv2d.backend("onednn").prepareBackward(s, p.weight());
                     Tensor4D x = p.input().toNative(MemoryLayout.NHWC);
                     Tensor4D dy = p.gradOutput().toNative(MemoryLayout.NHWC);
                     Tensor4D dx = Tensor4D.allocateNative(MemoryLayout.NHWC, s.batch(), s.inChannels(), s.inH(),
                             s.inW())) {
                    assertInstanceOf(Class.forName("org.conv4j.onednn.PreparedGradients"), b, l.shape().name());
                    ConvGradients g = b.backwardInto(x, dy, new ConvGradients(dx, s.newWeight(),
                            new float[s.outChannels()]));
                    String name = l.shape().name();
                    close(name + " dL/dx", e.input(), g.input());
                    close(name + " dL/dw", e.weight(), g.weight());
                    close(name + " dL/db", e.biasTensor(), g.biasTensor());
                    try (Tensor4D alone = b.inputGradient(dy)) {
                        close(name + " dL/dx alone", e.input(), alone);
                    }
                    close(name + " dL/dw alone", e.weight(), b.weightGradient(x, dy));
                } catch (ClassNotFoundException ex) {
                    throw new AssertionError(ex);
                }
            }
        }
    }

    private static void close(String what, Tensor4D expected, Tensor4D actual) {
        float diff = expected.maxAbsDiff(actual.toHeapNchw());
        assertTrue(diff <= TOLERANCE * Math.max(1e-3f, expected.maxAbs()), what + ": differs by " + diff);
    }
}
