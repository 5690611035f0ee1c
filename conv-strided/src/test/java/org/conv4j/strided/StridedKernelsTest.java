package org.conv4j.strided;

import org.conv4j.api.ConvShape;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class StridedKernelsTest {

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    /**
     * The scatter is the exact adjoint of the gather: {@code <gather(x), c> == <x, scatter(c)>} for every x, c.
     * This is what makes the dX of the backward pass the chain rule of the forward pass.
     */
    @Test
    void scatterIsTheAdjointOfGather() {
        SplittableRandom r = new SplittableRandom(5);
        for (ConvCase c : ConvCases.sweep(31, 150)) {
            ConvShape s = c.shape();
            int image = (int) (s.inChannels() * s.paddedH() * s.paddedW());
            int colLength = (int) (s.patchSize() * s.outPlane());
            for (int g = 0; g < s.groups(); g++) {
                WindowView v = WindowView.groupWindows(s, g);
                float[] x = random(r, image);
                float[] col = random(r, colLength);
                float[] gathered = new float[colLength + 3];
                StridedKernels.gatherWindows(x, v, FloatBuffer.wrap(gathered), 3);
                gathered = Arrays.copyOfRange(gathered, 3, gathered.length);
                float[] scattered = new float[image];
                float[] shifted = new float[colLength + 5];
                System.arraycopy(col, 0, shifted, 5, colLength);
                StridedKernels.scatterAddWindows(shifted, 5, v, scattered);
                double left = 0;
                double right = 0;
                for (int e = 0; e < colLength; e++) {
                    left += (double) gathered[e] * col[e];
                }
                for (int e = 0; e < image; e++) {
                    right += (double) x[e] * scattered[e];
                }
                assertEquals(left, right, 1e-9 * Math.max(1, Math.abs(left)) + 1e-4, c::toString);
            }
        }
    }

    /** The 3x3 worked example: 2x2 windows of [[3,9,0],[2,8,1],[1,4,8]] laid out as the im2col matrix. */
    @Test
    void workedExample3x3() {
        float[] x = {3, 9, 0, 2, 8, 1, 1, 4, 8};
        WindowView v = new WindowView(new long[] {1, 2, 2, 2, 2}, new long[] {9, 3, 1, 3, 1}, 0);
        float[] col = new float[16];
        StridedKernels.gatherWindows(x, v, FloatBuffer.wrap(col), 0);
        // rows: taps (0,0), (0,1), (1,0), (1,1); columns: windows (0,0), (0,1), (1,0), (1,1)
        assertArrayEquals(new float[] {3, 9, 2, 8, 9, 0, 8, 1, 2, 8, 1, 4, 8, 1, 4, 8}, col);
        float[] back = new float[9];
        float[] ones = new float[16];
        java.util.Arrays.fill(ones, 1f);
        StridedKernels.scatterAddWindows(ones, 0, v, back);
        // how many windows read each element: the centre 4, edges 2, corners 1
        assertArrayEquals(new float[] {1, 2, 1, 2, 4, 2, 1, 2, 1}, back);
    }

    @Test
    void padCropAndWideLayoutsRoundTrip() {
        SplittableRandom r = new SplittableRandom(9);
        float[] x = random(r, 2 * 4 * 5);
        float[] pad = new float[2 * 7 * 8];
        StridedKernels.padInto(x, 0, 2, 4, 5, pad, 0, 7, 8, 1, 2);
        assertEquals(x[0], pad[1 * 8 + 2]);
        assertEquals(0f, pad[0]);
        float[] back = new float[x.length];
        StridedKernels.cropInto(pad, 0, 7, 8, 1, 2, back, 0, 2, 4, 5);
        assertArrayEquals(x, back);

        int outH = 3, outW = 4, wp = 6, l = (outH - 1) * wp + outW;
        float[] compact = random(r, 2 * outH * outW);
        float[] wide = new float[2 * l];
        StridedKernels.compactToWide(compact, 0, outH * outW, 2, outH, outW, wp, wide, 0);
        assertEquals(0f, wide[outW], "wrap-around columns stay zero");
        float[] again = new float[compact.length];
        StridedKernels.wideToCompact(wide, 0, 2, outH, outW, wp, null, 0, again, 0, outH * outW);
        assertArrayEquals(compact, again);
        StridedKernels.wideToCompact(wide, 0, 2, outH, outW, wp, new float[] {1f, -2f}, 0, again, 0, outH * outW);
        assertEquals(compact[0] + 1f, again[0]);
        assertEquals(compact[outH * outW] - 2f, again[outH * outW]);
    }

    /** Strided phase layout: element (c, h, w) lands at phase (ph % sh, pw % sw), position (ph / sh, pw / sw). */
    @Test
    void phaseLayoutRoundTrip() {
        int c = 2, h = 5, w = 7, top = 1, left = 2, sh = 2, sw = 3;
        int hq = (h + top + 1 + sh - 1) / sh, wq = (w + left + 0 + sw - 1) / sw; // Hp = 7, Wp = 9
        float[] x = random(new SplittableRandom(4), c * h * w);
        float[] phases = new float[sh * sw * c * hq * wq];
        StridedKernels.padIntoPhases(x, 0, c, h, w, phases, hq, wq, sh, sw, top, left);
        // element (1, 3, 4): padded (4, 6) -> phase (0, 0), position (2, 2)
        assertEquals(x[(1 * h + 3) * w + 4], phases[((0 * sw + 0) * c + 1) * hq * wq + 2 * wq + 2]);
        // element (0, 0, 0): padded (1, 2) -> phase (1, 2), position (0, 0)
        assertEquals(x[0], phases[((1 * sw + 2) * c + 0) * hq * wq]);
        int nonZero = 0;
        for (float v : phases) {
            nonZero += v != 0f ? 1 : 0;
        }
        assertEquals(x.length, nonZero, "every input element once, padding and fill zero");
        float[] back = new float[x.length];
        StridedKernels.cropFromPhases(phases, hq, wq, sh, sw, top, left, back, 0, c, h, w);
        assertArrayEquals(x, back);
    }

    @Test
    void tapMajorWeightsRoundTrip() {
        float[] w = random(new SplittableRandom(3), 5 * 3 * 2 * 4);
        float[] t = StridedKernels.tapMajorWeights(w, 5, 3, 2, 4);
        // tap (1, 2), filter 4, channel 1
        assertEquals(w[((4 * 3 + 1) * 2 + 1) * 4 + 2], t[((1 * 4 + 2) * 5 + 4) * 3 + 1]);
        float[] back = new float[w.length];
        StridedKernels.tapMajorToOihw(t, 5, 3, 2, 4, back);
        assertArrayEquals(w, back);
    }
}
