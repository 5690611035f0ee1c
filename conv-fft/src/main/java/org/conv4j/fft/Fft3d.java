package org.conv4j.fft;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor5D;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The 3D passes of {@link FftBackend}: the three frequency-domain products of the 2D backend on volumes, with
 * {@link RealFft3D} transforms, on heap NCDHW arrays (input {@code (N, C, D, H, W)}, weight
 * {@code (K, C/groups, kD, kH, kW)}, output {@code (N, K, outD, outH, outW)}, element {@code (n, c, d, h, w)} at
 * {@code (((n*C + c)*D + d)*H + h)*W + w}):
 * <pre>
 *   forward   Y[n,k]  = sum_{c in group}  X[n,c] * conj(W[k,c])     (correlation of x with w)
 *   dL/dx     DX[n,c] = sum_{k in group}  U[n,k] * W[k,c]           (full convolution of dy with w)
 *   dL/dw     DW[k,c] = sum_n             X[n,c] * conj(U[n,k])     (correlation of x with dy)
 * </pre>
 * {@code W} is the spectrum of the dilated kernel (tap {@code (a, i, j)} at {@code (a*dD, i*dH, j*dW)}), {@code U}
 * of the output gradient placed at multiples of the stride. The forward pass computes the stride-1 correlation and
 * reads every {@code s}-th position; every axis is one tile of {@link FftPlanner#plan3d}, placed and read through
 * its {@link AxisTiling} (so padding costs no transform length beyond the larger side's padding). Each product runs
 * on {@link SpectralProduct}'s engine (channel sums per frequency, chunks within the workspace, parallel over
 * images and channels), then {@link StructuralZeros} and {@link NonFinite} make padding-only and non-finite
 * elements exact, and the operands are scaled by powers of two as in 2D ({@link FftBackend.Scaling}).
 */
final class Fft3d {

    private Fft3d() {
    }

    /** One signal: the volume at {@code src[base ..]} of source sizes {@code (., sh, sw)}. */
    @FunctionalInterface
    private interface Volume {
        int base(int a, int b);
    }

    /**
     * One thread's transformer of the signals {@code (a, b)}: the box {@code d x h x w} of the volume at
     * {@code src[volume.base(a, b) ..]} (row length {@code sw}, {@code sh} rows per slice), scaled, non-finite
     * values as 0 ({@code clean}: there are none).
     */
    private static Supplier<SpectralProduct.Transformer> transformer(RealFft3D fft, float[] src, Volume volume,
                                                                     int sh, int sw, AxisSpan d, AxisSpan h,
                                                                     AxisSpan w, float scale, boolean clean) {
        int[] slices = new int[d.count()];
        int[] rows = new int[h.count()];
        for (int q = d.from(); q <= d.to(); q++) {
            slices[q - d.from()] = d.at(q);
        }
        for (int q = h.from(); q <= h.to(); q++) {
            rows[q - h.from()] = h.at(q);
        }
        boolean empty = w.count() == 0;
        int fh = fft.fh;
        int fw = fft.fw;
        return () -> {
            float[] buf = new float[Math.toIntExact((long) fft.fd * fh * fw)];
            RealFft3D.Work work = fft.newWork();
            return (a, b, re, im) -> {
                int base = volume.base(a, b);
                for (int qd = d.from(); qd <= d.to() && !empty; qd++) {
                    int z = d.at(qd);
                    for (int qh = h.from(); qh <= h.to(); qh++) {
                        int row = (z * fh + h.at(qh)) * fw;
                        Arrays.fill(buf, row, row + fw, 0f);
                        int s = base + (qd * sh + qh) * sw;
                        for (int qw = w.from(); qw <= w.to(); qw++) {
                            float v = src[s + qw];
                            buf[row + w.at(qw)] = clean || Float.isFinite(v) ? v * scale : 0f;
                        }
                    }
                }
                fft.forward(buf, slices, empty ? 0 : slices.length, rows, rows.length, re, im, work);
            };
        };
    }

    /**
     * One thread's inverter: result {@code (i, j)} read at the circular positions {@code d x h x w} and added,
     * times {@code factor}, to the contiguous volume {@code dst[volume.base(i, j) ..]} of sizes
     * {@code (d.length, h.length, w.length)}.
     */
    private static Supplier<SpectralProduct.Inverter> inverter(RealFft3D fft, int[] d, int[] h, int[] w,
                                                               double factor, float[] dst, Volume volume) {
        int fw = fft.fw;
        return () -> {
            float[] out = new float[Math.toIntExact((long) d.length * h.length * fw)];
            RealFft3D.Work work = fft.newWork();
            return (i, j, re, im) -> {
                if (d.length == 0 || h.length == 0 || w.length == 0) {
                    return;
                }
                fft.inverse(re, im, d, d.length, h, h.length, out, work);
                int base = volume.base(i, j);
                for (int a = 0; a < d.length; a++) {
                    for (int b = 0; b < h.length; b++) {
                        int src = (a * h.length + b) * fw;
                        int to = base + (a * h.length + b) * w.length;
                        for (int c = 0; c < w.length; c++) {
                            dst[to + c] += (float) (out[src + w[c]] * factor);
                        }
                    }
                }
            };
        };
    }

    /** The circular output positions of tile 0 of {@code t}, one per output. */
    private static int[] outputs(AxisTiling t) {
        int[] r = new int[t.outCount];
        for (int o = 0; o < r.length; o++) {
            r[o] = t.outputIndex(0, o);
        }
        return r;
    }

    /** The positions {@code t*dilation} of the kernel taps. */
    private static int[] taps(ConvAxis a) {
        int[] r = new int[a.kernel()];
        for (int t = 0; t < r.length; t++) {
            r[t] = t * a.dilation();
        }
        return r;
    }

    private static AxisSpan kernelSpan(ConvAxis a, AxisTiling t) {
        return AxisSpan.all(a.kernel(), a.dilation(), t.f);
    }

    /**
     * The sizes the passes index by: the axes, the channels ({@code c = C}, {@code k = K}, {@code cg = C/groups},
     * {@code kg = K/groups}) and the volumes of one input, output and kernel channel, with the start of channel
     * {@code (a, b)} of each NCDHW array.
     */
    private record Sizes(ConvAxis d, ConvAxis h, ConvAxis w, int c, int k, int cg, int kg, int inVolume,
                         int outVolume, int kVolume) {

        static Sizes of(Conv3dShape s) {
            ConvAxis d = s.depth();
            ConvAxis h = s.rows();
            ConvAxis w = s.cols();
            return new Sizes(d, h, w, s.inChannels(), s.outChannels(), s.inChannelsPerGroup(),
                    s.outChannelsPerGroup(), d.in() * h.in() * w.in(), d.out() * h.out() * w.out(),
                    d.kernel() * h.kernel() * w.kernel());
        }

        /** The start of input channel {@code (n, ch)}: {@code (n*C + ch)*inVolume}. */
        int input(int n, int ch) {
            return (n * c + ch) * inVolume;
        }

        /** The start of output channel {@code (n, filter)}: {@code (n*K + filter)*outVolume}. */
        int output(int n, int filter) {
            return (n * k + filter) * outVolume;
        }

        /** The start of kernel {@code (filter, ch)}, {@code ch} within the group: {@code (filter*Cg + ch)*kVolume}. */
        int kernel(int filter, int ch) {
            return (filter * cg + ch) * kVolume;
        }
    }

    /** The input volumes {@code x} as signals: every input position at {@code x - lo} of its tile. */
    private static Supplier<SpectralProduct.Transformer> inputSignals(RealFft3D fft, FftPlanner.Plan3d plan, Sizes z,
                                                                      float[] x, Volume volume, float scale,
                                                                      boolean clean) {
        return transformer(fft, x, volume, z.h.in(), z.w.in(), AxisSpan.data(plan.d(), 1), AxisSpan.data(plan.h(), 1),
                AxisSpan.data(plan.w(), 1), scale, clean);
    }

    /** The kernels {@code w} as signals, dilated: tap {@code t} at {@code t*dilation} on every axis. */
    private static Supplier<SpectralProduct.Transformer> kernelSignals(RealFft3D fft, FftPlanner.Plan3d plan, Sizes z,
                                                                       float[] w, Volume volume, float scale) {
        return transformer(fft, w, volume, z.h.kernel(), z.w.kernel(), kernelSpan(z.d, plan.d()),
                kernelSpan(z.h, plan.h()), kernelSpan(z.w, plan.w()), scale, false);
    }

    // ------------------------------------------------------------------------------------------ passes

    static Tensor5D forward(Conv3dShape s, FftPlanner.Plan3d plan, Tensor5D input, Tensor5D weight, float[] bias,
                            long workspaceBytes) {
        Tensor5D output = s.newOutput();
        float[] x = input.data();
        float[] w = weight.data();
        float[] y = output.data();
        Sizes z = Sizes.of(s);
        if (bias != null) {
            for (int p = 0; p < s.batch() * z.k; p++) {
                Arrays.fill(y, p * z.outVolume, (p + 1) * z.outVolume, bias[p % z.k]);
            }
        }
        RealFft3D fft = plan.fft();
        boolean xClean = !NonFinite.any(x);
        FftBackend.Scaling scaling = FftBackend.Scaling.of(x, w);
        int[] od = outputs(plan.d());
        int[] oh = outputs(plan.h());
        int[] ow = outputs(plan.w());
        for (int g = 0; g < s.params().groups(); g++) {
            int group = g;
            // A(n, l): input channel g*Cg + l of image n; B(l, j): kernel (g*Kg + j, l); out(n, j): y[n, g*Kg + j]
            Supplier<SpectralProduct.Transformer> a = inputSignals(fft, plan, z, x,
                    (n, l) -> z.input(n, group * z.cg + l), scaling.first(), xClean);
            Supplier<SpectralProduct.Transformer> b = kernelSignals(fft, plan, z, w,
                    (l, j) -> z.kernel(group * z.kg + j, l), scaling.second());
            Supplier<SpectralProduct.Inverter> out = inverter(fft, od, oh, ow, scaling.factor(), y,
                    (n, j) -> z.output(n, group * z.kg + j));
            SpectralProduct.run(fft.planeSize, s.batch(), z.cg, z.kg, a, b, true, out, workspaceBytes);
        }
        StructuralZeros.forward(s, bias, y);
        if (!xClean || NonFinite.any(w)) {
            NonFinite.forward(s, x, w, y);
        }
        return output;
    }

    /** {@code dL/dx}, a new heap NCDHW tensor of the input's shape. */
    static Tensor5D inputGradient(Conv3dShape s, FftPlanner.Plan3d plan, Tensor5D weight, Tensor5D gradOutput,
                                  long workspaceBytes) {
        Tensor5D dx = s.newInput();
        inputGradient(s, plan, weight.data(), gradOutput.data(), dx.data(), workspaceBytes);
        return dx;
    }

    /** {@code dL/dw}, a new heap NCDHW tensor of the weight's shape. */
    static Tensor5D weightGradient(Conv3dShape s, FftPlanner.Plan3d plan, Tensor5D input, Tensor5D gradOutput,
                                   long workspaceBytes) {
        Tensor5D dw = s.newWeight();
        weightGradient(s, plan, input.data(), gradOutput.data(), dw.data(), workspaceBytes);
        return dw;
    }

    /** dx: per group, {@code DX[n,c] = sum_k U[n,k] * W[k,c]}, read at the input positions. */
    private static void inputGradient(Conv3dShape s, FftPlanner.Plan3d plan, float[] w, float[] dy, float[] dx,
                                      long workspaceBytes) {
        Sizes z = Sizes.of(s);
        RealFft3D fft = plan.fft();
        FftBackend.Scaling scaling = FftBackend.Scaling.of(dy, w);
        int[] id = outputs(plan.d());
        int[] ih = outputs(plan.h());
        int[] iw = outputs(plan.w());
        for (int g = 0; g < s.params().groups(); g++) {
            int group = g;
            // A(n, l): gradient of filter g*Kg + l, element o at data position o*s; B(l, j): kernel (g*Kg + l, j)
            Supplier<SpectralProduct.Transformer> a = transformer(fft, dy,
                    (n, l) -> z.output(n, group * z.kg + l), z.h.out(), z.w.out(),
                    AxisSpan.data(plan.d(), z.d.stride()), AxisSpan.data(plan.h(), z.h.stride()),
                    AxisSpan.data(plan.w(), z.w.stride()), scaling.first(), false);
            Supplier<SpectralProduct.Transformer> b = kernelSignals(fft, plan, z, w,
                    (l, j) -> z.kernel(group * z.kg + l, j), scaling.second());
            Supplier<SpectralProduct.Inverter> out = inverter(fft, id, ih, iw, scaling.factor(), dx,
                    (n, j) -> z.input(n, group * z.cg + j));
            SpectralProduct.run(fft.planeSize, s.batch(), z.kg, z.cg, a, b, false, out, workspaceBytes);
        }
        StructuralZeros.inputGradient(s, dx);
        if (NonFinite.any(dy) || NonFinite.any(w)) {
            NonFinite.inputGradient(s, w, dy, dx);
        }
    }

    /** dw: per group, {@code DW[k,c] = sum_n X[n,c] * conj(U[n,k])}, read at the kernel taps. */
    private static void weightGradient(Conv3dShape s, FftPlanner.Plan3d plan, float[] x, float[] dy, float[] dw,
                                       long workspaceBytes) {
        Sizes z = Sizes.of(s);
        RealFft3D fft = plan.fft();
        boolean xClean = !NonFinite.any(x);
        FftBackend.Scaling scaling = FftBackend.Scaling.of(x, dy);
        for (int g = 0; g < s.params().groups(); g++) {
            int group = g;
            // A(i, n): input channel g*Cg + i of image n; B(n, j): gradient of filter g*Kg + j, output o at o*s
            Supplier<SpectralProduct.Transformer> a = inputSignals(fft, plan, z, x,
                    (i, n) -> z.input(n, group * z.cg + i), scaling.first(), xClean);
            Supplier<SpectralProduct.Transformer> b = transformer(fft, dy,
                    (n, j) -> z.output(n, group * z.kg + j), z.h.out(), z.w.out(),
                    AxisSpan.all(z.d.out(), z.d.stride(), plan.d().f),
                    AxisSpan.all(z.h.out(), z.h.stride(), plan.h().f),
                    AxisSpan.all(z.w.out(), z.w.stride(), plan.w().f), scaling.second(), false);
            // out(i, j): dw[g*Kg + j, i], tap t at circular position t*dilation
            Supplier<SpectralProduct.Inverter> out = inverter(fft, taps(z.d), taps(z.h), taps(z.w), scaling.factor(),
                    dw, (i, j) -> z.kernel(group * z.kg + j, i));
            SpectralProduct.run(fft.planeSize, z.cg, s.batch(), z.kg, a, b, true, out, workspaceBytes);
        }
        StructuralZeros.weightGradient(s, dw);
        if (NonFinite.any(dy) || !xClean) {
            NonFinite.weightGradient(s, x, dy, dw);
        }
    }

    /** Bytes of one spectrum of {@code plan} (two planes of floats). */
    static long spectrumBytes(FftPlanner.Plan3d plan) {
        return 8 * plan.planeSize();
    }

    /** The products a pass runs: the forward one, or the two gradients. */
    static ConvPass[] products(ConvPass pass) {
        return pass == ConvPass.FORWARD ? new ConvPass[] {ConvPass.FORWARD}
                : new ConvPass[] {ConvPass.INPUT_GRADIENT, ConvPass.WEIGHT_GRADIENT};
    }
}
