package org.conv4j.naive;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Hand-computed cases: each expected value below was worked out on paper from the definition. */
class NaiveBackendTest {

    private final NaiveBackend naive = new NaiveBackend();

    private static Tensor4D t(int n, int c, int h, int w, float... values) {
        return Tensor4D.wrap(values, n, c, h, w);
    }

    @Test
    void workedExample3x3() {
        Tensor4D x = t(1, 1, 3, 3, 3, 9, 0, 2, 8, 1, 1, 4, 8);
        Tensor4D w = t(1, 1, 2, 2, 8, 9, 4, 4);
        Tensor4D y = naive.forward(x, w, new float[] {0.06f}, ConvParams.DEFAULT);
        // 3*8 + 9*9 + 2*4 + 8*4 = 145, 9*8 + 0*9 + 8*4 + 1*4 = 108, 2*8 + 8*9 + 1*4 + 4*4 = 108, 8*8 + 1*9 + 4*4 + 8*4 = 121
        assertArrayEquals(new float[] {145.06f, 108.06f, 108.06f, 121.06f}, y.data(), 1e-4f);
    }

    @Test
    void workedExample3x3Backward() {
        Tensor4D x = t(1, 1, 3, 3, 3, 9, 0, 2, 8, 1, 1, 4, 8);
        Tensor4D w = t(1, 1, 2, 2, 8, 9, 4, 4);
        ConvGradients g = naive.backward(x, w, Tensor4D.filled(1f, 1, 1, 2, 2), ConvParams.DEFAULT);
        assertArrayEquals(new float[] {4f}, g.bias());
        // dw[i][j] = sum of the input under tap (i, j) across the four windows
        assertArrayEquals(new float[] {22, 18, 15, 21}, g.weight().data());
        // dx[h][w] = sum of the kernel taps that read (h, w)
        assertArrayEquals(new float[] {8, 17, 9, 12, 25, 13, 4, 8, 4}, g.input().data());
    }

    @Test
    void stride() {
        Tensor4D x = Tensor4D.zeros(1, 1, 4, 4);
        for (int i = 0; i < 16; i++) {
            x.data()[i] = i;
        }
        Tensor4D y = naive.forward(x, Tensor4D.filled(1f, 1, 1, 2, 2), null, ConvParams.builder().stride(2).build());
        assertArrayEquals(new float[] {0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15}, y.data());
    }

    @Test
    void asymmetricPadding() {
        Tensor4D x = t(1, 1, 2, 2, 1, 2, 3, 4);
        // one row on top, one column on the right: a 3x3 output, first row and last column from padding
        Tensor4D y = naive.forward(x, t(1, 1, 1, 1, 2), null, ConvParams.builder().padding(1, 0, 0, 1).build());
        assertArrayEquals(new float[] {0, 0, 0, 2, 4, 0, 6, 8, 0}, y.data());
    }

    @Test
    void paddingWithLargerKernel() {
        Tensor4D x = t(1, 1, 2, 2, 1, 2, 3, 4);
        // 3x3 ones kernel, padding 1: every output is the sum of its 3x3 neighbourhood, which is the whole input
        Tensor4D y = naive.forward(x, Tensor4D.filled(1f, 1, 1, 3, 3), new float[] {1f}, ConvParams.builder().padding(1).build());
        assertArrayEquals(new float[] {11, 11, 11, 11}, y.data());
    }

    @Test
    void dilation() {
        Tensor4D x = t(1, 1, 3, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        // taps at (0,0), (0,2), (2,0), (2,2): the corners
        Tensor4D y = naive.forward(x, t(1, 1, 2, 2, 1, 10, 100, 1000), null, ConvParams.builder().dilation(2).build());
        assertArrayEquals(new float[] {1 + 30 + 700 + 9000}, y.data());
    }

    @Test
    void groups() {
        Tensor4D x = t(1, 4, 1, 1, 3, 5, 7, 11);
        // group 0 (channels 0,1) feeds filter 0, group 1 (channels 2,3) feeds filter 1
        Tensor4D w = t(2, 2, 1, 1, 1, 2, 10, 100);
        Tensor4D y = naive.forward(x, w, new float[] {0.5f, -1f}, ConvParams.builder().groups(2).build());
        assertArrayEquals(new float[] {3 + 10 + 0.5f, 70 + 1100 - 1}, y.data());
    }

    @Test
    void depthwiseBackward() {
        Tensor4D x = t(1, 2, 1, 2, 1, 2, 3, 4);
        Tensor4D w = t(2, 1, 1, 1, 10, 100);
        ConvGradients g = naive.backward(x, w, t(1, 2, 1, 2, 1, -1, 2, 5), ConvParams.builder().groups(2).build());
        assertArrayEquals(new float[] {10, -10, 200, 500}, g.input().data());
        assertArrayEquals(new float[] {1 - 2, 6 + 20}, g.weight().data());
        assertArrayEquals(new float[] {0, 7}, g.bias());
    }

    @Test
    void nanWeightPoisonsEveryOutputOfItsFilterEvenInThePadding() {
        Tensor4D x = t(1, 1, 1, 1, 2);
        Tensor4D w = t(2, 1, 1, 1, Float.NaN, 3);
        Tensor4D y = naive.forward(x, w, null, ConvParams.builder().padding(0, 0, 0, 1).build());
        // padding is a real zero, and 0 * NaN = NaN, as in a GEMM over a zero-padded column matrix
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, 6, 0}, y.data());
    }
}
