package org.conv4j.internal;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared padding of the copying modes, the parameters that carry the mode, and its limits. */
class ModePaddingTest {

    private static ConvShape shape(int h, int w, int top, int bottom, int left, int right, PaddingMode m) {
        return ConvShape.forward(Tensor4D.zeros(1, 1, h, w), Tensor4D.zeros(1, 1, 1, 1), null,
                ConvParams.builder().padding(top, bottom, left, right).paddingMode(m).build());
    }

    @Test
    void aPlaneIsPaddedWithTheModesCopiesAndFoldedBack() {
        // [[1 2 3]
        //  [4 5 6]] padded by 1 row above, 2 columns left, 1 right
        Tensor4D x = Tensor4D.wrap(new float[] {1, 2, 3, 4, 5, 6}, 1, 1, 2, 3);
        ConvShape reflect = shape(2, 3, 1, 0, 2, 1, PaddingMode.REFLECT);
        assertArrayEquals(new float[] {
            6, 5, 4, 5, 6, 5,
            3, 2, 1, 2, 3, 2,
            6, 5, 4, 5, 6, 5}, ModePadding.pad(reflect, x).data());
        ConvShape replicate = shape(2, 3, 1, 0, 2, 1, PaddingMode.REPLICATE);
        assertArrayEquals(new float[] {
            1, 1, 1, 2, 3, 3,
            1, 1, 1, 2, 3, 3,
            4, 4, 4, 5, 6, 6}, ModePadding.pad(replicate, x).data());
        ConvShape circular = shape(2, 3, 1, 0, 2, 1, PaddingMode.CIRCULAR);
        assertArrayEquals(new float[] {
            5, 6, 4, 5, 6, 4,
            2, 3, 1, 2, 3, 1,
            5, 6, 4, 5, 6, 4}, ModePadding.pad(circular, x).data());
        // folding a gradient of ones counts the copies of each element
        assertArrayEquals(new float[] {1, 3, 2, 2, 6, 4},
                ModePadding.fold(reflect, Tensor4D.filled(1, 1, 1, 3, 6)).data());
        assertArrayEquals(new float[] {6, 2, 4, 3, 1, 2},
                ModePadding.fold(replicate, Tensor4D.filled(1, 1, 1, 3, 6)).data());
    }

    @Test
    void theModeIsPartOfTheParameters() {
        ConvParams reflect = ConvParams.builder().padding(1).paddingMode(PaddingMode.REFLECT).build();
        assertEquals(PaddingMode.ZEROS, ConvParams.DEFAULT.paddingMode());
        assertEquals(PaddingMode.REFLECT, reflect.paddingMode());
        assertEquals(reflect, reflect.toBuilder().build());
        assertNotEquals(reflect, ConvParams.builder().padding(1).build());
        assertTrue(reflect.toString().endsWith(", paddingMode=REFLECT}"), reflect.toString());
        assertTrue(reflect.isPaddedWithCopies());
        assertTrue(!ConvParams.builder().paddingMode(PaddingMode.CIRCULAR).build().isPaddedWithCopies());
        ConvParams same = ConvParams.builder().samePadding(7, 7, 4, 4).paddingMode(PaddingMode.REPLICATE).build();
        assertEquals(1, same.padTop());
        assertEquals(2, same.padBottom());
        assertEquals(PaddingMode.REPLICATE, same.paddingMode());
    }

    @Test
    void eachModesLimitIsCheckedNamingTheSideThePadAndTheSize() {
        shape(3, 4, 2, 2, 3, 3, PaddingMode.REFLECT);
        shape(3, 4, 3, 3, 4, 4, PaddingMode.CIRCULAR);
        shape(3, 4, 9, 9, 9, 9, PaddingMode.REPLICATE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> shape(3, 4, 0, 3, 0, 0, PaddingMode.REFLECT));
        assertEquals("padBottom: expected less than the input height 3 for REFLECT padding, got 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> shape(3, 4, 0, 0, 5, 0, PaddingMode.CIRCULAR));
        assertEquals("padLeft: expected at most the input width 4 for CIRCULAR padding, got 5", e.getMessage());
    }
}
