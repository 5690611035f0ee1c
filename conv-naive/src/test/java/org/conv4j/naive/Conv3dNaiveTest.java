package org.conv4j.naive;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The naive 3D path against worked examples and against the 2D reference: a volume of depth 1 with a kernel of
 * depth 1 is a 2D convolution over (H, W), and a volume of height 1 with a kernel of height 1 is one over (D, W),
 * since its NCDHW storage is the NCHW storage of {@code (N, C, D, W)}.
 */
class Conv3dNaiveTest {

    private static final NaiveBackend NAIVE = new NaiveBackend();
    private static final float FOLD_ROUNDING = 1e-6f;

    @Test
    void workedExample() {
        // all ones: each output of a 2x2x2 kernel over a 3x3x3 input sums 8 products, plus the bias
        Tensor5D x = Tensor5D.zeros(1, 1, 3, 3, 3).fill(1f);
        Tensor5D w = Tensor5D.zeros(1, 1, 2, 2, 2).fill(1f);
        Tensor5D y = Conv3d.forward(x, w, new float[] {0.5f}, Conv3dParams.DEFAULT);
        assertArrayEquals(new int[] {1, 1, 2, 2, 2}, y.shape());
        assertArrayEquals(new float[] {8.5f, 8.5f, 8.5f, 8.5f, 8.5f, 8.5f, 8.5f, 8.5f}, y.data());
        // padded by 1: a corner output's window holds 1 input element, an edge's 2, a face's 4, the centre's 8
        Tensor5D p = Conv3d.forward(x, w, null, Conv3dParams.builder().padding(1).build());
        assertArrayEquals(new int[] {1, 1, 4, 4, 4}, p.shape());
        assertEquals(1f, p.get(0, 0, 0, 0, 0));
        assertEquals(2f, p.get(0, 0, 0, 0, 1));
        assertEquals(4f, p.get(0, 0, 0, 1, 1));
        assertEquals(8f, p.get(0, 0, 1, 1, 1));
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void depthOneIsThe2dConvolutionOverHeightAndWidth(PaddingMode mode) {
        Tensor5D x = Tensor5D.random(1, 2, 4, 1, 9, 11);
        Tensor5D w = Tensor5D.random(2, 6, 2, 1, 3, 2);
        float[] b = {1, 2, 3, 4, 5, 6};
        Conv3dParams p3 = Conv3dParams.builder().stride(1, 2, 3).padding(0, 0, 1, 0, 2, 1).dilation(1, 2, 1)
                .groups(2).paddingMode(mode).build();
        ConvParams p2 = ConvParams.builder().stride(2, 3).padding(1, 0, 2, 1).dilation(2, 1).groups(2)
                .paddingMode(mode).build();
        assertSameAs2d(x, w, b, p3, x.data(), new int[] {2, 4, 9, 11}, w.data(), new int[] {6, 2, 3, 2}, p2);
    }

    @ParameterizedTest
    @EnumSource(PaddingMode.class)
    void heightOneIsThe2dConvolutionOverDepthAndWidth(PaddingMode mode) {
        Tensor5D x = Tensor5D.random(4, 1, 3, 10, 1, 7);
        Tensor5D w = Tensor5D.random(5, 4, 3, 3, 1, 2);
        Conv3dParams p3 = Conv3dParams.builder().stride(3, 1, 1).padding(2, 1, 0, 0, 1, 0).dilation(2, 1, 1)
                .paddingMode(mode).build();
        ConvParams p2 = ConvParams.builder().stride(3, 1).padding(2, 1, 1, 0).dilation(2, 1).paddingMode(mode).build();
        assertSameAs2d(x, w, null, p3, x.data(), new int[] {1, 3, 10, 7}, w.data(), new int[] {4, 3, 3, 2}, p2);
    }

    /**
     * The 3D passes equal the 2D reference's on the same storage read as 4D tensors of the given shapes: bit for bit
     * with zero padding, within float rounding ({@value #FOLD_ROUNDING}) where dL/dx folds copies of a padded input
     * (the two fold in different orders).
     */
    private static void assertSameAs2d(Tensor5D x, Tensor5D w, float[] b, Conv3dParams p3, float[] x2,
                                       int[] xs, float[] w2, int[] ws, ConvParams p2) {
        Tensor4D x4 = Tensor4D.wrap(x2, xs[0], xs[1], xs[2], xs[3]);
        Tensor4D w4 = Tensor4D.wrap(w2, ws[0], ws[1], ws[2], ws[3]);
        Tensor4D y4 = NAIVE.forward(x4, w4, b, p2);
        Tensor5D y = Conv3d.on(NAIVE).forward(x, w, b, p3);
        assertArrayEquals(y4.data(), y.data());
        Tensor5D dy = Tensor5D.random(3, y.n(), y.c(), y.d(), y.h(), y.w());
        Tensor4D dy4 = Tensor4D.wrap(dy.data(), y4.n(), y4.c(), y4.h(), y4.w());
        ConvGradients g4 = NAIVE.backward(x4, w4, dy4, p2);
        Conv3dGradients g = Conv3d.on(NAIVE).backward(x, w, dy, p3);
        float delta = p3.paddingMode() == PaddingMode.ZEROS ? 0f : FOLD_ROUNDING;
        assertArrayEquals(g4.input().data(), g.input().data(), delta);
        assertArrayEquals(g4.weight().data(), g.weight().data());
        assertArrayEquals(g4.bias(), g.bias());
        assertEquals(g.input(), Conv3d.inputGradient(x, w, dy, p3));
        assertEquals(g.weight(), Conv3d.weightGradient(x, w, dy, p3));
    }

    @Test
    void channelsLastNativeOperandsGiveResultsInTheirOwnStorageAndLayout() {
        Tensor5D x = Tensor5D.random(7, 2, 3, 4, 5, 6);
        Tensor5D w = Tensor5D.random(8, 4, 3, 3, 2, 3);
        Conv3dParams p = Conv3dParams.builder().padding(1).stride(1, 2, 1).build();
        Tensor5D expected = Conv3d.forward(x, w, null, p);
        Tensor5D dy = Tensor5D.random(9, expected.n(), expected.c(), expected.d(), expected.h(), expected.w());
        Conv3dGradients e = Conv3d.backward(x, w, dy, p);
        try (Tensor5D xn = x.toNative(Tensor5D.NDHWC); Tensor5D y = Conv3d.forward(xn, w, null, p)) {
            assertTrue(y.isNative());
            assertEquals(Tensor5D.NDHWC, y.layout());
            assertEquals(expected, y);
            Tensor5D into = Tensor5D.zeros(Tensor5D.NDHWC, expected.n(), expected.c(), expected.d(), expected.h(),
                    expected.w()).fill(Float.NaN);
            assertEquals(expected, Conv3d.forwardInto(xn, w, null, p, into));
            Conv3dGradients g = Conv3d.backward(xn, w.toLayout(Tensor5D.NDHWC), dy.toNative(Tensor5D.NCDHW), p);
            assertEquals(e.input(), g.input());
            assertEquals(Tensor5D.NDHWC, g.input().layout());
            assertTrue(g.input().isNative());
            assertEquals(e.weight(), g.weight());
            assertEquals(Tensor5D.NDHWC, g.weight().layout());
        }
    }

    @Test
    void badInputNamesTheArgument() {
        Tensor5D x = Tensor5D.zeros(1, 4, 3, 8, 8);
        Conv3dParams p = Conv3dParams.DEFAULT;
        assertMessage("weight: expected a kernel depth no larger than the padded input depth 3",
                () -> Conv3d.forward(x, Tensor5D.zeros(2, 4, 4, 3, 3), null, p));
        assertMessage("weight: expected 4 channels per filter (input channels 4 / groups 1), got 2",
                () -> Conv3d.forward(x, Tensor5D.zeros(2, 2, 3, 3, 3), null, p));
        assertMessage("bias: expected length 2 (one per filter), got 3",
                () -> Conv3d.forward(x, Tensor5D.zeros(2, 4, 3, 3, 3), new float[3], p));
        assertMessage("gradOutput: expected the forward output's shape [1, 2, 1, 6, 6], got [1, 2, 1, 6, 5]",
                () -> Conv3d.backward(x, Tensor5D.zeros(2, 4, 3, 3, 3), Tensor5D.zeros(1, 2, 1, 6, 5), p));
        assertMessage("output: expected the forward output's shape [1, 2, 1, 6, 6], got [1, 2, 1, 6, 7]",
                () -> Conv3d.forwardInto(x, Tensor5D.zeros(2, 4, 3, 3, 3), null, p, Tensor5D.zeros(1, 2, 1, 6, 7)));
        assertMessage("groups: expected a divisor of the input channels 4, got groups=3",
                () -> Conv3d.forward(x, Tensor5D.zeros(3, 1, 3, 3, 3), null, Conv3dParams.builder().groups(3).build()));
        assertMessage("padFront: expected less than the input depth 3 for REFLECT padding, got 3",
                () -> Conv3d.forward(x, Tensor5D.zeros(2, 4, 3, 3, 3), null,
                        Conv3dParams.builder().padding(3, 0, 0, 0, 0, 0).paddingMode(PaddingMode.REFLECT).build()));
        assertMessage("strideD: expected >= 1, got 0", () -> Conv3dParams.builder().stride(0, 1, 1).build());
        assertMessage("padBack: expected >= 0, got -1", () -> Conv3dParams.builder().padding(0, -1, 0, 0, 0, 0).build());
    }

    private static void assertMessage(String start, org.junit.jupiter.api.function.Executable call) {
        String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(message.startsWith(start), message);
    }
}
