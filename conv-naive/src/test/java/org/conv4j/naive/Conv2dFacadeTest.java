package org.conv4j.naive;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With conv-naive on the classpath, the facade finds it through ServiceLoader. */
class Conv2dFacadeTest {

    @Test
    void findsTheNaiveBackend() {
        assertInstanceOf(NaiveBackend.class, Conv2d.backend("naive"));
        assertTrue(Conv2d.backends().stream().anyMatch(b -> b.name().equals("naive")));
    }

    @Test
    void facadeComputesWithTheDefaultBackend() {
        Tensor4D x = Tensor4D.wrap(new float[] {3, 9, 0, 2, 8, 1, 1, 4, 8}, 1, 1, 3, 3);
        Tensor4D w = Tensor4D.wrap(new float[] {8, 9, 4, 4}, 1, 1, 2, 2);
        Tensor4D y = Conv2d.forward(x, w, new float[] {0.06f}, ConvParams.DEFAULT);
        assertEquals(145.06f, y.get(0, 0, 0, 0), 1e-4f);
        assertEquals(4f, Conv2d.backward(x, w, Tensor4D.filled(1f, 1, 1, 2, 2), ConvParams.DEFAULT).bias()[0]);
    }

    @Test
    void unknownNameListsNaive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.backend("cudnn"));
        assertTrue(e.getMessage().contains("naive"), e.getMessage());
    }
}
