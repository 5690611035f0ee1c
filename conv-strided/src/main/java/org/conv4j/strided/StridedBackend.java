package org.conv4j.strided;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.strided.NativeGemm.Floats;

/**
 * The {@code strided} backend: convolution as GEMM over a strided window VIEW of the padded input (the seeds'
 * second trick, numpy's {@code as_strided} / {@code view_as_windows}). See {@link WindowView} for the view and
 * its stride formula, and docs/strided.md for the measurements behind the two paths.
 *
 * <p>The input is copied once per image into a zero-padded buffer {@code xpad (C, Hp, Wp)}; padding is then
 * just a border of real zeros (so {@code 0 * w} is computed, as the reference does). Groups slice the channel
 * axis and the filter axis: group {@code g} reads channels {@code g*Cg ..} and writes filters {@code g*Kg ..}.
 * Everything else depends on the path, chosen per call by {@link #forwardPath} / {@link #backwardPath}:
 * <ul>
 *   <li>{@link Path#ZERO_COPY} (both strides 1): for each kernel offset {@code (i, j)}, the
 *       {@link WindowView#tapMatrix tap matrix} is a plain matrix view of {@code xpad} (leading dimension
 *       {@code Hp*Wp}), so BLAS multiplies it in place: {@code Y += W[:, :, i, j] * X_ij}, {@code kH*kW} GEMMs
 *       accumulating into a "wide" output whose wrap-around columns are dropped afterwards. No window is ever
 *       copied: this is where the view saves im2col's {@code kH*kW}-fold copy.</li>
 *   <li>{@link Path#GATHERED} (strided convolutions, or few channels per group feeding more filters, where
 *       {@code kH*kW} GEMMs with an inner dimension of only {@code Cg} would be slow): the 5-D view {@code (Cg, outH, outW, kH, kW)} is
 *       laid out as a {@code (Cg*kH*kW, outH*outW)} matrix by {@link StridedKernels#gatherWindows} (the copy
 *       ND4J's {@code reshape} of the view would make, done faster) and multiplied once per image and group.</li>
 * </ul>
 *
 * <p>Backward, for {@code dL/dy}:
 * <ul>
 *   <li>{@code db[k] = sum_{n, oh, ow} dy[n, k, oh, ow]};</li>
 *   <li>{@code dW} from the same view: {@code dW[:, :, i, j] += dY * X_ij^T} (zero-copy) or
 *       {@code dW_g += dY_g * col^T} (gathered);</li>
 *   <li>{@code dX} by scattering back through the view: {@code W^T * dY} gives, for each kernel offset
 *       {@code (i, j)}, the gradient of every window's tap {@code (i, j)}, which is added into
 *       {@code dXpad[:, i*dh : i*dh + sh*outH : sh, j*dw : j*dw + sw*outW : sw]} (one strided add per offset;
 *       zero-copy: the GEMM accumulates straight into the tap-matrix view of {@code dXpad}); the padding border
 *       of {@code dXpad} is then cropped away.</li>
 * </ul>
 * The zero-copy backward sums over the wrap-around columns too, with {@code dY} set to zero there; that adds
 * exact zeros only while every {@code x} and {@code w} is finite ({@code 0 * NaN = NaN}), so a call with a
 * non-finite input or weight takes the gathered path, which touches window elements only.
 *
 * <p>Memory: one image at a time, {@code O(C*Hp*Wp + K*outH*Wp)} floats on the zero-copy path and
 * {@code O(Cg*kH*kW*outH*outW)} more for the gathered column matrix. Stateless: each call allocates its own
 * buffers, so concurrent calls share nothing and give the same bits as serial ones.
 */
public final class StridedBackend implements ConvBackend {

    /**
     * Fewest input channels per group from which the zero-copy path is used for any filter count (both
     * strides 1). Below it, zero-copy is still used when a group has no more filters than channels
     * ({@code Kg <= Cg}) or the kernel is 1x1 (its tap matrix IS the input); otherwise the gathered path runs.
     *
     * <p>Why: the zero-copy path re-reads and re-writes the {@code (Kg, L)} output once per kernel offset
     * with an inner dimension of only {@code Cg}, the gathered path writes and re-reads a
     * {@code (Cg*kH*kW, P)} column matrix once; so zero-copy wins when {@code Kg <= Cg}, and when {@code Cg}
     * is large enough for BLAS to run near speed. Direction probe (2 images, 56x56, 3x3, pad 1; minimum of
     * 15-31 interleaved runs, docs/strided.md "Choosing the path"): with 64 filters gathered was ahead at
     * 4 channels (forward 1.44 vs 1.63 ms, backward 2.7 vs 4.4), about even at 8-16 (forward 2.0 vs 2.2 at
     * 16), and zero-copy was ahead from 32 (forward 3.0 vs 4.0, backward 7.5 vs 11.1); with as many
     * filters as channels (1, 4, 8) or fewer (8 channels, 2 filters) zero-copy won everywhere (e.g. 8 to 8:
     * forward 0.62 vs 6.8 ms).
     */
    static final int ZERO_COPY_MIN_CHANNELS = 16;

