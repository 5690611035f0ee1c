package org.conv4j.fft;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RealFft3D} against the definition of the 3D DFT, on both depth paths (the transform along the depth and
 * the direct sum over few slices, {@link FftSizes#directDepth}), power-of-two and mixed-radix depths; and the
 * inverse of selected slices and rows.
 */
class RealFft3DTest {

    /** A signal non-zero only in {@code slices} and {@code rows}. */
    private static float[] signal(long seed, int fd, int fh, int fw, int[] slices, int[] rows) {
        Random r = new Random(seed);
        float[] s = new float[fd * fh * fw];
        for (int z : slices) {
            for (int row : rows) {
                for (int c = 0; c < fw; c++) {
                    s[(z * fh + row) * fw + c] = r.nextFloat() * 2 - 1;
                }
            }
        }
        return s;
    }

    private static int[] range(int from, int count, int step) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            r[i] = from + i * step;
        }
        return r;
    }

    /** The cases cover every depth path: the radix-2 and the mixed-radix transforms and the direct sum. */
    @ParameterizedTest
    @CsvSource({"8, 6, 10, 8, false", "8, 6, 10, 1, true", "6, 5, 8, 6, false", "6, 5, 8, 2, true", "10, 4, 6, 3, true",
        "16, 3, 4, 16, false", "16, 3, 4, 1, true", "48, 2, 2, 40, false"})
    void forwardIsTheDft(int fd, int fh, int fw, int sliceCount, boolean direct) {
        assertEquals(direct, FftSizes.directDepth(fd, sliceCount), "the depth path this case is for");
        int[] slices = range(fd - sliceCount, sliceCount, 1);
        int[] rows = range(1, fh - 1, 1);
        float[] s = signal(fd * 31L + sliceCount, fd, fh, fw, slices, rows);
        RealFft3D plan = RealFft3D.of(fd, fh, fw);
        float[] re = new float[plan.planeSize];
        float[] im = new float[plan.planeSize];
        plan.forward(s.clone(), slices, slices.length, rows, rows.length, re, im, plan.newWork());
        int half = fw / 2 + 1;
        double max = 0;
        for (int t = 0; t < fd; t++) {
            for (int v = 0; v < fh; v++) {
                for (int u = 0; u < half; u++) {
                    double sr = 0;
                    double si = 0;
                    for (int z = 0; z < fd; z++) {
                        for (int r = 0; r < fh; r++) {
                            for (int c = 0; c < fw; c++) {
                                double a = -2 * Math.PI * ((double) t * z / fd + (double) v * r / fh + (double) u * c / fw);
                                double x = s[(z * fh + r) * fw + c];
                                sr += x * Math.cos(a);
                                si += x * Math.sin(a);
                            }
                        }
                    }
                    int i = (t * fh + v) * half + u;
                    max = Math.max(max, Math.max(Math.abs(sr - re[i]), Math.abs(si - im[i])));
                }
            }
        }
        assertTrue(max < 1e-4 * fd * fh * fw / 8.0, "largest difference " + max);
    }

    @ParameterizedTest
    @CsvSource({"8, 6, 10, 8", "8, 6, 10, 1", "6, 5, 8, 2", "6, 5, 8, 6", "10, 4, 6, 3", "32, 4, 4, 3", "48, 2, 4, 30"})
    void inverseReturnsTheSelectedSlicesAndRows(int fd, int fh, int fw, int wanted) {
        int[] all = range(0, fd, 1);
        int[] allRows = range(0, fh, 1);
        float[] s = signal(fd * 17L + wanted, fd, fh, fw, all, allRows);
        RealFft3D plan = RealFft3D.of(fd, fh, fw);
        float[] re = new float[plan.planeSize];
        float[] im = new float[plan.planeSize];
        RealFft3D.Work work = plan.newWork();
        plan.forward(s.clone(), all, fd, allRows, fh, re, im, work);
        int[] slices = range(fd - 1, wanted, -1);
        int[] rows = {fh - 1, 0};
        float[] out = new float[wanted * rows.length * fw];
        plan.inverse(re, im, slices, wanted, rows, rows.length, out, work);
        for (int a = 0; a < wanted; a++) {
            for (int b = 0; b < rows.length; b++) {
                for (int c = 0; c < fw; c++) {
                    assertEquals(s[(slices[a] * fh + rows[b]) * fw + c], out[(a * rows.length + b) * fw + c], 1e-5,
                            "slice " + slices[a] + " row " + rows[b] + " column " + c);
                }
            }
        }
    }
}
