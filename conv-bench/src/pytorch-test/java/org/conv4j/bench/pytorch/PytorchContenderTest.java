package org.conv4j.bench.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.junit.jupiter.api.Test;

/**
 * Runs only in builds with the pytorch profile: PyTorch loads offline (the profile's surefire sets
 * {@code ai.djl.offline=true}) and agrees with the naive reference, forward and backward.
 */
class PytorchContenderTest {

    /** Small layers with stride, padding, dilation, groups and a rectangular kernel. */
    private static final List<BenchShape> SHAPES = List.of(
            new BenchShape("t-strided", "t", "stride 2, pad 1, dilation 2", 2, 6, 11, 9, 4, 3, 2,
                    ConvParams.builder().stride(2).padding(1, 2).dilation(2).build()),
            new BenchShape("t-grouped", "t", "groups 3", 1, 6, 7, 7, 9, 3, 3,
                    ConvParams.builder().padding(1).groups(3).build()),
            ShapeCatalog.byName("mobilenet-dw-net-conv6-dw-b1"));

    private static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void isAContenderOfThisBuild() {
        assertTrue(Contenders.availableNames().contains(PytorchContender.NAME));
        assertEquals(PytorchContender.NAME, Contenders.byName("pytorch").name());
        new PytorchContender(); // sets ai.djl.offline unless given (the profile's surefire gives it)
        assertEquals("true", System.getProperty("ai.djl.offline"));
        assertEquals("2.7.1", ai.djl.engine.Engine.getEngine("PyTorch").getVersion(), "the natives of the jar");
    }

    @Test
    void forwardAndBackwardAgreeWithNaive() {
        ConvBackend naive = Conv2d.backend("naive");
        Contender torch = new PytorchContender();
        for (BenchShape s : SHAPES) {
            Problem p = Problem.of(s, ConvPass.BACKWARD, Problem.DEFAULT_SEED);
            Tensor4D expected = naive.forward(p.input(), p.weight(), p.bias(), s.params());
            Contender.Run fwd = torch.prepare(p, ConvPass.FORWARD);
            fwd.run();
            fwd.run(); // a second call frees the first's output and computes the same
            assertTrue(maxDiff(expected.data(), fwd.output().data()) < 1e-4, s.name());

            ConvGradients want = naive.backward(p.input(), p.weight(), p.gradOutput(), s.params());
            Contender.Run bwd = torch.prepare(p, ConvPass.BACKWARD);
            for (int i = 0; i < 3; i++) { // repeated calls on the kept graph do not accumulate
                bwd.run();
                ConvGradients got = bwd.gradients();
                assertNotNull(got, s.name());
                assertTrue(maxDiff(want.input().data(), got.input().data()) < 1e-4, s.name() + " dx");
                assertTrue(maxDiff(want.weight().data(), got.weight().data()) < 1e-3, s.name() + " dw");
                assertTrue(maxDiff(want.bias(), got.bias()) < 1e-3, s.name() + " db");
            }
        }
    }

    @Test
    void asymmetricPaddingIsSkippedWithTheReason() {
        BenchShape same = ShapeCatalog.byName("small-6x6x10-b1");
        assertEquals(null, new PytorchContender().skipReason(same, ConvPass.FORWARD));
        BenchShape asym = new BenchShape("t-asym", "t", "asymmetric", 1, 1, 8, 8, 1, 2, 2,
                ConvParams.builder().samePadding(8, 8, 2, 2).build());
        assertTrue(new PytorchContender().skipReason(asym, ConvPass.FORWARD).contains("both sides"));
    }
}
