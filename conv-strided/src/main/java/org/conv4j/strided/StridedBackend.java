package org.conv4j.strided;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.openblas.AbstractGemmBackend;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.GemmTuning;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.openblas.Parallel;
import org.conv4j.api.Workspace;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The {@code strided} backend: convolution as GEMM over a strided window VIEW of the padded input (numpy's
 * {@code as_strided} / {@code view_as_windows}). See {@link WindowView} for the view and
 * its stride formula, and docs/strided.md for the measurements behind the two paths.
 *
 * <p>The input is copied once per image into a zero-padded buffer {@code xpad (C, Hp, Wp)}; padding is then
 * just a border of real zeros (so {@code 0 * w} is computed, as the reference does). Groups slice the channel
 * axis and the filter axis: group {@code g} reads channels {@code g*Cg ..} and writes filters {@code g*Kg ..}.
 * Everything else depends on the path, chosen per call by {@link #forwardPath} / {@link #backwardPath}:
 * <ul>
 *   <li>{@link Path#ZERO_COPY}: for each kernel offset {@code (i, j)}, the {@link WindowView#tapMatrix tap
 *       matrix} is a plain matrix view of the padded image (leading dimension {@code Hp*Wp}), so BLAS multiplies
 *       it in place: {@code Y += W[:, :, i, j] * X_ij}, {@code kH*kW} GEMMs accumulating into a "wide" output
 *       whose wrap-around columns are dropped afterwards. No window is ever copied: this is where the view saves
 *       im2col's {@code kH*kW}-fold copy. With a stride above 1 the padded image is stored in the phase layout
 *       of {@link WindowView#tapMatrix} (split by the stride into {@code sh*sw} phase images, the same single
 *       1x copy), in which every tap is again such a matrix; this works but measured slower than gathering, so
 *       {@link #forwardPath} only takes it at stride 1.</li>
 *   <li>{@link Path#GATHERED} (strided convolutions, and few channels per group feeding more filters, where
 *       {@code kH*kW} GEMMs with an inner dimension of only {@code Cg} would be slow): the 5-D view {@code (Cg, outH, outW, kH, kW)} is
 *       laid out as a {@code (Cg*kH*kW, outH*outW)} matrix by {@link StridedKernels#gatherWindows} (the copy
 *       ND4J's {@code reshape} of the view would make, done faster) and multiplied once per image, group and
 *       band.</li>
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
 * Thin backward passes (fewer than {@link GemmTuning#THIN_GEMM} multiply-adds per output position, e.g. one 2x2
 * filter on one channel) run the gathered path on the Java heap instead ({@link #backwardOnHeap}).
 * The zero-copy backward sums over the wrap-around columns too, with {@code dY} set to zero there; that adds
 * exact zeros only while every {@code x} and {@code w} is finite ({@code 0 * NaN = NaN}), so a call with a
 * non-finite input or weight takes the gathered path, which touches window elements only.
 *
 * <p><b>Memory</b> (same policy as the im2col backend, {@link Workspace}): one pooled native workspace of at
 * most {@link #workspaceBytes()} per call, within what the process-wide budget grants
 * ({@link org.conv4j.api.WorkspaceBudget}), images one at a time, each in bands of output rows
 * ({@link BandPlan}); plus, on the Java heap, one padded image (and its gradient, backward).
 *
 * <p><b>Threads.</b> GEMMs run on OpenBLAS's threads; the gather runs in parallel over tap rows
 * {@code (c, i)} and the scatter over channels when there is enough work. Every element is summed in one fixed order, so results do not depend
 * on the thread count or on concurrent callers. Thread-safe: each call acquires its own workspace.
 *
 * <p><b>Accuracy</b>: float32 GEMM, within the conformance kit's default 1e-5 of the naive reference,
 * relative to the reference's largest value.
 */
public final class StridedBackend extends AbstractGemmBackend {

    /** The name this backend registers under. */
    public static final String NAME = "strided";

    /** How a call runs; see the class comment. */
    enum Path { ZERO_COPY, GATHERED }

    /** A backend with the default workspace limit ({@link Workspace#defaultLimitBytes()}). */
    public StridedBackend() {
        this(Workspace.defaultLimitBytes());
    }

    /**
     * A backend whose calls use at most {@code workspaceBytes} of native workspace each (a band of one output
     * row is the minimum and is used even if it is larger).
     *
     * @throws IllegalArgumentException if the limit is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    public StridedBackend(long workspaceBytes) {
        super(workspaceBytes);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The window matrix copy and the GEMMs ({@link StridedTuning#ESTIMATE}). */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        return StridedTuning.ESTIMATE.nanos(shape, pass);
    }

    /**
     * The preferred forward path for this geometry (a pure function of the shape). A stride above 1 always
     * takes the gathered path: the phase-layout zero-copy path works (and is tested) there, but measured
     * slower on a quiet machine (ResNet 3x3 stride 2, batch 8, 128 -> 128, 56x56: forward 22.6 ms against
     * 17.9 gathered and 17.8 for im2col; backward 47.2 against 36.8 and 34.5; docs/strided.md), since the
     * im2col copy it saves is only {@code kH*kW/(sh*sw)} times the input.
     */
    static Path forwardPath(ConvShape s) {
        if (s.params().isStrided()) {
            return Path.GATHERED;
        }
        boolean oneByOne = s.kernelH() == 1 && s.kernelW() == 1;
        boolean fewFilters = s.outChannelsPerGroup() <= s.inChannelsPerGroup();
        return oneByOne || fewFilters || s.inChannelsPerGroup() >= StridedTuning.ZERO_COPY_MIN_CHANNELS
                ? Path.ZERO_COPY : Path.GATHERED;
    }

    /**
     * The preferred backward path: the forward one, unless a group has fewer than
     * {@link StridedTuning#ZERO_COPY_MIN_BACKWARD_FILTERS_TIMES_CHANNELS} filter-channel pairs or an input or weight value
     * is non-finite (see the class comment).
     */
    static Path backwardPath(ConvShape s, Tensor4D input, Tensor4D weight) {
        long pairs = (long) s.outChannelsPerGroup() * s.inChannelsPerGroup();
        if (forwardPath(s) == Path.ZERO_COPY && pairs >= StridedTuning.ZERO_COPY_MIN_BACKWARD_FILTERS_TIMES_CHANNELS
                && StridedKernels.allFinite(input.data())
                && StridedKernels.allFinite(weight.data())) {
            return Path.ZERO_COPY;
        }
        return Path.GATHERED;
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        return forward(s, forwardPath(s), input, weight, bias, output);
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        if (isThin(s)) {
            return backwardOnHeap(s, input, weight, gradOutput);
        }
        return backward(s, backwardPath(s, input, weight), input, weight, gradOutput);
    }

    /** True if the backward products of {@code s} are better done in Java (see {@link GemmTuning#THIN_GEMM}). */
    static boolean isThin(ConvShape s) {
        return (long) s.outChannelsPerGroup() * s.patchSize() < GemmTuning.THIN_GEMM;
    }

    /**
     * The gathered backward pass on the Java heap, for thin convolutions ({@link GemmTuning#THIN_GEMM}); the package-
     * private {@link #backward(ConvShape, Path, Tensor4D, Tensor4D, Tensor4D)} still runs the native paths.
     * Per image, band of {@link #heapBandRows} output rows and group: the windows gathered into a heap
     * column matrix {@code col (Cg*kH*kW, q)}, then
     * <pre>
     *   dW_g   += dY_g (Kg, q) * col^T (q, Cg*kH*kW)      ({@link Gemm#thinSgemmNT}, summed in double)
     *   dCol    = W_g^T (Cg*kH*kW, Kg) * dY_g (Kg, q)     ({@link Gemm#thinSgemmTN})
     * </pre>
     * and {@code dCol} scattered back through the same view into {@code dXpad}. {@code dY_g} is read in place
     * (rows of the output planes, leading dimension {@code outH*outW}). Touches window elements only, so
     * non-finite inputs are handled as on the gathered path. Single-threaded: one fixed summation order.
     */
    private static ConvGradients backwardOnHeap(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int r = (int) s.patchSize();
        int plane = s.outPlane();
        int rows = heapBandRows(s);
        float[] col = new float[r * rows * s.outW()];
        float[] dCol = new float[col.length];
        FloatBuffer colView = FloatBuffer.wrap(col);
        double[] dwSum = new double[dw.size()];
        Padded pad = new Padded(s, false);
        float[] dxPad = new float[pad.imageLength];
        float[] dy = gradOutput.data();
        for (int n = 0; n < s.batch(); n++) {
            pad.load(input, n);
            Arrays.fill(dxPad, 0f);
            for (int oh0 = 0; oh0 < s.outH(); oh0 += rows) {
                int band = Math.min(rows, s.outH() - oh0);
                int q = band * s.outW();
                for (int g = 0; g < s.groups(); g++) {
                    WindowView view = WindowView.groupWindows(s, g).slice(1, oh0, band);
                    StridedKernels.gatherWindows(pad.image, view, colView, 0);
                    int dyAt = (n * k + g * kg) * plane + oh0 * s.outW();
                    Gemm.thinSgemmNT(dy, dyAt, plane, kg, r, col, 0, q, q, dwSum, g * kg * r);
                    Gemm.thinSgemmTN(weight.data(), g * kg * r, kg, r, dy, dyAt, plane, q, dCol, 0, q);
                    StridedKernels.scatterAddWindows(dCol, 0, view, dxPad);
                }
            }
            pad.crop(dxPad, dx, n);
        }
        float[] dwData = dw.data();
        for (int e = 0; e < dwData.length; e++) {
            dwData[e] = (float) dwSum[e];
        }
        return new ConvGradients(dx, dw, biasGradient(s, gradOutput));
    }

    /**
     * Output rows per band of {@link #backwardOnHeap}: as many as keep a band's column matrix within
     * {@link GemmTuning#HEAP_BAND_FLOATS}, at least one.
     */
    static int heapBandRows(ConvShape s) {
        long perRow = s.patchSize() * s.outW();
        return (int) Math.max(1, Math.min(s.outH(), GemmTuning.HEAP_BAND_FLOATS / perRow));
    }

    /**
     * Forward on a preferred path (package-private so tests can run both paths on the same case); the
     * workspace plan may still fall back to the gathered path.
     */
    Tensor4D forward(ConvShape s, Path path, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        withWorkspace(limit -> BandPlan.of(s, path, false, limit), BandPlan::capacity, (plan, ws) -> {
            Padded pad = new Padded(s, plan.path() == Path.ZERO_COPY);
            if (plan.path() == Path.ZERO_COPY) {
                forwardZeroCopy(s, plan, ws, pad, input, weight, bias, output);
            } else {
                forwardGathered(s, plan, ws, pad, input, weight, bias, output);
            }
        });
        return output;
    }

    /** Backward on a preferred path; {@link Path#ZERO_COPY} requires finite input and weight (class comment). */
    ConvGradients backward(ConvShape s, Path path, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        withWorkspace(limit -> BandPlan.of(s, path, true, limit), BandPlan::capacity, (plan, ws) -> {
            Padded pad = new Padded(s, plan.path() == Path.ZERO_COPY);
            if (plan.path() == Path.ZERO_COPY) {
                backwardZeroCopy(s, plan, ws, pad, input, weight, gradOutput, dx, dw);
            } else {
                backwardGathered(s, plan, ws, pad, input, weight, gradOutput, dx, dw);
            }
        });
        float[] db = biasGradient(s, gradOutput);
        return new ConvGradients(dx, dw, db);
    }

    // ------------------------------------------------------------------------------------------ zero copy

    private static void forwardZeroCopy(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, Tensor4D input,
                                        Tensor4D weight, float[] bias, Tensor4D output) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        int plane = s.outPlane();
        float[] tapWeights = StridedKernels.tapMajorWeights(weight.data(), k, cg, s.kernelH(), s.kernelW());
        ws.copyFrom(tapWeights, 0, (int) plan.weightAt(), tapWeights.length);
        float[] wide = new float[(int) plan.band()];
        for (int n = 0; n < s.batch(); n++) {
            pad.load(input, n);
            ws.copyFrom(pad.image, 0, (int) plan.imageAt(), pad.imageLength);
            for (int oh0 = 0; oh0 < s.outH(); oh0 += plan.rows()) {
                int rows = Math.min(plan.rows(), s.outH() - oh0);
                int l = (rows - 1) * pad.wp + s.outW();
                for (int g = 0; g < s.groups(); g++) {
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int t = i * s.kernelW() + j;
                            WindowView tap = WindowView.tapMatrix(s, g, i, j, oh0, rows).checkFits(pad.imageLength);
                            // Y_g (Kg, L) [+]= W_g[:, :, i, j] (Kg, Cg) * X_ij (Cg, L), X_ij read in place
                            Gemm.sgemm(false, false, kg, l, cg, 1f,
                                    ws, plan.weightAt() + ((long) t * k + (long) g * kg) * cg, cg,
                                    ws, plan.imageAt() + tap.offset(), pad.plane,
                                    t == 0 ? 0f : 1f, ws, plan.bandAt() + (long) g * kg * l, l);
                        }
                    }
                }
                ws.copyTo((int) plan.bandAt(), wide, 0, k * l);
                StridedKernels.wideToCompact(wide, 0, k, rows, s.outW(), pad.wp, bias, 0,
                        output.data(), n * k * plane + oh0 * s.outW(), plane);
            }
        }
    }

    private static void backwardZeroCopy(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, Tensor4D input,
                                         Tensor4D weight, Tensor4D gradOutput, Tensor4D dx, Tensor4D dw) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        int plane = s.outPlane();
        float[] tapWeights = StridedKernels.tapMajorWeights(weight.data(), k, cg, s.kernelH(), s.kernelW());
        ws.copyFrom(tapWeights, 0, (int) plan.weightAt(), tapWeights.length);
        // wrap-around columns of the dY band stay zero: only window columns are ever written (compactToWide)
        float[] dyWide = new float[(int) plan.band()];
        float[] dxPad = new float[pad.imageLength]; // all zero: also the initial dXpad of every image
        boolean first = true;
        for (int n = 0; n < s.batch(); n++) {
            pad.load(input, n);
            ws.copyFrom(pad.image, 0, (int) plan.imageAt(), pad.imageLength);
            Arrays.fill(dxPad, 0f);
            ws.copyFrom(dxPad, 0, (int) plan.imageGradAt(), pad.imageLength);
            for (int oh0 = 0; oh0 < s.outH(); oh0 += plan.rows()) {
                int rows = Math.min(plan.rows(), s.outH() - oh0);
                int l = (rows - 1) * pad.wp + s.outW();
                if (rows != plan.rows()) {
                    // the last, shorter band has another row length L: positions that held window columns of
                    // the longer bands may be wrap-around columns now, and those must be zero
                    Arrays.fill(dyWide, 0f);
                }
                StridedKernels.compactToWide(gradOutput.data(), n * k * plane + oh0 * s.outW(), plane, k, rows,
                        s.outW(), pad.wp, dyWide, 0);
                ws.copyFrom(dyWide, 0, (int) plan.bandAt(), k * l);
                for (int g = 0; g < s.groups(); g++) {
                    long dyAt = plan.bandAt() + (long) g * kg * l;
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            long wOff = ((long) (i * s.kernelW() + j) * k + (long) g * kg) * cg;
                            WindowView tap = WindowView.tapMatrix(s, g, i, j, oh0, rows).checkFits(pad.imageLength);
                            // dW[:, :, i, j] (Kg, Cg) [+]= dY_g (Kg, L) * X_ij^T (L, Cg); zero dY columns add 0
                            Gemm.sgemm(false, true, kg, cg, l, 1f,
                                    ws, dyAt, l, ws, plan.imageAt() + tap.offset(), pad.plane,
                                    first ? 0f : 1f, ws, plan.weightGradAt() + wOff, cg);
                            // dXpad_ij (Cg, L) += W[:, :, i, j]^T (Cg, Kg) * dY_g (Kg, L): the scatter through
                            // the view, accumulated by BLAS straight into the tap-matrix view of dXpad
                            Gemm.sgemm(true, false, cg, l, kg, 1f,
                                    ws, plan.weightAt() + wOff, cg, ws, dyAt, l,
                                    1f, ws, plan.imageGradAt() + tap.offset(), pad.plane);
                        }
                    }
                }
                first = false;
            }
            ws.copyTo((int) plan.imageGradAt(), dxPad, 0, pad.imageLength);
            pad.crop(dxPad, dx, n);
        }
        float[] dwTap = new float[tapWeights.length];
        ws.copyTo((int) plan.weightGradAt(), dwTap, 0, dwTap.length);
        StridedKernels.tapMajorToOihw(dwTap, k, cg, s.kernelH(), s.kernelW(), dw.data());
    }

    // ------------------------------------------------------------------------------------------- gathered

    private static void forwardGathered(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, Tensor4D input,
                                        Tensor4D weight, float[] bias, Tensor4D output) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int r = (int) s.patchSize();
        int plane = s.outPlane();
        ws.copyFrom(weight.data(), 0, (int) plan.weightAt(), weight.size());
        for (int n = 0; n < s.batch(); n++) {
            pad.load(input, n);
            for (int oh0 = 0; oh0 < s.outH(); oh0 += plan.rows()) {
                int rows = Math.min(plan.rows(), s.outH() - oh0);
                int q = rows * s.outW();
                for (int g = 0; g < s.groups(); g++) {
                    WindowView view = WindowView.groupWindows(s, g).slice(1, oh0, rows);
                    gather(pad.image, view, ws, (int) plan.columnsAt(), (long) r * q);
                    // Y_g (Kg, q) = W_g (Kg, Cg*kH*kW) * col (Cg*kH*kW, q)
                    Gemm.sgemm(false, false, kg, q, r, 1f,
                            ws, plan.weightAt() + (long) g * kg * r, r, ws, plan.columnsAt(), q,
                            0f, ws, plan.bandAt() + (long) g * kg * q, q);
                }
                int yAt = n * k * plane + oh0 * s.outW();
                for (int f = 0; f < k; f++) {
                    ws.copyTo((int) (plan.bandAt() + (long) f * q), output.data(), yAt + f * plane, q);
                }
                if (bias != null) {
                    StridedKernels.addBias(output.data(), yAt, k, q, plane, bias, 0);
                }
            }
        }
    }

    private static void backwardGathered(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, Tensor4D input,
                                         Tensor4D weight, Tensor4D gradOutput, Tensor4D dx, Tensor4D dw) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int r = (int) s.patchSize();
        int plane = s.outPlane();
        ws.copyFrom(weight.data(), 0, (int) plan.weightAt(), weight.size());
        float[] dxPad = new float[pad.imageLength];
        boolean first = true;
        for (int n = 0; n < s.batch(); n++) {
            pad.load(input, n);
            Arrays.fill(dxPad, 0f);
            for (int oh0 = 0; oh0 < s.outH(); oh0 += plan.rows()) {
                int rows = Math.min(plan.rows(), s.outH() - oh0);
                int q = rows * s.outW();
                int dyAt = n * k * plane + oh0 * s.outW();
                for (int f = 0; f < k; f++) {
                    ws.copyFrom(gradOutput.data(), dyAt + f * plane, (int) (plan.bandAt() + (long) f * q), q);
                }
                for (int g = 0; g < s.groups(); g++) {
                    WindowView view = WindowView.groupWindows(s, g).slice(1, oh0, rows);
                    gather(pad.image, view, ws, (int) plan.columnsAt(), (long) r * q);
                    long dyOff = plan.bandAt() + (long) g * kg * q;
                    long wOff = (long) g * kg * r;
                    // dW_g (Kg, Cg*kH*kW) [+]= dY_g (Kg, q) * col^T (q, Cg*kH*kW)
                    Gemm.sgemm(false, true, kg, r, q, 1f,
                            ws, dyOff, q, ws, plan.columnsAt(), q,
                            first ? 0f : 1f, ws, plan.weightGradAt() + wOff, r);
                    // dCol (Cg*kH*kW, q) = W_g^T * dY_g, then scattered back through the same view
                    Gemm.sgemm(true, false, r, q, kg, 1f,
                            ws, plan.weightAt() + wOff, r, ws, dyOff, q,
                            0f, ws, plan.columnsGradAt(), q);
                    scatter(ws, (int) plan.columnsGradAt(), q, view, dxPad, (long) r * q);
                }
                first = false;
            }
            pad.crop(dxPad, dx, n);
        }
        ws.copyTo((int) plan.weightGradAt(), dw.data(), 0, dw.size());
    }

    /**
     * {@link StridedKernels#gatherWindows} straight into the native workspace, split over tap rows
     * {@code (c, i)} on the fork-join pool when large enough.
     */
    private static void gather(float[] src, WindowView view, NativeFloats ws, int at, long floats) {
        FloatBuffer dst = ws.buffer();
        int tapRows = (int) (view.shape()[0] * view.shape()[3]);
        Parallel.forEach(tapRows, floats, t -> StridedKernels.gatherWindows(src, view, dst, at, t, t + 1),
                () -> StridedKernels.gatherWindows(src, view, dst, at));
    }

    /**
     * {@link StridedKernels#scatterAddWindows} of the {@code (Cg*kH*kW, q)} gradient matrix at {@code ws[at..]}:
     * one task per channel (channels write disjoint planes), in parallel when large enough; each task copies
     * its rows out of native memory one at a time into a small array (it stays in cache) and adds it back
     * through the view with {@link StridedKernels#scatterAddTap}.
     */
    private static void scatter(NativeFloats ws, int at, int q, WindowView view, float[] dst, long floats) {
        int kh = (int) view.shape()[3];
        int kw = (int) view.shape()[4];
        IntConsumer channel = c -> {
            float[] row = new float[q];
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    ws.copyTo(at + ((c * kh + i) * kw + j) * q, row, 0, q);
                    StridedKernels.scatterAddTap(row, 0, view, c, i, j, dst);
                }
            }
        };
        int channels = (int) view.shape()[0];
        Parallel.forEach(channels, floats, channel, () -> {
            for (int c = 0; c < channels; c++) {
                channel.accept(c);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- padding

    /**
     * One padded image on the Java heap, reloaded per image, its padding (and fill) zero: either plain
     * {@code xpad (C, Hp, Wp)} (gathered path, {@code phases = false}) or the phase layout of
     * {@link WindowView#tapMatrix} (zero-copy path; the same thing at stride 1).
     */
    private static final class Padded {
        final ConvShape s;
        final boolean phases;
        final int sh;
        final int sw;
        /** Rows and columns of one plane: {@code Hq, Wq} in the phase layout, {@code Hp, Wp} otherwise. */
        final int hp;
        final int wp;
        /** Floats of one plane, the leading dimension of a tap matrix. */
        final int plane;
        final int imageLength;
        final float[] image;

        Padded(ConvShape s, boolean phases) {
            this.s = s;
            this.phases = phases;
            this.sh = phases ? s.params().strideH() : 1;
            this.sw = phases ? s.params().strideW() : 1;
            long h = phases ? WindowView.phaseH(s) : s.paddedH();
            long w = phases ? WindowView.phaseW(s) : s.paddedW();
            long len = (long) sh * sw * s.inChannels() * h * w;
            if (len > NativeFloats.MAX_CAPACITY) {
                throw new UnsupportedOperationException("strided: a padded image of " + s + " has " + len
                        + " elements, more than the " + NativeFloats.MAX_CAPACITY
                        + " a Java array can hold; use another backend for this shape");
            }
            this.hp = (int) h;
            this.wp = (int) w;
            this.plane = hp * wp;
            this.imageLength = (int) len;
            this.image = new float[imageLength];
        }

        /** Copies image {@code n} of {@code input} into the interior; padding and fill stay zero. */
        void load(Tensor4D input, int n) {
            StridedKernels.padIntoPhases(input.data(), n * s.inChannels() * s.inPlane(), s.inChannels(), s.inH(),
                    s.inW(), image, hp, wp, sh, sw, s.params().padTop(), s.params().padLeft());
        }

        /** Copies the input positions of a gradient in this layout into image {@code n} of {@code dx}. */
        void crop(float[] padded, Tensor4D dx, int n) {
            StridedKernels.cropFromPhases(padded, hp, wp, sh, sw, s.params().padTop(), s.params().padLeft(),
                    dx.data(), n * s.inChannels() * s.inPlane(), s.inChannels(), s.inH(), s.inW());
        }
    }
}
