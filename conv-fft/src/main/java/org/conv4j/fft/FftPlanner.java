package org.conv4j.fft;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;

/**
 * Chooses the transform size and the tiling of each of the three frequency-domain products (forward,
 * input gradient, weight gradient) by minimising the {@link FftSizes cost model} over every pair of
 * 5-smooth lengths between the smallest useful one (the dilated kernel extent) and the single-tile length.
 * A small transform means many overlapping tiles (every tile re-reads {@code e - 1} rows of its
 * neighbour and every tile's output is inverse-transformed separately); a large one means large filter
 * spectra and a large channel sum. Where the cost model finds the split cheaper, the image is cut
 * into overlap-save tiles; beyond {@link FftSizes#maxTransform()} it must be.
 */
final class FftPlanner {

    /** A chosen size and tiling. */
    static final class Plan {
        /**
         * The product planned: {@link ConvPass#FORWARD}, {@link ConvPass#INPUT_GRADIENT} or
         * {@link ConvPass#WEIGHT_GRADIENT}.
         */
        final ConvPass op;
        final AxisTiling h;
        final AxisTiling w;
        final double cost;
        /**
         * Decimation of the output grid per axis (see {@link SpectralProduct.Sink#decimationH()}): the
         * stride for the forward pass, the dilation for the weight gradient, when it divides the transform
         * length; otherwise 1 and every position is inverse-transformed and the wanted ones read.
         */
        final int decH;
        final int decW;
        /**
         * Upsampling of the output-gradient signals per axis (see {@link SpectralProduct.Signals#upsampleH()}):
         * the stride, for both gradients, when it divides the transform length; otherwise 1.
         */
        final int upH;
        final int upW;

        Plan(ConvPass op, AxisTiling h, AxisTiling w, int decH, int decW, int upH, int upW, double cost) {
            this.op = op;
            this.h = h;
            this.w = w;
            this.decH = decH;
            this.decW = decW;
            this.upH = upH;
            this.upW = upW;
            this.cost = cost;
        }

        int tiles() {
            return h.tiles * w.tiles;
        }

        RealFft2D fft() {
            return RealFft2D.of(h.f, w.f);
        }

        @Override
        public String toString() {
            return op + " " + h.f + "x" + w.f + " tiles " + h.tiles + "x" + w.tiles
                    + (decH * decW > 1 ? " decimated " + decH + "x" + decW : "")
                    + (upH * upW > 1 ? " upsampled " + upH + "x" + upW : "")
                    + " (cost " + Math.round(cost / 1000) + " us)";
        }
    }

    private FftPlanner() {
    }

    static Plan plan(ConvPass op, ConvShape s) {
        return plan(op, s, FftSizes.maxTransform());
    }

    /** The cheapest plan with transform lengths at most {@code max}. */
    static Plan plan(ConvPass op, ConvShape s, int max) {
        Axes a = new Axes(op, s);
        int[] hs = candidates(a.eh, a.singleH, false, max);
        int[] ws = candidates(a.ew, a.singleW, true, max);
        Plan best = null;
        for (int fh : hs) {
            for (int fw : ws) {
                Plan p = evaluate(a, fh, fw);
                if (p != null && (best == null || p.cost < best.cost)) {
                    best = p;
                }
            }
        }
        if (best == null) {
            // Only if the kernel itself is longer than the largest transform: no tiling can help.
            throw new UnsupportedOperationException("fft backend: a dilated kernel of at most " + max
                    + " per axis is supported, got " + a.eh + " x " + a.ew + " (use another backend)");
        }
        return best;
    }

    /**
     * The model cost in ns of the single-tile plan (the largest candidate {@link #plan} considers), without
     * searching the others: an upper bound of the chosen plan's cost, cheap enough for
     * {@link FftBackend#estimateNanos}; infinite if no transform can hold the kernel.
     */
    static double singleTileCost(ConvPass op, ConvShape s) {
        Axes a = new Axes(op, s);
        int max = FftSizes.maxTransform();
        int fh = FftSizes.nextGood(Math.max(Math.max(2, a.eh), a.singleH), false, max);
        int fw = FftSizes.nextGood(Math.max(Math.max(2, a.ew), a.singleW), true, max);
        Plan p = evaluate(a, fh < 0 ? max : fh, fw < 0 ? max : fw);
        return p == null ? Double.POSITIVE_INFINITY : p.cost;
    }

