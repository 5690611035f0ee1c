package org.conv4j.fft;

import org.conv4j.api.ConvShape;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks the circular-placement rule of {@link AxisTiling} by brute force in one dimension: for thousands of
 * random geometries and every transform length, the circular correlation (or convolution) of each tile's
 * buffer, read at the tile's output positions, must equal the linear sum of the definition exactly (small
 * integers, so every sum is exact in double).
 */
class AxisTilingTest {

    private static final int CASES = 3000;

    @Test
    void circularTilesReproduceTheLinearSumsExactly() {
        SplittableRandom r = new SplittableRandom(42);
        int checked = 0;
        int tiledChecked = 0;
        int paddingTrickUsed = 0;
        for (int c = 0; c < CASES; c++) {
            int kernel = 1 + r.nextInt(6);
            int dilation = 1 + r.nextInt(3);
            int stride = 1 + r.nextInt(4);
            int padBefore = r.nextInt(6);
            int padAfter = r.nextInt(6);
            int extent = (kernel - 1) * dilation + 1;
            int in = Math.max(1, extent - padBefore - padAfter) + r.nextInt(20);
            int out = ConvShape.outputSize(in, kernel, stride, padBefore, padAfter, dilation);
            double[] x = ints(r, in);
            double[] w = ints(r, kernel);
            double[] dy = ints(r, out);
            int single = AxisTiling.singleTileLength(AxisTiling.Kind.CORRELATE, out, stride, padBefore, extent, in);
            if (single < (long) (out - 1) * stride + extent) {
                paddingTrickUsed++;
            }
            for (int f = 2; f <= single + 3; f++) {
                AxisTiling corr = AxisTiling.of(AxisTiling.Kind.CORRELATE, f, out, stride, padBefore, extent, in);
                AxisTiling conv = AxisTiling.of(AxisTiling.Kind.CONVOLVE, f, in, stride, padBefore, extent,
                        (out - 1) * stride + 1);
                if (f < extent) {
                    assertNull(corr, "no tiling shorter than the kernel");
                    continue;
                }
                assertNotNull(corr);
                assertNotNull(conv);
                checkForward(corr, x, w, dilation);
                checkWeightGradient(corr, x, dy, kernel, dilation);
                checkInputGradient(conv, dy, w, dilation, in);
                checked++;
                tiledChecked += corr.tiles > 1 ? 1 : 0;
            }
        }
        assertTrue(checked > 10_000 && tiledChecked > 5_000 && paddingTrickUsed > 500,
                "coverage: " + checked + " tilings, " + tiledChecked + " multi-tile, " + paddingTrickUsed
                        + " single tiles shorter than the padded input");
    }

    /**
     * The placement of a tile's data never wraps: data position {@code x} sits at {@code x - lo}, so the placements
     * may step through the buffer linearly (FftBackend's gradient placement relies on it).
     */
    @Test
    void tileDataSitsAtItsOffsetFromTheReadStart() {
        for (AxisTiling.Kind kind : AxisTiling.Kind.values()) {
            for (int stride = 1; stride <= 3; stride++) {
                for (int extent = 1; extent <= 7; extent += 2) {
                    for (int pad = 0; pad <= extent; pad++) {
                        for (int in = Math.max(1, extent - 2 * pad); in <= 12; in++) {
                            int out = ConvShape.outputSize(in, extent, stride, pad, pad, 1);
                            int outputs = kind == AxisTiling.Kind.CORRELATE ? out : in;
                            int data = kind == AxisTiling.Kind.CORRELATE ? in : (out - 1) * stride + 1;
                            int single = AxisTiling.singleTileLength(kind, outputs, stride, pad, extent, data);
                            for (int f = extent; f <= single + 2; f++) {
                                AxisTiling a = AxisTiling.of(kind, f, outputs, stride, pad, extent, data);
                                for (int t = 0; t < a.tiles; t++) {
                                    long lo = a.lo(t);
                                    for (long x = a.dataFirst(t); x <= a.dataLast(t); x++) {
                                        if (a.bufferIndex(t, x) != x - lo) {
                                            fail(a + " tile " + t + ": data " + x + " wraps (read start " + lo + ")");
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static double[] ints(SplittableRandom r, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(19) - 9;
        }
        return a;
    }

    /** The length-f buffer of tile t holding data[] at the tile's circular positions. */
    private static double[] place(AxisTiling a, int t, double[] data, int step) {
        double[] buf = new double[a.f];
        for (long pos = a.dataFirst(t); pos <= a.dataLast(t); pos += step) {
            buf[a.bufferIndex(t, pos)] = data[(int) (pos / step)];
        }
        return buf;
    }

    private static void checkForward(AxisTiling a, double[] x, double[] w, int dilation) {
        for (int t = 0; t < a.tiles; t++) {
            double[] buf = place(a, t, x, 1);
            for (int o = a.first(t); o < a.end(t); o++) {
                double expected = 0;
                double actual = 0;
                for (int i = 0; i < w.length; i++) {
                    int pos = o * a.stride - a.pad + i * dilation;
                    expected += pos >= 0 && pos < x.length ? w[i] * x[pos] : 0;
                    actual += w[i] * buf[(a.outputIndex(t, o) + i * dilation) % a.f];
                }
                if (expected != actual) {
                    fail("forward " + a + " tile " + t + " output " + o + ": expected " + expected + ", got " + actual);
                }
            }
        }
    }

    /** Tile t's share of dw[i] = sum_o dy[o] * xpad[o*s - p + i*d], with dy placed from the tile's first output. */
    private static void checkWeightGradient(AxisTiling a, double[] x, double[] dy, int kernel, int dilation) {
        for (int t = 0; t < a.tiles; t++) {
            double[] bx = place(a, t, x, 1);
            double[] bu = new double[a.f];
            for (int o = a.first(t); o < a.end(t); o++) {
                bu[(o - a.first(t)) * a.stride] = dy[o];
            }
            for (int i = 0; i < kernel; i++) {
                double expected = 0;
                for (int o = a.first(t); o < a.end(t); o++) {
                    int pos = o * a.stride - a.pad + i * dilation;
                    expected += pos >= 0 && pos < x.length ? dy[o] * x[pos] : 0;
                }
                double actual = 0;
                for (int b = 0; b < a.f; b++) {
                    actual += bu[b] * bx[(b + i * dilation) % a.f];
                }
                if (expected != actual) {
                    fail("weight gradient " + a + " tile " + t + " tap " + i + ": expected " + expected + ", got " + actual);
                }
            }
        }
    }

    /** dx[ih] = sum over (o, i) with o*s - p + i*d == ih of dy[o] * w[i]: circular convolution of the upsampled dy. */
    private static void checkInputGradient(AxisTiling a, double[] dy, double[] w, int dilation, int in) {
        for (int t = 0; t < a.tiles; t++) {
            double[] buf = place(a, t, dy, a.stride);
            for (int ih = a.first(t); ih < a.end(t); ih++) {
                double expected = 0;
                for (int o = 0; o < dy.length; o++) {
                    for (int i = 0; i < w.length; i++) {
                        if (o * a.stride - a.pad + i * dilation == ih) {
                            expected += dy[o] * w[i];
                        }
                    }
                }
                double actual = 0;
                for (int i = 0; i < w.length; i++) {
                    actual += w[i] * buf[Math.floorMod(a.outputIndex(t, ih) - i * dilation, a.f)];
                }
                if (expected != actual) {
                    fail("input gradient " + a + " tile " + t + " input " + ih + ": expected " + expected + ", got " + actual);
                }
            }
        }
    }
}
