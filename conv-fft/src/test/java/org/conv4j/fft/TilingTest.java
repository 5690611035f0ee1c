package org.conv4j.fft;

import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiled equals untiled: the same convolutions with transforms capped small (many overlap-save tiles) and a
 * workspace that holds only a few spectra (blocked channel sums) agree with the default plan, forward and
 * backward, within the backend's tolerance. The kit compares both settings with the reference as well; this
 * test uses shapes larger than the kit's, where tiles have interior and border neighbours.
 */
class TilingTest {

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("same 9x9", 2, 3, 70, 61, 4, 9, 9, ConvParams.builder().padding(4).build()),
                Arguments.of("stride 3, asymmetric padding", 1, 4, 66, 57, 3, 5, 4,
                        ConvParams.builder().stride(3, 2).padding(2, 0, 1, 3).build()),
                Arguments.of("dilated, groups 2", 2, 4, 47, 52, 6, 3, 3,
                        ConvParams.builder().dilation(3, 2).groups(2).padding(3).build()),
                Arguments.of("padding wider than the kernel", 1, 2, 40, 33, 2, 3, 5,
                        ConvParams.builder().padding(7, 6, 9, 8).stride(2).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void tiledAndBlockedEqualUntiled(String label, int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        Tensor4D x = Tensor4D.random(1, n, c, h, w);
        Tensor4D wt = Tensor4D.random(2, k, c / p.groups(), kh, kw);
        float[] bias = {0.5f, -0.25f, 0.125f, 1f, -1f, 2f};
        float[] b = java.util.Arrays.copyOf(bias, k);
        ConvShape s = ConvShape.forward(x, wt, b, p);
        Tensor4D dy = Tensor4D.random(3, n, k, s.outH(), s.outW());
        int cap = 20;
        for (ConvPass op : ConvPass.values()) {
            FftPlanner.Plan tiled = FftPlanner.plan(op, s, cap);
            assertTrue(tiled.tiles() > 1, "the capped plan must tile: " + tiled);
        }
        FftBackend plain = new FftBackend();
        FftBackend tiled = new FftBackend(3L * 8 * 20 * 11, cap); // three 20x20 spectra
        float tol = FftBackend.TOLERANCE;
        Agreement.assertAgrees("forward", label, plain.forward(x, wt, b, p), tiled.forward(x, wt, b, p), tol);
        ConvGradients g1 = plain.backward(x, wt, dy, p);
        ConvGradients g2 = tiled.backward(x, wt, dy, p);
        Agreement.assertAgrees("dx", label, g1.input(), g2.input(), tol);
        Agreement.assertAgrees("dw", label, g1.weight(), g2.weight(), tol);
        Agreement.assertAgrees("db", label, g1.biasTensor(), g2.biasTensor(), 0f);
    }
}
