package org.conv4j.im2col;

import org.conv4j.api.ConvAxis;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The kernels against their definitions, on random geometries with stride, dilation and four-sided padding. */
class Im2colKernelsTest {

    /** One random geometry: input H x W, kernel kH x kW, and the band [oh0, oh1). */
    private record Case(int inH, int inW, int kH, int kW, int sh, int sw, int pt, int pb, int pl, int pr, int dh, int dw,
                        int outH, int outW, int oh0, int oh1) {
        Im2col.Geometry geometry() {
            return new Im2col.Geometry(new ConvAxis(inH, kH, sh, pt, pb, dh, outH), new ConvAxis(inW, kW, sw, pl, pr, dw, outW));
        }
    }

    private static Case randomCase(SplittableRandom r) {
        while (true) {
            int inH = 1 + r.nextInt(9);
            int inW = 1 + r.nextInt(9);
            int kH = 1 + r.nextInt(4);
            int kW = 1 + r.nextInt(4);
            int sh = 1 + r.nextInt(3);
            int sw = 1 + r.nextInt(3);
            int pt = r.nextInt(4);
            int pb = r.nextInt(4);
            int pl = r.nextInt(4);
            int pr = r.nextInt(4);
            int dh = 1 + r.nextInt(3);
            int dw = 1 + r.nextInt(3);
            long spanH = (long) inH + pt + pb - ((kH - 1L) * dh + 1);
            long spanW = (long) inW + pl + pr - ((kW - 1L) * dw + 1);
            if (spanH < 0 || spanW < 0) {
                continue;
            }
            int outH = (int) (spanH / sh + 1);
            int outW = (int) (spanW / sw + 1);
            int oh0 = r.nextInt(outH);
            int oh1 = oh0 + 1 + r.nextInt(outH - oh0);
            return new Case(inH, inW, kH, kW, sh, sw, pt, pb, pl, pr, dh, dw, outH, outW, oh0, oh1);
        }
    }

    /** The definition: x[ih, iw] at the tap's input position, 0 in the padding. */
    private static float expected(float[] x, int plane, Case c, int i, int j, int oh, int ow) {
        int ih = oh * c.sh() - c.pt() + i * c.dh();
        int iw = ow * c.sw() - c.pl() + j * c.dw();
        return ih < 0 || ih >= c.inH() || iw < 0 || iw >= c.inW() ? 0f : x[plane + ih * c.inW() + iw];
    }