    /** How a call runs; see the class comment. */
    enum Path { ZERO_COPY, GATHERED }

    @Override
    public String name() {
        return "strided";
    }

    /** The forward path for this geometry (a pure function of the shape). */
    static Path forwardPath(ConvShape s) {
        ConvParams p = s.params();
        if (p.isStrided()) {
            return Path.GATHERED;
        }
        boolean oneByOne = s.kernelH() == 1 && s.kernelW() == 1;
        boolean fewFilters = s.outChannelsPerGroup() <= s.inChannelsPerGroup();
        return oneByOne || fewFilters || s.inChannelsPerGroup() >= ZERO_COPY_MIN_CHANNELS
                ? Path.ZERO_COPY : Path.GATHERED;
    }

    /** The backward path: the forward one, unless an input or weight value is non-finite (see class comment). */
    static Path backwardPath(ConvShape s, Tensor4D input, Tensor4D weight) {
        if (forwardPath(s) == Path.ZERO_COPY && StridedKernels.allFinite(input.data())
                && StridedKernels.allFinite(weight.data())) {
            return Path.ZERO_COPY;
        }
        return Path.GATHERED;
    }

    @Override
    public Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        return forward(s, forwardPath(s), input, weight, bias, s.newOutput());
    }

    @Override
    public Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params, Tensor4D output) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        s.checkOutput(output);
        return forward(s, forwardPath(s), input, weight, bias, output);
    }

    @Override
    public ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        ConvShape s = ConvShape.backward(input, weight, gradOutput, params);
        return backward(s, backwardPath(s, input, weight), input, weight, gradOutput);
    }

    /** Forward on a chosen path (package-private so tests can run both paths on the same case). */
    static Tensor4D forward(ConvShape s, Path path, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        Padded pad = new Padded(s);
        if (path == Path.ZERO_COPY) {
            forwardZeroCopy(s, pad, input, weight, bias, output);
        } else {
            forwardGathered(s, pad, input, weight, bias, output);
        }
        return output;
    }

    /** Backward on a chosen path; {@link Path#ZERO_COPY} requires finite input and weight (see class comment). */
    static ConvGradients backward(ConvShape s, Path path, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Padded pad = new Padded(s);
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        if (path == Path.ZERO_COPY) {
            backwardZeroCopy(s, pad, input, weight, gradOutput, dx, dw);
        } else {
            backwardGathered(s, pad, input, weight, gradOutput, dx, dw);
        }
        float[] db = StridedKernels.sumPlanes(gradOutput.data(), s.batch(), s.outChannels(), s.outPlane());
        return new ConvGradients(dx, dw, db);
    }

    // ------------------------------------------------------------------------------------------ zero copy

    private static void forwardZeroCopy(ConvShape s, Padded pad, Tensor4D input, Tensor4D weight, float[] bias,
                                        Tensor4D output) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        int wide = pad.wideColumns();
        float[] wideHost = new float[Math.multiplyExact(k, wide)];
        try (Floats x = new Floats(pad.imageLength);
             Floats w = new Floats((long) taps * k * cg);
             Floats y = new Floats((long) k * wide)) {
            float[] tapWeights = StridedKernels.tapMajorWeights(weight.data(), k, cg, s.kernelH(), s.kernelW());
            w.put(0, tapWeights, 0, tapWeights.length);
            for (int n = 0; n < s.batch(); n++) {
                pad.load(input, n);
                x.put(0, pad.image, 0, pad.imageLength);
                for (int g = 0; g < s.groups(); g++) {
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int t = i * s.kernelW() + j;
                            WindowView tap = WindowView.tapMatrix(s, g, i, j).checkFits(x.length);
                            // Y_g (Kg, L) [+]= W_g[:, :, i, j] (Kg, Cg) * X_ij (Cg, L), read in place
                            NativeGemm.sgemm(false, false, kg, wide, cg, 1f,
                                    w, ((long) t * k + (long) g * kg) * cg, cg,
                                    x, tap.offset(), pad.plane,
                                    t == 0 ? 0f : 1f, y, (long) g * kg * wide, wide);
                        }
                    }
                }
                y.get(0, wideHost, 0, wideHost.length);
                StridedKernels.wideToCompact(wideHost, 0, k, s.outH(), s.outW(), pad.wp, bias, 0,
                        output.data(), n * k * s.outPlane());
            }
        }
    }

    private static void backwardZeroCopy(ConvShape s, Padded pad, Tensor4D input, Tensor4D weight,
                                         Tensor4D gradOutput, Tensor4D dx, Tensor4D dw) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        int wide = pad.wideColumns();
        // wrap-around columns of dY stay zero: only window columns are ever written (compactToWide)
        float[] dyWide = new float[Math.multiplyExact(k, wide)];
        float[] dxPadHost = new float[pad.imageLength];
        float[] tapWeights = StridedKernels.tapMajorWeights(weight.data(), k, cg, s.kernelH(), s.kernelW());
        float[] dwTap = new float[tapWeights.length];
        try (Floats x = new Floats(pad.imageLength);
             Floats w = new Floats(tapWeights.length);
             Floats dy = new Floats((long) k * wide);
             Floats dxPad = new Floats(pad.imageLength);
             Floats dwAcc = new Floats(tapWeights.length)) {
            w.put(0, tapWeights, 0, tapWeights.length);
            for (int n = 0; n < s.batch(); n++) {
                pad.load(input, n);
                x.put(0, pad.image, 0, pad.imageLength);
                StridedKernels.compactToWide(gradOutput.data(), n * k * s.outPlane(), k, s.outH(), s.outW(), pad.wp,
                        dyWide, 0);
                dy.put(0, dyWide, 0, dyWide.length);
                for (int g = 0; g < s.groups(); g++) {
                    long dyOff = (long) g * kg * wide;
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int t = i * s.kernelW() + j;
                            long wOff = ((long) t * k + (long) g * kg) * cg;
                            WindowView tap = WindowView.tapMatrix(s, g, i, j).checkFits(x.length);
                            // dW[:, :, i, j] (Kg, Cg) [+]= dY_g (Kg, L) * X_ij^T (L, Cg); zero dY columns add 0
                            NativeGemm.sgemm(false, true, kg, cg, wide, 1f,
                                    dy, dyOff, wide, x, tap.offset(), pad.plane,
                                    n == 0 ? 0f : 1f, dwAcc, wOff, cg);
                            // dXpad_ij (Cg, L) += W[:, :, i, j]^T (Cg, Kg) * dY_g (Kg, L): the scatter through
                            // the view, accumulated by BLAS straight into the tap-matrix view of dXpad
                            NativeGemm.sgemm(true, false, cg, wide, kg, 1f,
                                    w, wOff, cg, dy, dyOff, wide,
                                    1f, dxPad, tap.offset(), pad.plane);
                        }
                    }
                }
                dxPad.get(0, dxPadHost, 0, pad.imageLength);
                pad.crop(dxPadHost, dx, n);
                dxPad.zero();
            }
            dwAcc.get(0, dwTap, 0, dwTap.length);
        }
        StridedKernels.tapMajorToOihw(dwTap, k, cg, s.kernelH(), s.kernelW(), dw.data());
    }

    // ------------------------------------------------------------------------------------------- gathered

    private static void forwardGathered(ConvShape s, Padded pad, Tensor4D input, Tensor4D weight, float[] bias,
                                        Tensor4D output) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int rows = Math.toIntExact(s.patchSize());
        int plane = s.outPlane();
        float[] col = new float[Math.multiplyExact(rows, plane)];
        try (Floats w = new Floats(weight.size());
             Floats c = new Floats(col.length);
             Floats y = new Floats((long) k * plane)) {
            w.put(0, weight.data(), 0, weight.size());
            for (int n = 0; n < s.batch(); n++) {
                pad.load(input, n);
                for (int g = 0; g < s.groups(); g++) {
                    StridedKernels.gatherWindows(pad.image, WindowView.groupWindows(s, g), col);
                    c.put(0, col, 0, col.length);
                    // Y_g (Kg, P) = W_g (Kg, Cg*kH*kW) * col (Cg*kH*kW, P)
                    NativeGemm.sgemm(false, false, kg, plane, rows, 1f,
                            w, (long) g * kg * rows, rows, c, 0, plane, 0f, y, (long) g * kg * plane, plane);
                }
                int yOff = n * k * plane;
                y.get(0, output.data(), yOff, k * plane);
                if (bias != null) {
                    StridedKernels.addBias(output.data(), yOff, k, plane, bias, 0);
                }
            }
        }
    }

    private static void backwardGathered(ConvShape s, Padded pad, Tensor4D input, Tensor4D weight,
                                         Tensor4D gradOutput, Tensor4D dx, Tensor4D dw) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int rows = Math.toIntExact(s.patchSize());
        int plane = s.outPlane();
        float[] col = new float[Math.multiplyExact(rows, plane)];
        float[] dxPadHost = new float[pad.imageLength];
        try (Floats w = new Floats(weight.size());
             Floats c = new Floats(col.length);
             Floats dy = new Floats((long) k * plane);
             Floats dCol = new Floats(col.length);
             Floats dwAcc = new Floats(weight.size())) {
            w.put(0, weight.data(), 0, weight.size());
            for (int n = 0; n < s.batch(); n++) {
                pad.load(input, n);
                dy.put(0, gradOutput.data(), n * k * plane, k * plane);
                java.util.Arrays.fill(dxPadHost, 0f);
                for (int g = 0; g < s.groups(); g++) {
                    WindowView view = WindowView.groupWindows(s, g);
                    StridedKernels.gatherWindows(pad.image, view, col);
                    c.put(0, col, 0, col.length);
                    long dyOff = (long) g * kg * plane;
                    long wOff = (long) g * kg * rows;
                    // dW_g (Kg, Cg*kH*kW) [+]= dY_g (Kg, P) * col^T (P, Cg*kH*kW)
                    NativeGemm.sgemm(false, true, kg, rows, plane, 1f,
                            dy, dyOff, plane, c, 0, plane, n == 0 ? 0f : 1f, dwAcc, wOff, rows);
                    // dCol (Cg*kH*kW, P) = W_g^T * dY_g, then scattered back through the same view
                    NativeGemm.sgemm(true, false, rows, plane, kg, 1f,
                            w, wOff, rows, dy, dyOff, plane, 0f, dCol, 0, plane);
                    dCol.get(0, col, 0, col.length);
                    StridedKernels.scatterAddWindows(col, view, dxPadHost);
                }
                pad.crop(dxPadHost, dx, n);
            }
            dwAcc.get(0, dw.data(), 0, dw.size());
        }
    }

    // ------------------------------------------------------------------------------------------- padding

    /** One padded image {@code (C, Hp, Wp)} on the Java heap, its border zero, reloaded per image. */
    private static final class Padded {
        final ConvShape s;
        final int hp;
        final int wp;
        final int plane;
        final int imageLength;
        final float[] image;

        Padded(ConvShape s) {
            this.s = s;
            long len = (long) s.inChannels() * s.paddedH() * s.paddedW();
            if (len > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("params: expected a padded image (C*Hp*Wp) of at most "
                        + Integer.MAX_VALUE + " elements for the strided backend, got " + len + " for " + s);
            }
            this.hp = (int) s.paddedH();
            this.wp = (int) s.paddedW();
            this.plane = hp * wp;
            this.imageLength = (int) len;
            this.image = new float[imageLength];
        }

        /** {@code L = (outH-1)*Wp + outW}, the columns of a tap matrix and of a wide output row. */
        int wideColumns() {
            return (s.outH() - 1) * wp + s.outW();
        }

        /** Copies image {@code n} of {@code input} into the interior; the border stays zero. */
        void load(Tensor4D input, int n) {
            StridedKernels.padInto(input.data(), n * s.inChannels() * s.inPlane(), s.inChannels(), s.inH(), s.inW(),
                    image, 0, hp, wp, s.params().padTop(), s.params().padLeft());
        }

        /** Copies the interior of a padded gradient into image {@code n} of {@code dx}. */
        void crop(float[] padded, Tensor4D dx, int n) {
            StridedKernels.cropInto(padded, 0, hp, wp, s.params().padTop(), s.params().padLeft(),
                    dx.data(), n * s.inChannels() * s.inPlane(), s.inChannels(), s.inH(), s.inW());
        }
    }
}
