package org.conv4j.fft;

import org.jtransforms.utils.CommonUtils;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FftSizesTest {

    @Test
    void goodSizesAreTheFiveSmoothOnes() {
        assertTrue(FftSizes.isGood(2));
        assertTrue(FftSizes.isGood(75));
        assertTrue(FftSizes.isGood(1024));
        assertTrue(FftSizes.isGood(2 * 3 * 5 * 9));
        assertFalse(FftSizes.isGood(1));
        assertFalse(FftSizes.isGood(7));
        assertFalse(FftSizes.isGood(143)); // 11 * 13
        assertArrayEquals(new int[] {15, 16, 18, 20}, FftSizes.goodSizes(14, 20, false));
        assertArrayEquals(new int[] {16, 18, 20}, FftSizes.goodSizes(14, 20, true));
    }

    @Test
    void nextGoodIsTheSmallestAtLeastN() {
        assertEquals(2, FftSizes.nextGood(1, false, 100));
        assertEquals(144, FftSizes.nextGood(143, false, 2048));
        assertEquals(15, FftSizes.nextGood(14, false, 2048));
        assertEquals(16, FftSizes.nextGood(15, true, 2048));
        assertEquals(-1, FftSizes.nextGood(101, false, 100));
        for (int n = 1; n <= 600; n++) {
            int g = FftSizes.nextGood(n, true, 4096);
            assertTrue(g >= n && g % 2 == 0 && FftSizes.isGood(g));
            for (int m = Math.max(2, n); m < g; m++) {
                assertFalse(m % 2 == 0 && FftSizes.isGood(m), "missed " + m + " for " + n);
            }
        }
    }

    @Test
    void transformsStayBelowJTransformsThreadingThreshold() {
        // a complex transform of length n is 2n floats; JTransforms hands work to its own pool from the threshold on
        assertTrue(2L * FftSizes.maxTransform() < CommonUtils.getThreadsBeginN_1D_FFT_2Threads());
        long saved = CommonUtils.getThreadsBeginN_1D_FFT_2Threads();
        try {
            CommonUtils.setThreadsBeginN_1D_FFT_2Threads(1024); // the lowest JTransforms accepts
            assertTrue(2L * FftSizes.maxTransform() < 1024, "max " + FftSizes.maxTransform());
        } finally {
            CommonUtils.setThreadsBeginN_1D_FFT_2Threads(saved);
        }
    }

    @Test
    void costModelPrefersPowersOfTwoAtEqualLength() {
        assertTrue(FftSizes.complexCost(128) < FftSizes.complexCost(120));
        assertTrue(FftSizes.realCost(64) < FftSizes.realCost(60));
        assertTrue(FftSizes.transform2dCost(64, 64, 10) < FftSizes.transform2dCost(64, 64, 64));
    }
}
