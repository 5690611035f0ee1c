package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Conv1dParamsTest {

    @Test
    void theHeightAxisOfTheEquivalent2dConvolutionIsNeutral() {
        Conv1dParams p = Conv1dParams.builder().stride(3).padding(1, 2).dilation(2).groups(4)
                .paddingMode(PaddingMode.REFLECT).outputPadding(1).build();
        ConvParams c = p.toConvParams();
        assertEquals(ConvParams.builder().stride(1, 3).padding(0, 0, 1, 2).dilation(1, 2).groups(4)
                .paddingMode(PaddingMode.REFLECT).outputPadding(0, 1).build(), c);
        assertEquals(3, p.stride());
        assertEquals(1, p.padLeft());
        assertEquals(2, p.padRight());
        assertEquals(2, p.dilation());
        assertEquals(4, p.groups());
        assertEquals(1, p.outputPadding());
        assertEquals(p, p.toBuilder().build());
        assertNotEquals(p, p.toBuilder().stride(2).build());
        assertEquals("Conv1dParams{stride=3, padding=(left 1, right 2), dilation=2, groups=4, paddingMode=REFLECT,"
                + " outputPadding=1}", p.toString());
    }

    @Test
    void samePaddingPutsTheOddPositionOnTheRight() {
        // W 10, stride 2: out 5; total = (5-1)*2 + (4-1)*1 + 1 - 10 = 2; kernel 5: total 3 -> 1 left, 2 right
        Conv1dParams p = Conv1dParams.builder().stride(2).samePadding(10, 5).build();
        assertEquals(1, p.padLeft());
        assertEquals(2, p.padRight());
        assertEquals(0, p.toConvParams().padTop());
        assertEquals(0, p.toConvParams().padBottom());
        assertEquals(5, ConvShape.outputSize(10, 5, 2, p.padLeft(), p.padRight(), 1));
    }

    @Test
    void badValuesAreNamedIn1dTerms() {
        assertMessage("stride: expected >= 1, got 0", () -> Conv1dParams.builder().stride(0).build());
        assertMessage("dilation: expected >= 1, got 0", () -> Conv1dParams.builder().dilation(0).build());
        assertMessage("groups: expected >= 1, got 0", () -> Conv1dParams.builder().groups(0).build());
        assertMessage("padRight: expected >= 0, got -1", () -> Conv1dParams.builder().padding(0, -1).build());
        assertMessage("outputPadding: expected >= 0, got -2", () -> Conv1dParams.builder().outputPadding(-2).build());
        assertMessage("samePadding kernelW: expected >= 1, got 0", () -> Conv1dParams.builder().samePadding(4, 0).build());
        assertThrows(NullPointerException.class, () -> Conv1dParams.builder().paddingMode(null));
    }

    private static void assertMessage(String message, org.junit.jupiter.api.function.Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
