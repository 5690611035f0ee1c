package org.conv4j.strided;

import org.conv4j.api.ConvGradients;
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
 * ({@link org.conv4j.spi.WorkspaceBudget}), images one at a time, each in bands of output rows
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
     * @param workspaceBytes the limit in bytes
     * @throws IllegalArgumentException if the limit is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    public StridedBackend(long workspaceBytes) {
        super(NAME, workspaceBytes);
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
     * is non-finite (see the class comment); a {@code null} one is not read (single gradients).
     */
    static Path backwardPath(ConvShape s, Tensor4D input, Tensor4D weight) {
        long pairs = (long) s.outChannelsPerGroup() * s.inChannelsPerGroup();
        if (forwardPath(s) == Path.ZERO_COPY && pairs >= StridedTuning.ZERO_COPY_MIN_BACKWARD_FILTERS_TIMES_CHANNELS
                && (input == null || input.allFinite())
                && (weight == null || weight.allFinite())) {
            return Path.ZERO_COPY;
        }
        return Path.GATHERED;
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        return forward(s, forwardPath(s), input, weight, bias, output);
    }

    @Override
    protected void gradients(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput, float[] dx,
                             float[] dw) {
        if (isThin(s)) {
            backwardOnHeap(s, input, weight, gradOutput.data(), dx, dw);
            return;
        }
        gradients(s, backwardPath(s, input, weight), input, weight, gradOutput, dx, dw);
    }

    /** True if the backward products of {@code s} are better done in Java (see {@link GemmTuning#THIN_GEMM}). */
    static boolean isThin(ConvShape s) {
        return (long) s.outChannelsPerGroup() * s.patchSize() < GemmTuning.THIN_GEMM;
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
            boolean zeroCopy = plan.path() == Path.ZERO_COPY;
            Padded pad = new Padded(s, zeroCopy, input, null);
            loadWeights(s, plan, ws, weight);
            if (zeroCopy) {
                forwardZeroCopy(s, plan, ws, pad, bias, output.data());
            } else {
                forwardGathered(s, plan, ws, pad, bias, output.data());
            }
        });
        return output;
    }

    /** Backward on a preferred path; {@link Path#ZERO_COPY} requires finite input and weight (class comment). */
    ConvGradients backward(ConvShape s, Path path, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        gradients(s, path, input, weight, gradOutput, dx.data(), dw.data());
        return new ConvGradients(dx, dw, biasGradient(s, gradOutput));
    }

    /** The wanted gradients on a preferred path. */
    private void gradients(ConvShape s, Path path, Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                           float[] dx, float[] dw) {
        withWorkspace(limit -> BandPlan.of(s, path, true, limit), BandPlan::capacity, (plan, ws) -> {
            boolean zeroCopy = plan.path() == Path.ZERO_COPY;
            Padded pad = new Padded(s, zeroCopy, input, dx);
            if (dx != null) {
                loadWeights(s, plan, ws, weight);
            }
            if (zeroCopy) {
                backwardZeroCopy(s, plan, ws, pad, gradOutput.data(), dx, dw);
            } else {
                backwardGathered(s, plan, ws, pad, gradOutput.data(), dx, dw);
            }
        });
    }

    /** The weights into the workspace: tap-major on the zero-copy path, OIHW on the gathered path. */
    private static void loadWeights(ConvShape s, BandPlan plan, NativeFloats ws, Tensor4D weight) {
        float[] w = plan.path() == Path.GATHERED ? weight.data() : StridedKernels.tapMajorWeights(weight.data(),
                s.outChannels(), s.inChannelsPerGroup(), s.kernelH(), s.kernelW());
        ws.copyFrom(w, 0, (int) plan.weightAt(), w.length);
    }

    // ------------------------------------------------------------------------------------------ zero copy

    /** A GEMM on tap {@code t = i*kW + j} of group {@code g}: its tap matrix, its filters' offset in the tap-major weights. */
    private interface TapProduct {
        void run(int t, WindowView tap, long weightOffset);
    }

    /** Runs {@code product} for every kernel offset {@code (i, j)} of group {@code g} in order, output rows {@code [oh0, oh1)}. */
    private static void forEachTap(ConvShape s, Padded pad, int g, int oh0, int oh1, TapProduct product) {
        for (int i = 0; i < s.kernelH(); i++) {
            for (int j = 0; j < s.kernelW(); j++) {
                WindowView tap = WindowView.tapMatrix(s, g, i, j, oh0, oh1 - oh0).checkFits(pad.imageLength);
                int t = i * s.kernelW() + j;
                product.run(t, tap, ((long) t * s.outChannels() + (long) g * s.outChannelsPerGroup())
                        * s.inChannelsPerGroup());
            }
        }
    }

    private static void forwardZeroCopy(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, float[] bias,
                                        float[] y) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        float[] wide = new float[(int) plan.band()];
        forEachBand(s, 1, plan.rows(), b -> {
            pad.start(b);
            if (b.oh0() == 0) {
                ws.copyFrom(pad.image, 0, (int) plan.imageAt(), pad.imageLength);
            }
            int l = (b.oh1() - b.oh0() - 1) * pad.wp + s.outW();
            for (int g = 0; g < s.groups(); g++) {
                long yAt = plan.bandAt() + (long) g * kg * l;
                // Y_g (Kg, L) [+]= W_g[:, :, i, j] (Kg, Cg) * X_ij (Cg, L), X_ij read in place
                forEachTap(s, pad, g, b.oh0(), b.oh1(), (t, tap, wOff) -> Gemm.sgemm(false, false, kg, l, cg, 1f,
                        ws, plan.weightAt() + wOff, cg, ws, plan.imageAt() + tap.offset(), pad.plane,
                        t == 0 ? 0f : 1f, ws, yAt, l));
            }
            ws.copyTo((int) plan.bandAt(), wide, 0, k * l);
            StridedKernels.wideToCompact(wide, 0, k, b.oh1() - b.oh0(), s.outW(), pad.wp, bias, 0, y,
                    s.outputIndex(b.n0(), 0, b.oh0(), 0), s.outPlane());
        });
    }

    /**
     * The zero-copy backward pass ({@link #backwardLoop}; class comment): {@code dY} laid out wide, its
     * wrap-around columns zero; {@code dXpad} accumulated by BLAS straight into its tap-matrix views in the workspace.
     */
    private static void backwardZeroCopy(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, float[] dy,
                                         float[] dx, float[] dw) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int cg = s.inChannelsPerGroup();
        float[] dyWide = new float[(int) plan.band()]; // wrap-around columns stay zero: only window columns are written
        int[] lastRows = {0}; // rows of the band dyWide holds, 0 while it is all zero
        backwardLoop(s, 1, plan.rows(), dw != null, dx != null,
                b -> {
                    pad.start(b);
                    if (b.oh0() == 0 && dw != null) {
                        ws.copyFrom(pad.image, 0, (int) plan.imageAt(), pad.imageLength);
                    }
                    if (b.oh0() == 0 && dx != null) {
                        ws.copyFrom(pad.gradient, 0, (int) plan.imageGradAt(), pad.imageLength);
                    }
                    int rows = b.oh1() - b.oh0();
                    if (lastRows[0] != 0 && rows != lastRows[0]) {
                        // a band of another height has another row length L, so each filter's block of dY starts
                        // elsewhere: positions that held window columns of the previous band may be wrap-around
                        // columns now (after an image's shorter last band, also in the next image's first band),
                        // and those must be zero
                        Arrays.fill(dyWide, 0f);
                    }
                    lastRows[0] = rows;
                    StridedKernels.compactToWide(dy, s.outputIndex(b.n0(), 0, b.oh0(), 0), s.outPlane(), k,
                            rows, s.outW(), pad.wp, dyWide, 0);
                    ws.copyFrom(dyWide, 0, (int) plan.bandAt(), k * ((rows - 1) * pad.wp + s.outW()));
                },
                (b, g) -> {
                    int l = (b.oh1() - b.oh0() - 1) * pad.wp + s.outW();
                    forEachTap(s, pad, g, b.oh0(), b.oh1(), (t, tap, wOff) -> Gemm.sgemm(false, true, kg, cg, l, 1f,
                            ws, plan.bandAt() + (long) g * kg * l, l, ws, plan.imageAt() + tap.offset(), pad.plane,
                            b.first() ? 0f : 1f, ws, plan.weightGradAt() + wOff, cg));
                },
                (b, g) -> {
                    int l = (b.oh1() - b.oh0() - 1) * pad.wp + s.outW();
                    forEachTap(s, pad, g, b.oh0(), b.oh1(), (t, tap, wOff) -> Gemm.sgemm(true, false, cg, l, kg, 1f,
                            ws, plan.weightAt() + wOff, cg, ws, plan.bandAt() + (long) g * kg * l, l,
                            1f, ws, plan.imageGradAt() + tap.offset(), pad.plane));
                },
                b -> {
                    if (b.oh1() == s.outH() && dx != null) {
                        ws.copyTo((int) plan.imageGradAt(), pad.gradient, 0, pad.imageLength);
                    }
                    pad.finish(b);
                });
        if (dw != null) {
            float[] dwTap = new float[(int) plan.weights()];
            ws.copyTo((int) plan.weightGradAt(), dwTap, 0, dwTap.length);
            StridedKernels.tapMajorToOihw(dwTap, k, cg, s.kernelH(), s.kernelW(), dw);
        }
    }

    // ------------------------------------------------------------------------------------------- gathered

    private static void forwardGathered(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, float[] bias,
                                        float[] y) {
        int k = s.outChannels();
        int kg = s.outChannelsPerGroup();
        int r = (int) s.patchSize();
        forEachBand(s, 1, plan.rows(), b -> {
            pad.start(b);
            int q = b.q();
            for (int g = 0; g < s.groups(); g++) {
                gather(pad.image, pad.groupWindows(b, g), ws, (int) plan.columnsAt(), (long) r * q);
                // Y_g (Kg, q) = W_g (Kg, Cg*kH*kW) * col (Cg*kH*kW, q)
                Gemm.sgemm(false, false, kg, q, r, 1f,
                        ws, plan.weightAt() + (long) g * kg * r, r, ws, plan.columnsAt(), q,
                        0f, ws, plan.bandAt() + (long) g * kg * q, q);
            }
            b.copyOut(s, ws, plan.bandAt(), y, bias);
        });
    }

    /**
     * The gathered backward pass ({@link #backwardLoop}; class comment): per group, the band's windows gathered
     * into {@code col (Cg*kH*kW, q)}, {@code dCol = W_g^T dY_g} scattered back through the same view.
     */
    private static void backwardGathered(ConvShape s, BandPlan plan, NativeFloats ws, Padded pad, float[] dy,
                                         float[] dx, float[] dw) {
        int kg = s.outChannelsPerGroup();
        int r = (int) s.patchSize();
        backwardLoop(s, 1, plan.rows(), dw != null, dx != null,
                b -> {
                    pad.start(b);
                    b.copyIn(s, dy, ws, plan.bandAt());
                },
                (b, g) -> {
                    gather(pad.image, pad.groupWindows(b, g), ws, (int) plan.columnsAt(), (long) r * b.q());
                    Gemm.sgemm(false, true, kg, r, b.q(), 1f,
                            ws, plan.bandAt() + (long) g * kg * b.q(), b.q(), ws, plan.columnsAt(), b.q(),
                            b.first() ? 0f : 1f, ws, plan.weightGradAt() + (long) g * kg * r, r);
                },
                (b, g) -> {
                    Gemm.sgemm(true, false, r, b.q(), kg, 1f,
                            ws, plan.weightAt() + (long) g * kg * r, r, ws, plan.bandAt() + (long) g * kg * b.q(), b.q(),
                            0f, ws, plan.columnsGradAt(), b.q());
                    scatter(ws, (int) plan.columnsGradAt(), b.q(), pad.groupWindows(b, g), pad.gradient, (long) r * b.q());
                },
                pad::finish);
        if (dw != null) {
            ws.copyTo((int) plan.weightGradAt(), dw, 0, dw.length);
        }
    }

    /**
     * The gathered backward pass on the Java heap ({@link #heapWeightProduct}, {@link #heapInputProduct}), for thin
     * convolutions, in bands of {@link #heapBandRows} rows. Touches window elements only, as the gathered path.
     */
    private static void backwardOnHeap(ConvShape s, Tensor4D input, Tensor4D weight, float[] dy, float[] dx,
                                       float[] dw) {
        Padded pad = new Padded(s, false, input, dx);
        int length = (int) s.patchSize() * heapBandRows(s) * s.outW();
        float[] col = dw == null ? null : new float[length];
        float[] dCol = dx == null ? null : new float[length];
        double[] dwSum = dw == null ? null : new double[dw.length];
        backwardLoop(s, 1, heapBandRows(s), dw != null, dx != null, pad::start,
                (b, g) -> {
                    StridedKernels.gatherWindows(pad.image, pad.groupWindows(b, g), FloatBuffer.wrap(col), 0);
                    heapWeightProduct(s, b, g, dy, new Matrix(col, 0, b.q()), dwSum);
                },
                (b, g) -> {
                    heapInputProduct(s, b, g, weight.data(), dy, new Matrix(dCol, 0, b.q()));
                    StridedKernels.scatterAddWindows(dCol, 0, pad.groupWindows(b, g), pad.gradient);
                },
                pad::finish);
        store(dwSum, dw);
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
        Parallel.forEach((int) view.shape()[0], floats, c -> {
            float[] row = new float[q];
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    ws.copyTo(at + ((c * kh + i) * kw + j) * q, row, 0, q);
                    StridedKernels.scatterAddTap(row, 0, view, c, i, j, dst);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------- padding

    /**
     * One padded image on the Java heap, reloaded per image, its padding (and fill) zero: either plain
     * {@code xpad (C, Hp, Wp)} (gathered path, {@code phases = false}) or the phase layout of
     * {@link WindowView#tapMatrix} (zero-copy path; the same thing at stride 1); and, for a backward pass that
     * wants {@code dx}, the padded gradient {@code dXpad} in the same layout.
     */
    private static final class Padded {
        final ConvShape s;
        final int sh;
        final int sw;
        /** Rows and columns of one plane: {@code Hq, Wq} in the phase layout, {@code Hp, Wp} otherwise. */
        final int hp;
        final int wp;
        /** Floats of one plane, the leading dimension of a tap matrix. */
        final int plane;
        final int imageLength;
        /** The padded image ({@code null} when there is no input to load). */
        final float[] image;
        /** The padded input gradient ({@code null} when {@code dx} is not wanted). */
        final float[] gradient;
        private final Tensor4D input;
        private final float[] dx;

        /** Images are loaded from {@code input} unless it is {@code null}; gradients go to {@code dx} unless it is. */
        Padded(ConvShape s, boolean phases, Tensor4D input, float[] dx) {
            this.s = s;
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
            this.input = input;
            this.dx = dx;
            this.image = input == null ? null : new float[imageLength];
            this.gradient = dx == null ? null : new float[imageLength];
        }

        /** At an image's first band: the image into the interior of {@link #image}, {@link #gradient} cleared. */
        void start(Band b) {
            if (input != null && b.oh0() == 0) {
                StridedKernels.padIntoPhases(input.data(), s.inputIndex(b.n0(), 0, 0, 0), s.inChannels(), s.inH(),
                        s.inW(), image, hp, wp, sh, sw, s.params().padTop(), s.params().padLeft());
            }
            if (gradient != null && b.oh0() == 0) {
                Arrays.fill(gradient, 0f);
            }
        }

        /** After the last band of an image: the input positions of {@link #gradient} into the image in {@code dx}. */
        void finish(Band b) {
            if (dx != null && b.oh1() == s.outH()) {
                StridedKernels.cropFromPhases(gradient, hp, wp, sh, sw, s.params().padTop(), s.params().padLeft(),
                        dx, s.inputIndex(b.n0(), 0, 0, 0), s.inChannels(), s.inH(), s.inW());
            }
        }

        /** Group {@code g}'s windows of the band's output rows (the plain layout). */
        WindowView groupWindows(Band b, int g) {
            return WindowView.groupWindows(s, g).slice(1, b.oh0(), b.oh1() - b.oh0());
        }
    }
}
