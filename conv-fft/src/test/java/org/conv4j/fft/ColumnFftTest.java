package org.conv4j.fft;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ColumnFftTest {

    /** Every 5-smooth length up to 200, and a few long ones with every radix. */
    static IntStream lengths() {
        return IntStream.concat(IntStream.rangeClosed(2, 200), IntStream.of(240, 375, 512, 1000, 1536, 2048))
                .filter(FftSizes::isGood);
    }

    @ParameterizedTest
    @MethodSource("lengths")
    void everyOutputMatchesTheDefinitionInBothDirections(int n) {
        int m = 3; // a column count that is not a vector width
        for (boolean inverse : new boolean[] {false, true}) {
            Random r = new Random(n * 7L + (inverse ? 1 : 0));
            double[][] xr = new double[n][m];
            double[][] xi = new double[n][m];
            float[][] re = new float[n][m + 2]; // rows longer than m: the extra floats stay untouched
            float[][] im = new float[n][m + 2];
            for (int j = 0; j < n; j++) {
                for (int u = 0; u < m; u++) {
                    re[j][u] = r.nextFloat() * 2 - 1;
                    im[j][u] = r.nextFloat() * 2 - 1;
                    xr[j][u] = re[j][u];
                    xi[j][u] = im[j][u];
                }
                re[j][m] = 42f;
                im[j][m + 1] = -7f;
            }
            ColumnFft.of(n).transform(re, im, m, inverse);
            double sign = inverse ? 1 : -1;
            double tolerance = 1e-5 * n;
            for (int k = 0; k < n; k++) {
                for (int u = 0; u < m; u++) {
                    double sr = 0;
                    double si = 0;
                    for (int j = 0; j < n; j++) {
                        double angle = sign * 2 * Math.PI * ((long) j * k % n) / n;
                        sr += xr[j][u] * Math.cos(angle) - xi[j][u] * Math.sin(angle);
                        si += xr[j][u] * Math.sin(angle) + xi[j][u] * Math.cos(angle);
                    }
                    assertEquals(sr, re[k][u], tolerance, "n=" + n + " Re X[" + k + "] column " + u);
                    assertEquals(si, im[k][u], tolerance, "n=" + n + " Im X[" + k + "] column " + u);
                }
                assertEquals(42f, re[k][m], "n=" + n + ": a float past m was written");
                assertEquals(-7f, im[k][m + 1], "n=" + n + ": a float past m was written");
            }
        }
    }

    @Test
    void rejectsLengthsWithOtherPrimeFactors() {
        assertThrows(IllegalArgumentException.class, () -> ColumnFft.of(7));
        assertThrows(IllegalArgumentException.class, () -> ColumnFft.of(1));
        assertThrows(IllegalArgumentException.class, () -> ColumnFft.of(22));
    }
}
