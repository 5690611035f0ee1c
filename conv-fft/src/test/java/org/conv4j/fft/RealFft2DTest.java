package org.conv4j.fft;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RealFft2DTest {

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static int[] allRows(int fh) {
        int[] rows = new int[fh];
        for (int i = 0; i < fh; i++) {
            rows[i] = i;
        }
        return rows;
    }

    @ParameterizedTest
    @CsvSource({"2, 2", "3, 4", "4, 2", "5, 6", "16, 16", "75, 64", "45, 50", "64, 64", "128, 96", "27, 2", "256, 10"})
    void forwardMatchesTheDefinitionAndInverseRoundTrips(int fh, int fw) {
        RealFft2D plan = RealFft2D.of(fh, fw);
        float[] signal = random(fh * fw, fh * 31L + fw);
        float[] re = new float[plan.planeSize];
        float[] im = new float[plan.planeSize];
        plan.forward(signal.clone(), allRows(fh), fh, re, im, plan.newWork());
        // S(v, u) = sum s(r, c) e^{-2 pi i (v r / fh + u c / fw)} at a few frequencies
        double scale = fh * fw;
        for (int[] vu : new int[][] {{0, 0}, {1, 1}, {fh - 1, fw / 2}, {fh / 2, 1}, {fh / 3, fw / 3}}) {
            double sr = 0;
            double si = 0;
            for (int r = 0; r < fh; r++) {
                for (int c = 0; c < fw; c++) {
                    double angle = -2 * Math.PI * ((double) vu[0] * r / fh + (double) vu[1] * c / fw);
                    sr += signal[r * fw + c] * Math.cos(angle);
                    si += signal[r * fw + c] * Math.sin(angle);
                }
            }
            int idx = vu[0] * plan.halfW + vu[1]; // row-major: (v, u) at v*(fw/2+1) + u
            assertEquals(sr, re[idx], 1e-5 * scale, "Re S" + java.util.Arrays.toString(vu));
            assertEquals(si, im[idx], 1e-5 * scale, "Im S" + java.util.Arrays.toString(vu));
        }
        // inverse of a chosen subset of rows, in a chosen order
        int[] rows = {fh - 1, 0, fh / 2};
        int count = fh > 2 ? 3 : 2;
        float[] out = new float[count * fw];
        plan.inverse(re, im, rows, count, out, plan.newWork());
        for (int k = 0; k < count; k++) {
            for (int c = 0; c < fw; c++) {
                assertEquals(signal[rows[k] * fw + c], out[k * fw + c], 2e-6, "row " + rows[k] + " col " + c);
            }
        }
    }

    @Test
    void unlistedRowsAreTakenAsZero() {
        RealFft2D plan = RealFft2D.of(20, 12);
        float[] signal = new float[20 * 12];
        float[] values = random(12 * 2, 5);
        System.arraycopy(values, 0, signal, 3 * 12, 12);
        System.arraycopy(values, 12, signal, 17 * 12, 12);
        float[] garbage = signal.clone();
        java.util.Arrays.fill(garbage, 0, 12, 99f); // row 0 not listed: must never be read
        float[] re1 = new float[plan.planeSize];
        float[] im1 = new float[plan.planeSize];
        float[] re2 = new float[plan.planeSize];
        float[] im2 = new float[plan.planeSize];
        plan.forward(signal.clone(), allRows(20), 20, re1, im1, plan.newWork());
        plan.forward(garbage, new int[] {17, 3}, 2, re2, im2, plan.newWork());
        for (int i = 0; i < plan.planeSize; i++) {
            assertEquals(re1[i], re2[i], 1e-6);
            assertEquals(im1[i], im2[i], 1e-6);
        }
    }

    @Test
    void plansAreCachedPerSizeAndSharedBetweenThreads() throws Exception {
        RealFft2D a = RealFft2D.of(30, 40);
        assertSame(a, RealFft2D.of(30, 40));
        assertTrue(RealFft2D.cachedPlans() >= 1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<RealFft2D>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit((Callable<RealFft2D>) () -> RealFft2D.of(54, 50)));
            }
            RealFft2D first = futures.get(0).get();
            for (Future<RealFft2D> f : futures) {
                assertSame(first, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsSizesTheLayoutCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> RealFft2D.of(1, 4));
        assertThrows(IllegalArgumentException.class, () -> RealFft2D.of(4, 5));
        assertThrows(IllegalArgumentException.class, () -> RealFft2D.of(4, 0));
    }
}