    /**
     * One axis of one product as {@link AxisTiling} sees it, from the axis's {@link ConvAxis}: the forward pass and
     * the weight gradient correlate the input (outputs {@code out}, data {@code in}); the input gradient convolves
     * the stride-upsampled output gradient (outputs {@code in}, data {@code (out-1)*stride + 1}).
     */
    record AxisProblem(AxisTiling.Kind kind, int outCount, int stride, int pad, int extent, int dataLength) {

        static AxisProblem of(ConvPass op, ConvAxis a) {
            boolean convolve = op == ConvPass.INPUT_GRADIENT;
            return new AxisProblem(convolve ? AxisTiling.Kind.CONVOLVE : AxisTiling.Kind.CORRELATE,
                    convolve ? a.in() : a.out(), a.stride(), a.padBefore(), a.dilatedKernel(),
                    convolve ? (a.out() - 1) * a.stride() + 1 : a.in());
        }

        /** The smallest transform length for which the whole axis is one tile. */
        int singleTileLength() {
            return AxisTiling.singleTileLength(kind, outCount, stride, pad, extent, dataLength);
        }

        /** The tiling with transform length {@code f}, or null if {@code f} cannot hold the kernel. */
        AxisTiling tiling(int f) {
            return AxisTiling.of(kind, f, outCount, stride, pad, extent, dataLength);
        }

        /**
         * The one-tile tiling with the shortest 5-smooth length (even if {@code even}, at least 2), or null if
         * that exceeds {@code max}.
         */
        AxisTiling singleTile(boolean even, int max) {
            int f = FftSizes.nextGood(Math.max(Math.max(2, extent), singleTileLength()), even, max);
            return f < 0 ? null : tiling(f);
        }
    }

    /**
     * A 3D product's transform: one tile on every axis (there is no overlap-save tiling in 3D), the data placed and
     * the results read through each axis's {@link AxisTiling} exactly as in a 2D single-tile plan, no decimation or
     * upsampling (strides are served by reading every {@code s}-th position of the stride-1 result and by placing
     * the output gradient at multiples of {@code s}).
     */
    record Plan3d(ConvPass op, AxisTiling d, AxisTiling h, AxisTiling w) {

        RealFft3D fft() {
            return RealFft3D.of(d.f, h.f, w.f);
        }

        /** Floats of one plane of the half spectrum: {@code fd * fh * (fw/2 + 1)}. */
        long planeSize() {
            return (long) d.f * h.f * (w.f / 2 + 1);
        }

        /** Points of the transform: {@code fd * fh * fw}. */
        long points() {
            return (long) d.f * h.f * w.f;
        }

        @Override
        public String toString() {
            return op + " 3D " + d.f + "x" + h.f + "x" + w.f;
        }
    }

