package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.junit.jupiter.api.Test;

/** The kernel limit computes the convolution it is named after: its results equal the naive reference's. */
class KernelLimitBenchTest {

    private static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void forwardAndBackwardEqualNaiveInBothLayouts() {
        ConvBackend naive = Conv2d.backend("naive");
        // depthwise with stride 2; a strided 1x1; an asymmetric 1x7 kernel with padding
        for (String name : new String[] {"mobilenet-dw-net-conv5-6-dw-b1", "resnet50-net-res5a-branch2a-b1",
                "googlenet-v3-net-mixed-9-tower-mixed-conv-conv2d-b1"}) {
            BenchShape s = ShapeCatalog.byName(name);
            Problem p = Problem.of(s, ConvPass.BACKWARD, Problem.DEFAULT_SEED);
            Tensor4D y = naive.forward(p.input(), p.weight(), p.bias(), s.params());
            ConvGradients g = naive.backward(p.input(), p.weight(), p.gradOutput(), s.params());
            for (String layout : new String[] {"any", "nhwc"}) {
                KernelLimitBench fwd = new KernelLimitBench();
                fwd.shape = name;
                fwd.layout = layout;
                fwd.setup(false);
                fwd.forward();
                assertTrue(maxDiff(y.data(), fwd.limit().forwardOutput()) < 1e-3, name + " " + layout);
                fwd.tearDown();

                KernelLimitBench bwd = new KernelLimitBench();
                bwd.shape = name;
                bwd.layout = layout;
                bwd.setup(true);
                bwd.backward();
                assertTrue(maxDiff(g.input().data(), bwd.limit().inputGradient()) < 1e-3, name + " " + layout + " dx");
                assertTrue(maxDiff(g.weight().data(), bwd.limit().weightGradient()) < 1e-2, name + " " + layout + " dw");
                assertTrue(maxDiff(g.bias(), bwd.limit().biasGradient()) < 1e-2, name + " " + layout + " db");
                bwd.tearDown();
            }
        }
    }
}
