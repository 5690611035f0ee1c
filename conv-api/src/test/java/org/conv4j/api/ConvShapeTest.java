package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvShapeTest {

    @Test
    void outputSizeFormula() {
        assertEquals(2, ConvShape.outputSize(3, 2, 1, 0, 0, 1));      // 3x3 worked example
        assertEquals(55, ConvShape.outputSize(227, 11, 4, 0, 0, 1));  // AlexNet conv1
        assertEquals(112, ConvShape.outputSize(224, 7, 2, 3, 3, 1));  // ResNet-50 conv1
        assertEquals(56, ConvShape.outputSize(56, 3, 1, 1, 1, 1));
        assertEquals(3, ConvShape.outputSize(7, 3, 1, 0, 0, 2));      // dilated extent 5
        assertEquals(1, ConvShape.outputSize(6, 3, 4, 0, 0, 1));      // stride skips the rest
    }

    @Test
    void describesTheWholeGeometry() {
        ConvParams p = ConvParams.builder().stride(2).padding(1, 2, 0, 3).groups(2).build();
        ConvShape s = ConvShape.forward(Tensor4D.zeros(3, 4, 10, 9), Tensor4D.zeros(6, 2, 3, 2), new float[6], p);
        assertEquals(6, s.outH());      // (10 + 3 - 3) / 2 + 1
        assertEquals(6, s.outW());      // (9 + 3 - 2) / 2 + 1
        assertEquals(2, s.inChannelsPerGroup());
        assertEquals(3, s.outChannelsPerGroup());
        assertEquals(12, s.patchSize());
        assertEquals(3L * 6 * 6 * 6 * 12, s.macs());
        assertEquals(13, s.paddedH());
        assertTrue(s.toString().startsWith("input [3, 4, 10, 9] * weight [6, 2, 3, 2] -> [3, 6, 6, 6]"), s.toString());
    }

    @Test
    void messagesStateExpectedAndActual() {
        Tensor4D x = Tensor4D.zeros(1, 6, 8, 8);
        ConvParams g3 = ConvParams.builder().groups(3).build();
        assertEquals("weight: expected 2 channels per filter (input channels 6 / groups 3), got 6 (weight shape [3, 6, 3, 3])",
                assertThrows(IllegalArgumentException.class,
                        () -> ConvShape.forward(x, Tensor4D.zeros(3, 6, 3, 3), null, g3)).getMessage());
        assertEquals("groups: expected a divisor of the input channels 6, got groups=4",
                assertThrows(IllegalArgumentException.class, () -> ConvShape.forward(x, Tensor4D.zeros(4, 1, 3, 3), null,
                        ConvParams.builder().groups(4).build())).getMessage());
        assertEquals("weight: expected a dilated kernel height no larger than the padded input height 8 (input 8 + padding 0+0), got 9 (kernel 3, dilation 4)",
                assertThrows(IllegalArgumentException.class, () -> ConvShape.forward(x, Tensor4D.zeros(3, 6, 3, 3), null,
                        ConvParams.builder().dilation(4, 1).build())).getMessage());
        assertEquals("bias: expected length 3 (one per filter), got 2",
                assertThrows(IllegalArgumentException.class, () -> ConvShape.forward(x, Tensor4D.zeros(3, 6, 3, 3),
                        new float[2], ConvParams.DEFAULT)).getMessage());
        assertEquals("gradOutput: expected the forward output's shape [1, 3, 6, 6], got [1, 3, 6, 5]",
                assertThrows(IllegalArgumentException.class, () -> ConvShape.backward(x, Tensor4D.zeros(3, 6, 3, 3),
                        Tensor4D.zeros(1, 3, 6, 5), ConvParams.DEFAULT)).getMessage());
    }

    @Test
    void hugePaddingDoesNotOverflow() {
        ConvParams p = ConvParams.builder().padding(Integer.MAX_VALUE, Integer.MAX_VALUE, 0, 0).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvShape.forward(Tensor4D.zeros(1, 1, 4, 4), Tensor4D.zeros(1, 1, 1, 1), null, p));
        assertTrue(e.getMessage().startsWith("output height: expected at most 2147483647, got "), e.getMessage());
    }

    @Test
    void shapesAreEqualWhenEverySizeAndParameterIs() {
        ConvParams p = ConvParams.builder().padding(1).build();
        ConvShape a = ConvShape.forward(Tensor4D.zeros(2, 3, 8, 9), Tensor4D.zeros(4, 3, 3, 3), null, p);
        ConvShape b = ConvShape.forward(Tensor4D.random(1, 2, 3, 8, 9), Tensor4D.random(2, 4, 3, 3, 3), new float[4],
                ConvParams.builder().padding(1).build());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, ConvShape.forward(Tensor4D.zeros(2, 3, 8, 9), Tensor4D.zeros(4, 3, 3, 3), null,
                ConvParams.builder().padding(1).paddingMode(PaddingMode.REFLECT).build()));
        assertNotEquals(a, ConvShape.forward(Tensor4D.zeros(2, 3, 8, 10), Tensor4D.zeros(4, 3, 3, 3), null, p));
    }
}
