package org.conv4j.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvParamsTest {

    @Test
    void defaults() {
        ConvParams p = ConvParams.builder().build();
        assertEquals(ConvParams.DEFAULT, p);
        assertEquals(1, p.strideH());
        assertEquals(0, p.padRight());
        assertEquals(1, p.dilationW());
        assertEquals(1, p.groups());
        assertFalse(p.isStrided() || p.isPadded() || p.isDilated() || p.isGrouped());
        assertEquals("ConvParams{stride=1x1, padding=(top 0, bottom 0, left 0, right 0), dilation=1x1, groups=1}",
                p.toString());
    }

    @Test
    void shorthandsExpand() {
        assertEquals(ConvParams.builder().stride(2, 2).padding(1, 1, 1, 1).dilation(3, 3).build(),
                ConvParams.builder().stride(2).padding(1).dilation(3).build());
        ConvParams p = ConvParams.builder().padding(1, 2).build();
        assertEquals(1, p.padTop());
        assertEquals(1, p.padBottom());
        assertEquals(2, p.padLeft());
        assertEquals(2, p.padRight());
        assertEquals(p, p.toBuilder().build());
        assertTrue(p.isPadded());
    }

    @ParameterizedTest
    @CsvSource({
        "0, 1, 0, 1, 1, 'strideH: expected >= 1, got 0'",
        "1, 1, -1, 1, 1, 'padTop: expected >= 0, got -1'",
        "1, 1, 0, 0, 1, 'dilationH: expected >= 1, got 0'",
        "1, 1, 0, 1, 0, 'groups: expected >= 1, got 0'",
        "1, -3, 0, 1, 1, 'strideW: expected >= 1, got -3'",
    })
    void buildRejectsOutOfRangeValues(int sh, int sw, int pad, int dil, int groups, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvParams.builder().stride(sh, sw).padding(pad, 0, 0, 0).dilation(dil).groups(groups).build());
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest(name = "in {0}, kernel {1}, stride {2}, dilation {3} -> pad {4}+{5}")
    @CsvSource({
        // in, k, s, d, top, bottom
        "5, 3, 1, 1, 1, 1",
        "10, 4, 2, 1, 1, 1",   // out 5, total (5-1)*2 + 4 - 10 = 2
        "9, 3, 2, 1, 1, 1",    // out 5, total 8 + 3 - 9 = 2
        "10, 3, 2, 1, 0, 1",   // out 5, total 8 + 3 - 10 = 1: the extra row at the bottom
        "224, 7, 2, 1, 2, 3",  // ResNet conv1 under TensorFlow: total 5
        "7, 3, 1, 2, 2, 2",    // dilated kernel extent 5
        "6, 1, 3, 1, 0, 0",    // 1x1 never pads
        "4, 5, 4, 1, 0, 1",    // out 1, total 0 + 5 - 4 = 1
    })
    void samePaddingFollowsTensorFlow(int in, int k, int s, int d, int top, int bottom) {
        ConvParams p = ConvParams.builder().stride(s).dilation(d).samePadding(in, in, k, k).build();
        assertEquals(top, p.padTop());
        assertEquals(bottom, p.padBottom());
        assertEquals(top, p.padLeft());
        assertEquals(bottom, p.padRight());
        assertEquals((in + s - 1) / s, ConvShape.outputSize(in, k, s, top, bottom, d), "output is ceil(in/stride)");
    }

    @Test
    void samePaddingIsResolvedWithTheFinalStride() {
        ConvParams p = ConvParams.builder().samePadding(10, 10, 3, 3).stride(2).build();
        assertEquals(0, p.padTop());
        assertEquals(1, p.padBottom());
        ConvParams explicit = ConvParams.builder().samePadding(10, 10, 3, 3).padding(4).build();
        assertEquals(4, explicit.padTop(), "a later padding() replaces samePadding()");
        assertThrows(IllegalArgumentException.class, () -> ConvParams.builder().samePadding(0, 4, 3, 3).build());
    }
}
