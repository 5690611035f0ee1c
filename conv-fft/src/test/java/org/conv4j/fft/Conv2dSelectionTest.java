package org.conv4j.fft;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The facade's measured rule, with fft and naive on the classpath. */
class Conv2dSelectionTest {

    private static String chosen(int kernel, ConvParams p) {
        Tensor4D x = Tensor4D.zeros(1, 2, 40, 40);
        Tensor4D w = Tensor4D.zeros(2, 2, kernel, kernel);
        return Conv2d.backendFor(ConvShape.forward(x, w, null, p)).name();
    }

    @Test
    void largeUnstridedKernelsGoToFft() {
        assertEquals("fft", chosen(7, ConvParams.DEFAULT));
        assertEquals("fft", chosen(11, ConvParams.DEFAULT));
        assertEquals("fft", chosen(31, ConvParams.builder().padding(15).build()));
    }

    @Test
    void smallOrStridedKernelsFollowThePreferenceOrder() {
        // im2col and strided are not on this module's classpath: fft comes before naive in the preference
        assertEquals(Conv2d.defaultBackend().name(), chosen(5, ConvParams.DEFAULT));
        assertEquals(Conv2d.defaultBackend().name(), chosen(11, ConvParams.builder().stride(4).build()));
    }

    @Test
    void facadeResultMatchesTheChosenBackend() {
        Tensor4D x = Tensor4D.random(1, 1, 2, 24, 24);
        Tensor4D w = Tensor4D.random(2, 2, 2, 11, 11);
        ConvParams p = ConvParams.builder().padding(5).build();
        assertEquals(new FftBackend().forward(x, w, null, p), Conv2d.forward(x, w, null, p));
    }
}
