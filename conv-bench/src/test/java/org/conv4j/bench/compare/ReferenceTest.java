package org.conv4j.bench.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

/** The sliced naive references give exactly the corresponding block of the whole naive result. */
class ReferenceTest {

    private static final ConvBackend NAIVE = Conv2d.backend("naive");
    private static final ConvParams P = ConvParams.builder().stride(2, 1).padding(1, 2, 0, 1).dilation(1, 2).build();

    @Test
    void forwardSliceOfImagesAndFiltersIsExact() {
        Tensor4D x = Tensor4D.random(1, 3, 4, 9, 8);
        Tensor4D w = Tensor4D.random(2, 5, 4, 3, 2);
        float[] b = {0.5f, -1, 2, 0.25f, 3};
        Tensor4D whole = NAIVE.forward(x, w, b, P);
        Tensor4D slice = NAIVE.forward(Reference.prefix(x, 1), Reference.prefix(w, 2), new float[] {0.5f, -1}, P);
        assertArrayEquals(new double[] {0, 0}, Reference.blockDiff(whole, slice));
    }

    @Test
    void backwardSliceOfInputChannelsIsExactForDxAndDw() {
        Tensor4D x = Tensor4D.random(3, 2, 5, 7, 6);
        Tensor4D w = Tensor4D.random(4, 3, 5, 3, 3);
        Tensor4D y = NAIVE.forward(x, w, null, P);
        Tensor4D dy = Tensor4D.random(5, y.n(), y.c(), y.h(), y.w());
        ConvGradients whole = NAIVE.backward(x, w, dy, P);
        ConvGradients slice = NAIVE.backward(Reference.leadingChannels(x, 2), Reference.leadingChannels(w, 2), dy, P);
        assertArrayEquals(new double[] {0, 0}, Reference.blockDiff(whole.input(), slice.input()));
        assertArrayEquals(new double[] {0, 0}, Reference.blockDiff(whole.weight(), slice.weight()));
        assertArrayEquals(whole.bias(), slice.bias());
    }

    @Test
    void blockDiffMeasuresOnlyTheBlockAndTreatsNonFiniteLikeTensor4D() {
        Tensor4D full = Tensor4D.wrap(new float[] {1, 2, 3, 100, 5, 6, Float.NaN, 8}, 2, 2, 1, 2);
        Tensor4D ref = Tensor4D.wrap(new float[] {1, 2.5f, 5, 6}, 2, 1, 1, 2);
        double[] d = Reference.blockDiff(full, ref);
        assertEquals(0.5, d[0], 1e-12);
        assertEquals(0.5 / 6, d[1], 1e-12);
        Tensor4D nanRef = Tensor4D.wrap(new float[] {1, 2, 5, 6, Float.NaN, 8, 0, 0}, 2, 2, 1, 2);
        assertEquals(Double.POSITIVE_INFINITY, Reference.blockDiff(full, nanRef)[0]);
        assertThrows(IllegalArgumentException.class,
                () -> Reference.blockDiff(ref, full), "a reference larger than the result");
    }

    @Test
    void leadingChannelsCopiesTheFirstChannelsOfEveryImage() {
        Tensor4D t = Tensor4D.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3, 1, 1);
        assertArrayEquals(new float[] {1, 2, 4, 5}, Reference.leadingChannels(t, 2).data());
        assertArrayEquals(new float[] {1, 2, 3}, Reference.prefix(t, 1).data());
    }
}
