package org.conv4j.spi;

import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** A 3D geometry of depth 1 with a depth-1 kernel is its 2D geometry: the same estimate, for either pass. */
    @Test
    void aDepthOne3dShapeEstimatesAsIts2dShape() {
        CostModel m = new CostModel(1000, 3000, 0.5, 40, 16, 20, 90, true, 0.3);
        for (boolean identity : new boolean[] {false, true}) {
            int kh = identity ? 1 : 3;
            ConvParams p2 = identity ? ConvParams.DEFAULT
                    : ConvParams.builder().stride(2, 1).padding(1, 0, 2, 1).groups(2).build();
            Conv3dParams p3 = identity ? Conv3dParams.DEFAULT
                    : Conv3dParams.builder().stride(1, 2, 1).padding(0, 0, 1, 0, 2, 1).groups(2).build();
            ConvShape s2 = shape(3, 4, 11, 9, 6, kh, kh, p2);
            Conv3dShape s3 = Conv3dShape.forward(Tensor5D.zeros(3, 4, 1, 11, 9),
                    Tensor5D.zeros(6, 4 / p3.groups(), 1, kh, kh), null, p3);
            for (ConvPass pass : List.of(ConvPass.FORWARD, ConvPass.BACKWARD)) {
                assertEquals(m.nanos(s2, pass), m.nanos(s3, pass), 1e-9 * m.nanos(s2, pass), pass + " " + s3);
            }
        }
    }

    /** Lowering is the identity for a 1x1 (1x1x1) kernel, unstrided and unpadded, whatever the dilation. */
    @Test
    void identityLoweringIsAnUnstridedUnpadded1x1Kernel() {
        assertTrue(CostModel.isIdentityLowering(shape(2, 4, 5, 6, 3, 1, 1, ConvParams.DEFAULT)));
        assertTrue(CostModel.isIdentityLowering(shape(2, 4, 5, 6, 4, 1, 1,
                ConvParams.builder().dilation(2).groups(2).build())));
        assertFalse(CostModel.isIdentityLowering(shape(2, 4, 5, 6, 3, 1, 1, ConvParams.builder().stride(2).build())));
        assertFalse(CostModel.isIdentityLowering(shape(2, 4, 5, 6, 3, 1, 1, ConvParams.builder().padding(1).build())));
        assertFalse(CostModel.isIdentityLowering(shape(2, 4, 5, 6, 3, 1, 3, ConvParams.DEFAULT)));
        assertTrue(CostModel.isIdentityLowering(Conv3dShape.forward(Tensor5D.zeros(1, 2, 3, 4, 5),
                Tensor5D.zeros(3, 2, 1, 1, 1), null, Conv3dParams.DEFAULT)));
        assertFalse(CostModel.isIdentityLowering(Conv3dShape.forward(Tensor5D.zeros(1, 2, 3, 4, 5),
                Tensor5D.zeros(3, 2, 1, 1, 1), null, Conv3dParams.builder().stride(2, 1, 1).build())));
        assertFalse(CostModel.isIdentityLowering(Conv3dShape.forward(Tensor5D.zeros(1, 2, 3, 4, 5),
                Tensor5D.zeros(3, 2, 2, 1, 1), null, Conv3dParams.DEFAULT)));
    }
}
