package org.conv4j.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CostModel}: whatever its constants, more work of any kind never estimates cheaper. */
class CostModelTest {

    private static ConvShape shape(int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        return ConvShape.forward(Tensor4D.zeros(n, c, h, w), Tensor4D.zeros(k, c / p.groups(), kh, kw), null, p);
    }

    @Test
    void moreWorkNeverEstimatesCheaper() {
        long seed = 20261206L;
        SplittableRandom r = new SplittableRandom(seed);
        int compared = 0;
        for (int i = 0; i < 400; i++) {
            CostModel m = new CostModel(r.nextDouble(0, 1e5), r.nextDouble(0, 2e5), r.nextDouble(0, 2),
                    r.nextDouble(1, 100), r.nextDouble(0, 64), r.nextDouble(0, 256), r.nextDouble(0, 4096),
                    r.nextBoolean());
            int groups = r.nextInt(4) == 0 ? 2 : 1;
            int n = 1 + r.nextInt(3);
            int c = groups * (1 + r.nextInt(8));
            int k = groups * (1 + r.nextInt(8));
            int kh = 1 + r.nextInt(4);
            int kw = 1 + r.nextInt(4);
            int stride = 1 + r.nextInt(2);
            int pad = r.nextInt(2);
            int h = kh + r.nextInt(12);
            int w = kw + r.nextInt(12);
            ConvParams p = ConvParams.builder().stride(stride).padding(pad).groups(groups).build();
            ConvShape s = shape(n, c, h, w, k, kh, kw, p);
            List<ConvShape> larger = List.of(shape(2 * n, c, h, w, k, kh, kw, p), shape(n, 2 * c, h, w, k, kh, kw, p),
                    shape(n, c, h, w, 2 * k, kh, kw, p), shape(n, c, h + stride, w + stride, k, kh, kw, p));
            for (ConvPass pass : List.of(ConvPass.FORWARD, ConvPass.BACKWARD)) {
                double before = m.nanos(s, pass);
                for (ConvShape v : larger) {
                    compared++;
                    assertTrue(m.nanos(v, pass) >= before * (1 - 1e-12), "seed " + seed + " case " + i + ": " + pass
                            + " " + s + " estimates " + before + " ns, " + v + " " + m.nanos(v, pass) + " ns");
                }
            }
        }
        assertTrue(compared == 400 * 2 * 4);
    }
}
