package org.conv4j.im2col;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import java.util.SplittableRandom;

/**
 * Run by {@link LargeColumnMatrixTest} in a JVM with a 1 GiB heap: input (1, 4, 1024, 1024), 2 filters of
 * 16x16 with "same" padding. The full column matrix is 4*16*16 rows by 1024*1024 columns = 4 GiB of floats;
 * the default 256 MiB workspace processes it in bands of output rows. Exits non-zero on a failed check.
 */
public final class LargeColumnMatrixMain {

    private LargeColumnMatrixMain() {
    }

    public static void main(String[] args) {
        Tensor4D x = Tensor4D.random(1, 1, 4, 1024, 1024);
        Tensor4D w = Tensor4D.random(2, 2, 4, 16, 16);
        float[] bias = {0.25f, -0.5f};
        ConvParams p = ConvParams.builder().samePadding(1024, 1024, 16, 16).build();
        ConvShape s = ConvShape.forward(x, w, bias, p);
        long columnBytes = 4L * s.patchSize() * s.outPlane() * s.batch();
        System.out.println("max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB, column matrix "
                + (columnBytes >> 20) + " MiB, output " + s);
        Im2colBackend backend = new Im2colBackend();
        WorkPlan plan = WorkPlan.of(s, backend.workspaceBytes(), false);
        System.out.println("plan " + plan + ", workspace " + (4 * plan.capacity() >> 20) + " MiB");
        long t0 = System.nanoTime();
        Tensor4D y = backend.forward(x, w, bias, p);
        System.out.printf("forward took %.2f s%n", (System.nanoTime() - t0) * 1e-9);

        // spot checks: corners, edges, band boundaries, random interior points, against direct double sums
        SplittableRandom r = new SplittableRandom(5);
        int[][] spots = new int[64][];
        int e = 0;
        for (int oh : new int[] {0, plan.rows() - 1, plan.rows(), 1023}) {
            for (int ow : new int[] {0, 511, 1023}) {
                spots[e++] = new int[] {e % 2, oh, ow};
            }
        }
        while (e < spots.length) {
            spots[e++] = new int[] {r.nextInt(2), r.nextInt(1024), r.nextInt(1024)};
        }
        double worst = 0;
        for (int[] spot : spots) {
            double expected = direct(s, x, w, bias, spot[0], spot[1], spot[2]);
            double diff = Math.abs(expected - y.get(0, spot[0], spot[1], spot[2]));
            worst = Math.max(worst, diff);
            if (diff > 1e-3) { // sums of 1024 products in [-1, 1]: float32 error is ~1e-5
                System.out.println("MISMATCH at " + java.util.Arrays.toString(spot) + ": expected " + expected
                        + ", got " + y.get(0, spot[0], spot[1], spot[2]));
                System.exit(1);
            }
        }
        System.out.println("spot checks passed (" + spots.length + " outputs, largest difference " + worst + ")");
    }

    private static double direct(ConvShape s, Tensor4D x, Tensor4D w, float[] bias, int k, int oh, int ow) {
        ConvParams p = s.params();
        double sum = bias[k];
        for (int c = 0; c < s.inChannels(); c++) {
            for (int i = 0; i < s.kernelH(); i++) {
                int ih = oh - p.padTop() + i;
                for (int j = 0; j < s.kernelW(); j++) {
                    int iw = ow - p.padLeft() + j;
                    if (ih >= 0 && ih < s.inH() && iw >= 0 && iw < s.inW()) {
                        sum += (double) w.get(k, c, i, j) * x.get(0, c, ih, iw);
                    }
                }
            }
        }
        return sum;
    }
}
