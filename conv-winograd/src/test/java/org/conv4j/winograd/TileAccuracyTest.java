package org.conv4j.winograd;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error of each tile size against a float64 reference on worst-case inputs: 512 input channels (the longest
 * sums of ResNet-50 and VGG-19), values of both signs so that the outputs are far smaller than the terms that
 * cancel in them, and magnitudes spread over eight orders (a large value dominates a tile's transform, and
 * its rounding lands on the tile's small outputs). The error is {@code max |y - ref| / max |ref|}, the
 * conformance kit's measure. Every tile size the backend chooses from ({@link WinogradTuning#TILE_SIZES}) must
 * stay within {@link #LIMIT}; the errors measured are printed (docs/winograd.md, "Accuracy").
 */
class TileAccuracyTest {

    /** The bound the issue sets for a usable tile size. */
    static final double LIMIT = 1e-4;

    private static final int CHANNELS = 512;
    private static final int FILTERS = 8;
    private static final int SIZE = 25; // not a multiple of 2, 4 or 6: every tile size has tiles over the edge

    enum Inputs {
        /** Uniform in [-1e4, 1e4]. */
        UNIFORM,
        /** Random signs, magnitudes 10^u for u uniform in [-4, 4]. */
        SPREAD;

        float next(Random r) {
            if (this == UNIFORM) {
                return (float) ((r.nextDouble() * 2 - 1) * 1e4);
            }
            return (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(10, r.nextDouble() * 8 - 4));
        }
    }

    @Test
    void everyUsedTileSizeStaysWithinTheLimit() {
        for (Inputs inputs : Inputs.values()) {
            for (boolean gradient : new boolean[] {false, true}) {
                for (TileSize t : TileSize.values()) {
                    for (WinogradEngine.Mode mode : new WinogradEngine.Mode[] {WinogradEngine.Mode.FUSED,
                        WinogradEngine.Mode.STAGED, WinogradEngine.Mode.MATMUL}) {
                        double error = error(t, mode, inputs, gradient, 7);
                        System.out.printf("%s %-6s %-8s %-14s relative error %.2e%n", t, mode, inputs,
                                gradient ? "input gradient" : "forward", error);
                        if (WinogradTuning.TILE_SIZES.contains(t)) {
                            assertTrue(error <= LIMIT, t + " " + mode + " on " + inputs
                                    + (gradient ? " input gradient" : " forward") + ": expected an error of at most "
                                    + LIMIT + ", got " + error);
                        }
                    }
                }
            }
        }
    }

    /** The relative error of tile size {@code t}, stages 2 to 4 run as {@code mode} says, on one seeded case. */
    static double error(TileSize t, WinogradEngine.Mode mode, Inputs inputs, boolean gradient, long seed) {
        Random r = new Random(seed);
        // forward: C = 512 -> K = 8; input gradient: dL/dy with 512 channels -> dL/dx with 8
        int c = gradient ? FILTERS : CHANNELS;
        int k = gradient ? CHANNELS : FILTERS;
        Tensor4D x = fill(Tensor4D.zeros(1, c, SIZE, SIZE), inputs, r);
        Tensor4D w = fill(Tensor4D.zeros(k, c, 3, 3), inputs, r);
        Tensor4D dy = fill(Tensor4D.zeros(1, k, SIZE, SIZE), inputs, r);
        ConvParams p = ConvParams.builder().padding(1).build();
        WinogradBackend backend = new WinogradBackend(Workspace.defaultLimitBytes(), List.of(t),
                WinogradTuning.MAX_CHUNK_TILES, 1, mode);
        ConvShape s = ConvShape.backward(x, w, dy, p);
        Tensor4D got = gradient ? backend.inputGradient(x, w, dy, p) : backend.forward(x, w, null, p);
        double[] ref = gradient ? referenceInputGradient(s, w.data(), dy.data()) : referenceForward(s, x.data(), w.data());
        double maxRef = 0;
        double maxDiff = 0;
        for (int e = 0; e < ref.length; e++) {
            maxRef = Math.max(maxRef, Math.abs(ref[e]));
            maxDiff = Math.max(maxDiff, Math.abs(ref[e] - got.data()[e]));
        }
        return maxDiff / maxRef;
    }

    private static Tensor4D fill(Tensor4D t, Inputs inputs, Random r) {
        for (int e = 0; e < t.size(); e++) {
            t.data()[e] = inputs.next(r);
        }
        return t;
    }

    /** y in float64, plain loops over the zero-padded input. */
    private static double[] referenceForward(ConvShape s, float[] x, float[] w) {
        double[] y = new double[s.batch() * s.outChannels() * s.outPlane()];
        int pt = s.params().padTop();
        int pl = s.params().padLeft();
        for (int k = 0; k < s.outChannels(); k++) {
            for (int oh = 0; oh < s.outH(); oh++) {
                for (int ow = 0; ow < s.outW(); ow++) {
                    double sum = 0;
                    for (int c = 0; c < s.inChannels(); c++) {
                        for (int i = 0; i < 3; i++) {
                            for (int j = 0; j < 3; j++) {
                                int ih = oh - pt + i;
                                int iw = ow - pl + j;
                                if (ih >= 0 && ih < s.inH() && iw >= 0 && iw < s.inW()) {
                                    sum += (double) w[s.weightIndex(k, c, i, j)] * x[s.inputIndex(0, c, ih, iw)];
                                }
                            }
                        }
                    }
                    y[s.outputIndex(0, k, oh, ow)] = sum;
                }
            }
        }
        return y;
    }

    /** dL/dx in float64: every output whose window reads (h, w). */
    private static double[] referenceInputGradient(ConvShape s, float[] w, float[] dy) {
        double[] dx = new double[s.batch() * s.inChannels() * s.inPlane()];
        int pt = s.params().padTop();
        int pl = s.params().padLeft();
        for (int c = 0; c < s.inChannels(); c++) {
            for (int h = 0; h < s.inH(); h++) {
                for (int wc = 0; wc < s.inW(); wc++) {
                    double sum = 0;
                    for (int k = 0; k < s.outChannels(); k++) {
                        for (int i = 0; i < 3; i++) {
                            for (int j = 0; j < 3; j++) {
                                int oh = h + pt - i;
                                int ow = wc + pl - j;
                                if (oh >= 0 && oh < s.outH() && ow >= 0 && ow < s.outW()) {
                                    sum += (double) w[s.weightIndex(k, c, i, j)] * dy[s.outputIndex(0, k, oh, ow)];
                                }
                            }
                        }
                    }
                    dx[s.inputIndex(0, c, h, wc)] = sum;
                }
            }
        }
        return dx;
    }
}