    @Test
    void im2colRowWritesEveryElementOfItsRowAsDefined() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n = 0; n < 400; n++) {
            Case c = randomCase(r);
            int plane = 5;
            float[] x = new float[plane + c.inH() * c.inW() + 3];
            for (int e = 0; e < x.length; e++) {
                x[e] = 1 + e; // nonzero, so a zero can only come from padding
            }
            int q = (c.oh1() - c.oh0()) * c.outW();
            float[] dst = new float[q + 9];
            Arrays.fill(dst, Float.NaN);
            for (int i = 0; i < c.kH(); i++) {
                for (int j = 0; j < c.kW(); j++) {
                    Arrays.fill(dst, Float.NaN);
                    Im2col.im2colRow(x, plane, c.inH(), c.inW(), i, j, c.geometry(), c.oh0(), c.oh1(),
                            FloatBuffer.wrap(dst), 4);
                    for (int e = 0; e < dst.length; e++) {
                        if (e < 4 || e >= 4 + q) {
                            assertEquals(Float.NaN, dst[e], "wrote outside its row: " + c);
                            continue;
                        }
                        int oh = c.oh0() + (e - 4) / c.outW();
                        int ow = (e - 4) % c.outW();
                        assertEquals(expected(x, plane, c, i, j, oh, ow), dst[e],
                                "tap (" + i + ", " + j + ") output (" + oh + ", " + ow + ") of " + c);
                    }
                }
            }
        }
    }

    @Test
    void col2imRowIsTheExactMirrorOfIm2colRow() {
        // <im2col(x), y> == <x, col2im(y)> for every x, y: col2im is im2col's transpose.
        SplittableRandom r = new SplittableRandom(12);
        for (int n = 0; n < 400; n++) {
            Case c = randomCase(r);
            int q = (c.oh1() - c.oh0()) * c.outW();
            float[] x = new float[c.inH() * c.inW()];
            float[] y = new float[q];
            for (int e = 0; e < x.length; e++) {
                x[e] = r.nextInt(7) - 3;
            }
            for (int e = 0; e < y.length; e++) {
                y[e] = r.nextInt(7) - 3;
            }
            for (int i = 0; i < c.kH(); i++) {
                for (int j = 0; j < c.kW(); j++) {
                    float[] cols = new float[q];
                    Im2col.im2colRow(x, 0, c.inH(), c.inW(), i, j, c.geometry(), c.oh0(), c.oh1(), FloatBuffer.wrap(cols), 0);
                    float[] back = new float[x.length];
                    Im2col.col2imRow(y, 0, i, j, c.geometry(), c.oh0(), c.oh1(), back, 0, c.inH(), c.inW());
                    double left = 0;
                    double right = 0;
                    for (int e = 0; e < q; e++) {
                        left += (double) cols[e] * y[e];
                    }
                    for (int e = 0; e < x.length; e++) {
                        right += (double) x[e] * back[e];
                    }
                    assertEquals(left, right, "tap (" + i + ", " + j + ") of " + c); // small integers: exact
                }
            }
        }
    }

    @Test
    void shiftedCol2imEqualsCol2imRowOnSameWidthGeometries() {
        // stride 1 and outW == inW (padLeft + padRight == (kW-1)*dW), any height geometry, any band; the
        // column-matrix entries that come from padding are nonzero, so a padding entry added by mistake shows
        SplittableRandom r = new SplittableRandom(13);
        int tested = 0;
        while (tested < 400) {
            Case c = randomCase(r);
            if (c.sh() != 1 || c.sw() != 1 || c.outW() != c.inW()) {
                continue;
            }
            tested++;
            int q = (c.oh1() - c.oh0()) * c.outW();
            float[] y = new float[q];
            for (int e = 0; e < q; e++) {
                y[e] = r.nextInt(7) - 3 + 0.5f;
            }
            int[] rows = Im2col.bandInputRows(c.geometry(), c.oh0(), c.oh1(), c.kH(), c.inH());
            int length = (rows[1] - rows[0]) * c.inW();
            float[] expected = new float[c.inH() * c.inW()];
            float[] acc = new float[length];
            float[] shifted = new float[length];
            for (int i = 0; i < c.kH(); i++) {
                for (int j = 0; j < c.kW(); j++) {
                    Im2col.col2imRow(y, 0, i, j, c.geometry(), c.oh0(), c.oh1(), expected, 0, c.inH(), c.inW());
                    Im2col.ShiftedRun run = Im2col.shiftedRun(i, j, c.geometry(), c.oh0(), c.oh1(), c.inH(), c.inW(),
                            rows[0]);
                    if (run != null) {
                        Arrays.fill(shifted, Float.NaN); // whatever was there before must not matter
                        System.arraycopy(y, run.qStart(), shifted, run.qStart() + run.delta(), run.length());
                        Im2col.addShiftedRun(shifted, run, acc);
                    }
                }
            }
            float[] actual = new float[c.inH() * c.inW()];
            Im2col.addRowsToPlane(acc, rows[0], rows[1] - rows[0], actual, 0, c.inW());
            for (int e = 0; e < actual.length; e++) {
                assertEquals(expected[e], actual[e], "input element " + e + " of " + c); // small values: exact
            }
        }
    }

    @Test
    void col2imRowAddsToWhatIsThere() {
        Case c = new Case(3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 3, 3, 0, 3);
        float[] dx = new float[9];
        Arrays.fill(dx, 10f);
        float[] y = new float[9];
        Arrays.fill(y, 1f);
        Im2col.col2imRow(y, 0, 0, 0, c.geometry(), 0, 3, dx, 0, 3, 3);
        for (float v : dx) {
            assertEquals(11f, v);
        }
    }

    /** A random depth axis: input depth, kernel, stride, paddings and dilation with at least one output. */
    private static ConvAxis randomDepth(SplittableRandom r) {
        while (true) {
            int in = 1 + r.nextInt(6);
            int k = 1 + r.nextInt(3);
            int stride = 1 + r.nextInt(3);
            int before = r.nextInt(4);
            int after = r.nextInt(4);
            int dilation = 1 + r.nextInt(3);
            long span = (long) in + before + after - ((k - 1L) * dilation + 1);
            if (span >= 0) {
                return new ConvAxis(in, k, stride, before, after, dilation, (int) (span / stride + 1));
            }
        }
    }

    @Test
    void vol2colRowWritesItsRowAsDefinedAndCol2volRowIsItsAdjoint() {
        SplittableRandom r = new SplittableRandom(13);
        for (int n = 0; n < 300; n++) {
            Case c = randomCase(r);
            ConvAxis depth = randomDepth(r);
            Im2col.VolumeGeometry g = new Im2col.VolumeGeometry(depth, c.geometry());
            int rows = depth.out() * c.outH();
            int r0 = r.nextInt(rows);
            int r1 = r0 + 1 + r.nextInt(rows - r0);
            int slice = c.inH() * c.inW();
            int volume = 3; // the channel's volume starts inside a larger array
            float[] x = new float[volume + depth.in() * slice + 2];
            for (int e = 0; e < x.length; e++) {
                x[e] = r.nextInt(100) - 50;
            }
            int length = (r1 - r0) * c.outW();
            int a = r.nextInt(depth.kernel());
            int i = r.nextInt(c.kH());
            int j = r.nextInt(c.kW());
            float[] dst = new float[length + 4];
            Arrays.fill(dst, Float.NaN);
            Im2col.vol2colRow(x, volume, depth.in(), c.inH(), c.inW(), a, i, j, g, r0, r1, FloatBuffer.wrap(dst), 2);
            assertEquals(Float.NaN, dst[1], "wrote before its row");
            assertEquals(Float.NaN, dst[length + 2], "wrote after its row");
            double forward = 0;
            float[] z = new float[length];
            for (int q = 0; q < length; q++) {
                int row = r0 + q / c.outW();
                int od = row / c.outH();
                long id = depth.inputIndex(od, a);
                float want = id < 0 || id >= depth.in() ? 0f
                        : expected(x, volume + (int) id * slice, c, i, j, row % c.outH(), q % c.outW());
                assertEquals(want, dst[2 + q], "element " + q + " of " + c + ", depth " + depth);
                z[q] = r.nextInt(100) - 50;
                forward += (double) want * z[q];
            }
            float[] dx = new float[x.length];
            Im2col.col2volRow(z, 0, a, i, j, g, r0, r1, dx, volume, depth.in(), c.inH(), c.inW());
            double back = 0;
            for (int e = 0; e < x.length; e++) {
                back += (double) x[e] * dx[e];
            }
            assertEquals(forward, back, 0, "<vol2col x, z> must equal <x, col2vol z>: " + c + ", depth " + depth);
        }
    }
}