    /**
     * The cheapest single-tile 3D plan of {@code op} by {@link #cost3d}, over the 5-smooth lengths of each axis from
     * the shortest one-tile length up to the next power of two (the cheapest rate per point,
     * {@link FftSizes#COMPLEX_POW2_NS}); null if an axis would need a transform longer than {@code max} or every
     * choice more points than {@link #MAX_POINTS_3D}.
     */
    static Plan3d plan3d(ConvPass op, Conv3dShape s, int max) {
        AxisProblem pd = AxisProblem.of(op, s.depth());
        AxisProblem ph = AxisProblem.of(op, s.rows());
        AxisProblem pw = AxisProblem.of(op, s.cols());
        int[] ds = candidates3d(pd, false, max);
        int[] hs = candidates3d(ph, false, max);
        int[] ws = candidates3d(pw, true, max);
        Plan3d best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int fd : ds) {
            for (int fh : hs) {
                for (int fw : ws) {
                    if ((long) fd * fh * fw > MAX_POINTS_3D) {
                        continue;
                    }
                    Plan3d p = new Plan3d(op, pd.tiling(fd), ph.tiling(fh), pw.tiling(fw));
                    double cost = cost3d(s, p);
                    if (cost < bestCost) {
                        best = p;
                        bestCost = cost;
                    }
                }
            }
        }
        return best;
    }

    /** The one-tile lengths of an axis that {@link #plan3d} weighs; none if the shortest exceeds {@code max}. */
    private static int[] candidates3d(AxisProblem a, boolean even, int max) {
        AxisTiling shortest = a.singleTile(even, max);
        if (shortest == null) {
            return new int[0];
        }
        int from = shortest.f;
        int pow2 = Integer.bitCount(from) == 1 ? from : Integer.highestOneBit(from) << 1;
        return FftSizes.goodSizes(from, Math.min(max, pow2), even);
    }

    /** The most points of a 3D transform: its buffer is one {@code float[]}, with room to spare below 2^31. */
    static final long MAX_POINTS_3D = Integer.MAX_VALUE / 2;

    /**
     * Model cost in ns of a 3D product, in the units of {@link #cost}: per transform,
     * {@link FftSizes#transform3dCost}, with the slices and rows each signal occupies (forward) or each result
     * needs (inverse); the frequency-wise channel sum at {@link FftSizes#MAC_NS} per complex multiply-add.
     */
    static double cost3d(Conv3dShape s, Plan3d p) {
        double n = s.batch();
        double c = s.inChannels();
        double k = s.outChannels();
        double kernels = k * s.inChannelsPerGroup()
                * FftSizes.transform3dCost(p.d.f, p.h.f, p.w.f, s.depth().kernel(), s.rows().kernel());
        double input = n * c * FftSizes.transform3dCost(p.d.f, p.h.f, p.w.f, Math.min(p.d.f, s.depth().in()),
                Math.min(p.h.f, s.rows().in()));
        double output = n * k * FftSizes.transform3dCost(p.d.f, p.h.f, p.w.f, s.depth().out(), s.rows().out());
        double macs = n * k * s.inChannelsPerGroup() * (double) p.planeSize();
        double cost;
        switch (p.op) {
            case FORWARD:
                cost = input + kernels + output;
                break;
            case INPUT_GRADIENT:
                // the gradient in, the input gradient out
                cost = output + kernels + input;
                break;
            default:
                cost = input + output + k * s.inChannelsPerGroup() * FftSizes.transform3dCost(p.d.f, p.h.f, p.w.f,
                        s.depth().kernel(), s.rows().kernel());
                break;
        }
        return cost + FftSizes.MAC_NS * macs;
    }

    /** The geometry one product's tiling works on: one {@link AxisProblem} per axis. */
    private static final class Axes {
        final ConvPass op;
        final ConvShape s;
        final AxisProblem h;
        final AxisProblem w;
        final int eh;
        final int ew;
        final int singleH;
        final int singleW;

        Axes(ConvPass op, ConvShape s) {
            this.op = op;
            this.s = s;
            h = AxisProblem.of(op, s.rows());
            w = AxisProblem.of(op, s.cols());
            eh = h.extent();
            ew = w.extent();
            singleH = h.singleTileLength();
            singleW = w.singleTileLength();
        }
    }

    /** The plan with transform lengths {@code fh x fw}, or null if they cannot hold the kernel. */
    private static Plan evaluate(Axes a, int fh, int fw) {
        ConvParams p = a.s.params();
        ConvPass op = a.op;
        AxisTiling th = a.h.tiling(fh);
        AxisTiling tw = th == null ? null : a.w.tiling(fw);
        if (tw == null) {
            return null;
        }
        int decH = decimation(op, fh, op == ConvPass.FORWARD ? p.strideH() : p.dilationH(), false);
        int decW = decimation(op, fw, op == ConvPass.FORWARD ? p.strideW() : p.dilationW(), true);
        int upH = op == ConvPass.FORWARD ? 1 : divisor(fh, p.strideH(), false);
        int upW = op == ConvPass.FORWARD ? 1 : divisor(fw, p.strideW(), true);
        return new Plan(op, th, tw, decH, decW, upH, upW, cost(op, a.s, th, tw, decH, decW, upH, upW));
    }

    /** 5-smooth lengths from the kernel extent up to the single-tile length (or the largest allowed). */
    private static int[] candidates(int extent, int single, boolean even, int max) {
        int top = FftSizes.nextGood(single, even, max);
        if (top < 0) {
            top = max;
        }
        return FftSizes.goodSizes(Math.max(2, extent), top, even);
    }

    /**
     * The decimation usable along an axis: {@code step} (stride of the forward pass, dilation of the weight
     * gradient, whose wanted outputs sit at multiples of it) if it is above 1 and divides the length
     * {@code f}, leaving at least 2 (an even number for the width); else 1. The input gradient's outputs
     * are contiguous: never decimated.
     */
    static int decimation(ConvPass op, int f, int step, boolean width) {
        return op == ConvPass.INPUT_GRADIENT ? 1 : divisor(f, step, width);
    }

    /** {@code step} if it is above 1 and divides {@code f} leaving at least 2 (even for a width), else 1. */
    static int divisor(int f, int step, boolean width) {
        if (step <= 1 || f % step != 0) {
            return 1;
        }
        int g = f / step;
        return g >= 2 && (!width || g % 2 == 0) ? step : 1;
    }

    /** Model cost in ns (see {@link FftSizes}). */
    static double cost(ConvPass op, ConvShape s, AxisTiling th, AxisTiling tw, int decH, int decW, int upH, int upW) {
        int fh = th.f;
        int fw = tw.f;
        double tiles = (double) th.tiles * tw.tiles;
        double n = s.batch();
        double c = s.inChannels();
        double k = s.outChannels();
        double cg = s.inChannelsPerGroup();
        double planeSize = (double) (fw / 2 + 1) * fh;
        double macs = n * tiles * k * cg * planeSize;
        int kernelRows = s.kernelH();
        int outRows = Math.min(fh, th.perTile);
        // the inverse transforms of the outputs run on the decimated grid, after a fold over the full one
        double outputTransform = FftSizes.transform2dCost(fh / decH, fw / decW, Math.min(fh / decH, outRows))
                + (decH * decW > 1 ? FftSizes.COPY_NS * 2 * planeSize : 0);
        double kernelOutputTransform = FftSizes.transform2dCost(fh / decH, fw / decW, Math.min(fh / decH, kernelRows))
                + (decH * decW > 1 ? FftSizes.COPY_NS * 2 * planeSize : 0);
        // rows of one input tile (forward / weight gradient) or of one gradient tile (input gradient)
        int readRows = Math.min(fh, (int) Math.min(Integer.MAX_VALUE,
                (long) (th.perTile - 1) * th.stride + th.extent));
        double kernels = k * cg * FftSizes.transform2dCost(fh, fw, kernelRows);
        // an output-gradient tile: transformed on the small grid, then its spectrum replicated
        int gradTileRows = op == ConvPass.INPUT_GRADIENT
                ? Math.min(fh, (th.perTile + th.extent - 1 + th.stride - 1) / th.stride) : outRows;
        double gradTransform = FftSizes.transform2dCost(fh / upH, fw / upW, Math.min(fh / upH, gradTileRows))
                + (upH * upW > 1 ? 4 * FftSizes.COPY_NS * planeSize : 0);
        double cost;
        switch (op) {
            case FORWARD:
                cost = n * c * tiles * FftSizes.transform2dCost(fh, fw, readRows)
                        + kernels
                        + n * k * tiles * outputTransform;
                break;
            case INPUT_GRADIENT:
                cost = n * k * tiles * gradTransform
                        + kernels
                        + n * c * tiles * FftSizes.transform2dCost(fh, fw, outRows);
                break;
            default:
                cost = n * c * tiles * FftSizes.transform2dCost(fh, fw, readRows)
                        + n * k * tiles * gradTransform
                        + k * cg * kernelOutputTransform;
                break;
        }
        return cost + FftSizes.MAC_NS * macs;
    }
}
