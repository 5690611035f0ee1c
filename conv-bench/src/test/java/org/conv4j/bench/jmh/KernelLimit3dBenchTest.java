package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Tensor5D;
import org.conv4j.bench.Problem;
import org.junit.jupiter.api.Test;

/** The 3D kernel limit computes the convolution it is named after: its results equal the naive reference's. */
class KernelLimit3dBenchTest {

    private static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void forwardAndBackwardEqualNaive() {
        Conv3d.OnBackend naive = Conv3d.on(Conv2d.backend("naive"));
        String name = "unet3d-down-16to32";
        RankLayers.Layer3d l = RankLayers.layer3d(name);
        long seed = Problem.DEFAULT_SEED;
        Tensor5D x = l.input(seed);
        Tensor5D w = l.weight(seed);
        Conv3dParams p = l.params();
        Tensor5D y = naive.forward(x, w, null, p);
        Tensor5D dy = Tensor5D.random(seed + 3, y.n(), y.c(), y.d(), y.h(), y.w());
        Conv3dGradients g = naive.backward(x, w, dy, p);
        float[] bias = new float[y.c()];
        for (int k = 0; k < bias.length; k++) {
            bias[k] = 0.01f * (k % 7 - 3);
        }
        for (String layout : new String[] {"any", "nhwc"}) {
            KernelLimit3dBench fwd = new KernelLimit3dBench();
            fwd.layer = name;
            fwd.layout = layout;
            fwd.setup(false);
            fwd.forward();
            float[] out = fwd.limit().forwardOutput();
            float[] expected = y.data().clone();
            int plane = y.d() * y.h() * y.w();
            for (int i = 0; i < expected.length; i++) {
                expected[i] += bias[i / plane % y.c()];
            }
            assertTrue(maxDiff(expected, out) < 1e-3, name + " " + layout);
            fwd.tearDown();

            KernelLimit3dBench bwd = new KernelLimit3dBench();
            bwd.layer = name;
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
