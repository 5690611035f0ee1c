package org.conv4j.fft;

import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two stride tricks of the engine: decimation by folding the spectrum (the inverse of the folded spectrum
 * is the decimated signal) and upsampling by replicating it (the replicated, phase-shifted spectrum of a
 * small signal is the spectrum of its zero-upsampled version).
 */
class FoldTest {

    @ParameterizedTest
    @CsvSource({"12, 12, 2, 2", "12, 20, 3, 2", "18, 12, 3, 3", "16, 16, 4, 4", "10, 4, 5, 2", "9, 8, 1, 4"})
    void foldedInverseIsTheDecimatedSignal(int fh, int fw, int dh, int dw) {
        RealFft2D big = RealFft2D.of(fh, fw);
        RealFft2D small = RealFft2D.of(fh / dh, fw / dw);
        SplittableRandom r = new SplittableRandom(fh * 100L + fw);
        float[] signal = new float[fh * fw];
        int[] rows = new int[fh];
        for (int i = 0; i < signal.length; i++) {
            signal[i] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int i = 0; i < fh; i++) {
            rows[i] = i;
        }
        float[] re = new float[big.planeSize];
        float[] im = new float[big.planeSize];
        big.forward(signal.clone(), rows, fh, re, im, big.newWork());
        float[] zr = new float[small.planeSize];
        float[] zi = new float[small.planeSize];
        SpectralProduct.fold(big, re, im, dh, dw, small, zr, zi);
        int[] smallRows = new int[small.fh];
        for (int i = 0; i < small.fh; i++) {
            smallRows[i] = i;
        }
        float[] out = new float[small.fh * small.fw];
        small.inverse(zr, zi, smallRows, small.fh, out, small.newWork());
        for (int m = 0; m < small.fh; m++) {
            for (int n = 0; n < small.fw; n++) {
                assertEquals(signal[(m * dh) * fw + n * dw], out[m * small.fw + n], 2e-6, "(" + m + ", " + n + ")");
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"12, 12, 2, 2, 1, 0", "12, 20, 3, 2, 2, 1", "18, 12, 3, 3, 0, 2", "16, 16, 4, 4, 3, 3", "9, 8, 1, 4, 0, 1"})
    void replicatedSmallSpectrumIsTheSpectrumOfTheUpsampledSignal(int fh, int fw, int uh, int uw, int rh, int rw) {
        RealFft2D big = RealFft2D.of(fh, fw);
        RealFft2D small = RealFft2D.of(fh / uh, fw / uw);
        SplittableRandom r = new SplittableRandom(fh * 7L + fw);
        float[] g = new float[small.fh * small.fw];
        float[] upsampled = new float[fh * fw];
        for (int m = 0; m < small.fh; m++) {
            for (int n = 0; n < small.fw; n++) {
                g[m * small.fw + n] = (float) (r.nextDouble() * 2 - 1);
                upsampled[(uh * m + rh) * fw + uw * n + rw] = g[m * small.fw + n];
            }
        }
        float[] re = new float[big.planeSize];
        float[] im = new float[big.planeSize];
        big.forward(upsampled, allRows(fh), fh, re, im, big.newWork());
        float[] sr = new float[small.planeSize];
        float[] si = new float[small.planeSize];
        small.forward(g, allRows(small.fh), small.fh, sr, si, small.newWork());
        float[] er = new float[big.planeSize];
        float[] ei = new float[big.planeSize];
        SpectralProduct.expand(big, small, sr, si, new SpectralProduct.Phases(big, uh, uw), rh, rw, er, ei);
        for (int e = 0; e < big.planeSize; e++) {
            assertEquals(re[e], er[e], 2e-5, "Re at " + e);
            assertEquals(im[e], ei[e], 2e-5, "Im at " + e);
        }
    }

    private static int[] allRows(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }

    @Test
    void theForwardPassOfAStridedLayerIsPlannedOnTheDecimatedGrid() {
        ConvShape s = ConvShape.forward(Tensor4D.zeros(1, 3, 227, 227), Tensor4D.zeros(96, 3, 11, 11), null,
                ConvParams.builder().stride(4).build());
        FftPlanner.Plan plan = FftPlanner.plan(ConvPass.FORWARD, s, FftSizes.maxTransform());
        assertTrue(plan.decH == 4 && plan.decW == 4, plan.toString());
    }
}
