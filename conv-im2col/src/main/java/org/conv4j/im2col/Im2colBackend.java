package org.conv4j.im2col;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.spi.CostModel;
import org.conv4j.spi.CostProfile;
import org.conv4j.openblas.AbstractGemmBackend;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.GemmTuning;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.openblas.OpenBlasSetup;
import org.conv4j.openblas.Parallel;
import org.conv4j.api.Workspace;


/**
 * The {@code im2col} backend: each image's receptive fields are copied into a column matrix
 * ({@link Im2col}), and one OpenBLAS GEMM per group multiplies the filters with it.
 *
 * <p><b>Forward</b>, for image {@code n} and group {@code g} ({@code Kg = K/groups}, {@code P = Cg*kH*kW},
 * {@code Q = outH*outW}):
 * <pre>
 *   Y[n, g] (Kg x Q) = W[g] (Kg x P) * cols[n, g] (P x Q)      then + bias[k] on each row
 * </pre>
 * {@code W[g]} is the weight tensor's rows {@code g*Kg ..} as stored (OIHW rows are exactly the flattened
 * filters), and {@code Y[n, g]} is laid out like the output's channels {@code g*Kg ..} of image {@code n}
 * (NCHW rows of length {@code Q}), so no reshaping is needed on either side.
 *
 * <p><b>Backward</b>, with {@code dY[n, g]} the matching rows of {@code dL/dy}:
 * <pre>
 *   dW[g]  = sum_n dY[n, g] * cols[n, g]^T                      (Kg x P)
 *   dX[n]  = col2im( W[g]^T * dY[n, g] )                        (col2im adds each column entry back)
 *   db[k]  = sum_{n, oh, ow} dY[n, k, oh, ow]
 * </pre>
 * because {@code y = W cols} is linear in both factors: {@code dL/dW = dL/dY cols^T}, {@code dL/dcols =
 * W^T dL/dY}, and {@code cols} is a copy of input elements (each column entry one input element or a zero),
 * so {@code dL/dx} of an input element is the sum of {@code dL/dcols} over every entry copied from it:
 * col2im, the transpose of im2col. See docs/im2col.md.
 *
 * <p><b>1x1 kernels with stride 1 and no padding</b> skip im2col: the image's {@code C x H*W} rows already
 * are the column matrix; they are copied to native memory as they are (and col2im is a plain copy back).
 *
 * <p><b>Small and thin convolutions</b> (fewer than {@link Im2colTuning#SMALL_MACS} multiply-adds, or fewer than
 * {@link GemmTuning#THIN_GEMM} per output position) multiply the same column matrix in Java on the heap, forward
 * ({@link Gemm#thinSgemmNN}) and backward ({@link #backwardOnHeap}): for them the native round trip costs more than
 * the arithmetic, and OpenBLAS's threads only add waiting.
 *
 * <p><b>Memory.</b> The column matrices, the weights and the GEMM outputs live in one off-heap workspace
 * of at most {@link #workspaceBytes()} per call ({@link Workspace}; default 256 MiB), reused across calls
 * through a pool (each concurrent call gets its own), and within what the process-wide budget grants
 * ({@link org.conv4j.spi.WorkspaceBudget}). The batch is processed in units of whole images
 * that fit, side by side in one matrix (one GEMM per group per unit); an image too large for the
 * workspace is processed in bands of output rows ({@link WorkPlan}).
 *
 * <p><b>Threads.</b> Each GEMM runs on OpenBLAS's threads (all cores). im2col, col2im and the copies in
 * and out run in parallel over (image, channel) pairs on the common fork-join pool, so both phases use
 * every core ({@link OpenBlasSetup} makes idle OpenBLAS threads sleep instead of spinning on those cores).
 * Results do not depend on the thread count or on concurrent callers (fixed summation orders).
 *
 * <p><b>3D</b> ({@link Conv3dBackend}): the same scheme one axis up, vol2col and the same per-group GEMMs on the
 * same workspace and plan, in units of whole volumes or of output rows {@code (od, oh)} ({@link Vol2colPasses});
 * a 1x1x1 kernel with stride 1 and no padding lowers nothing. Its estimates are the {@link CostProfile} models
 * {@value #FORWARD_3D_MODEL} and {@value #BACKWARD_3D_MODEL} ({@link org.conv4j.spi.CostModel#nanos(Conv3dShape,
 * ConvPass)}). It declines ({@link #supports3d}) a geometry whose smallest unit a Java buffer cannot index.
 *
 * <p><b>Accuracy</b>: float32 GEMM, within 1e-5 of the naive double-accumulating reference relative to
 * the largest reference value in the conformance kit. Thread-safe.
 */
public final class Im2colBackend extends AbstractGemmBackend implements Conv3dBackend {

    /** The name this backend registers under. */
    public static final String NAME = "im2col";

    /** The {@link CostProfile} model of the 3D forward pass (inherits what it does not give from {@code im2col}). */
    public static final String FORWARD_3D_MODEL = NAME + ".forward3d";

    /** The {@link CostProfile} model of the 3D backward pass (inherits what it does not give from {@code im2col}). */
    public static final String BACKWARD_3D_MODEL = NAME + ".backward3d";

    private final long smallMacs;
    private final long thinGemm;

    /** A backend with the default workspace limit ({@link Workspace#defaultLimitBytes()}). */
    public Im2colBackend() {
        this(Workspace.defaultLimitBytes());
    }

    /**
     * A backend whose calls use at most {@code workspaceBytes} of workspace each.
     *
     * @param workspaceBytes the limit in bytes
     * @throws IllegalArgumentException if the limit is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    public Im2colBackend(long workspaceBytes) {
        this(workspaceBytes, Im2colTuning.SMALL_MACS);
    }

    /** For tests and probes: {@code smallMacs = 0} sends every pass, forward and backward, through OpenBLAS. */
    Im2colBackend(long workspaceBytes, long smallMacs) {
        super(NAME, workspaceBytes);
        this.smallMacs = smallMacs;
        this.thinGemm = smallMacs == 0 ? 0 : GemmTuning.THIN_GEMM;
    }

    @Override
    protected void gradients(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput, float[] dx,
                             float[] dw) {
        if (useJavaGemm(s)) {
            backwardOnHeap(s, WorkPlan.of(s, workspaceBytes(), true), input, weight, gradOutput.data(), dx, dw);
            return;
        }
        withWorkspace(limit -> WorkPlan.of(s, limit, true), WorkPlan::capacity,
                (plan, buf) -> backward(s, plan, buf, input, weight, gradOutput.data(), dx, dw));
    }

    // ------------------------------------------------------------------------------------------ 3D

    /** Every geometry whose smallest unit (one output row, the weight and its gradient) a buffer can index. */
    @Override
    public boolean supports3d(Conv3dShape shape, ConvPass pass) {
        return WorkPlan.fits(shape, pass != ConvPass.FORWARD);
    }

    @Override
    public double estimate3dNanos(Conv3dShape shape, ConvPass pass) {
        boolean forward = pass == ConvPass.FORWARD;
        return CostProfile.current().model(forward ? FORWARD_3D_MODEL : BACKWARD_3D_MODEL).nanos(shape,
                forward ? ConvPass.FORWARD : ConvPass.BACKWARD);
    }

    @Override
    public Tensor5D forward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias) {
        Tensor5D output = s.newOutput();
        withWorkspace(limit -> WorkPlan.of(s, limit, false), WorkPlan::capacity, (plan, buf) ->
                Vol2colPasses.forward(s, plan, buf, input.data(), weight.data(), bias, output.data()));
        return output;
    }

    @Override
    public Conv3dGradients backward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        Tensor5D dx = s.newInput();
        Tensor5D dw = s.newWeight();
        withWorkspace(limit -> WorkPlan.of(s, limit, true), WorkPlan::capacity, (plan, buf) ->
                Vol2colPasses.backward(s, plan, buf, input.data(), weight.data(), gradOutput.data(), dx.data(),
                        dw.data()));
        return new Conv3dGradients(dx, dw, biasGradient(s, gradOutput));
    }

    /**
     * {@code dL/dx} alone: per unit, {@code dL/dy} copied in, the column gradient {@code W^T * dY} and col2vol, with
     * neither the vol2col of the input nor the weight-gradient GEMM of {@link #backward3d} (half its GEMM work).
     */
    @Override
    public Tensor5D inputGradient3d(Conv3dShape s, Tensor5D weight, Tensor5D gradOutput) {
        Tensor5D dx = s.newInput();
        withWorkspace(limit -> WorkPlan.of(s, limit, true), WorkPlan::capacity, (plan, buf) ->
                Vol2colPasses.backward(s, plan, buf, null, weight.data(), gradOutput.data(), dx.data(), null));
        return dx;
    }

    /**
     * {@code dL/dw} alone: per unit, {@code dL/dy} copied in, vol2col of the input and {@code dY * cols^T}, with
     * neither the column-gradient GEMM nor the col2vol of {@link #backward3d}, and no bias sums.
     */
    @Override
    public Tensor5D weightGradient3d(Conv3dShape s, Tensor5D input, Tensor5D gradOutput) {
        Tensor5D dw = s.newWeight();
        withWorkspace(limit -> WorkPlan.of(s, limit, true), WorkPlan::capacity, (plan, buf) ->
                Vol2colPasses.backward(s, plan, buf, input.data(), null, gradOutput.data(), null, dw.data()));
        return dw;
    }

    // ------------------------------------------------------------------------------------------ forward

    /**
     * A pointwise layer (1x1 kernel, stride 1, no padding, one group) on native input and output of one layout, in
     * the platform's byte order, runs on the caller's memory: its column matrix is the input itself, so the pass is
     * GEMMs with no lowering and no copy ({@link #forwardPointwiseInPlace}).
     */
    @Override
    protected boolean forwardsInPlace(ConvShape s, Tensor4D input, Tensor4D output) {
        if (!isPointwise(s) || !input.isNative() || !output.isNative() || input.layout() != output.layout()) {
            return false;
        }
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            return in.buffer().order() == ByteOrder.nativeOrder() && out.buffer().order() == ByteOrder.nativeOrder();
        }
    }

    /** The heap path copies the input into native memory (it is the column matrix) and the output back. */
    @Override
    protected double inPlaceSavingsNanos(ConvShape s, MemoryLayout layout) {
        return stagingNanos(s, false);
    }

    /**
     * A 1x1 kernel, stride 1, no padding ({@link CostModel#isIdentityLowering(ConvShape)}), one group: each output
     * pixel is {@code W (K x C)} times its input pixel.
     */
    private static boolean isPointwise(ConvShape s) {
        return CostModel.isIdentityLowering(s) && s.groups() == 1;
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        if (input.isNative()) {
            return forwardPointwiseInPlace(s, input, weight, bias, output);
        }
        if (useJavaGemm(s)) {
            forwardOnHeap(s, WorkPlan.of(s, workspaceBytes(), false), input.data(), weight.data(), bias, output.data());
            return output;
        }
        withWorkspace(limit -> WorkPlan.of(s, limit, false), WorkPlan::capacity, (plan, buf) -> {
            Layout l = new Layout(s, plan);
            buf.copyFrom(weight.data(), 0, 0, weight.size());
            forEachBand(s, plan.images(), plan.rows(), u -> {
                fillColumns(s, l, input.data(), buf, u);
                for (int g = 0; g < s.groups(); g++) { // Y[g] (Kg x L) = W[g] (Kg x P) * cols[g] (P x L)
                    l.forwardProduct(buf, u, g);
                }
                u.copyOut(s, buf, l.outRow(u, 0), output.data(), bias);
            });
        });
        return output;
    }

    /**
     * A pointwise layer on the caller's native memory ({@link #forwardsInPlace}): in NHWC the batch's pixels are the
     * rows of one matrix, {@code Y (N*H*W x K) = X (N*H*W x C) * W^T}, one GEMM; in NCHW each image is
     * {@code Y_n (K x H*W) = W (K x C) * X_n (C x H*W)}. The output is filled with the bias first and the product
     * added to it ({@code beta = 1}); without a bias {@code beta = 0} ignores its old contents. Only the weight is
     * copied, into the pooled workspace. Input and output stay pinned for the call.
     */
    private Tensor4D forwardPointwiseInPlace(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias,
                                             Tensor4D output) {
        int k = s.outChannels();
        int c = s.inChannels();
        int plane = s.outH() * s.outW();
        boolean nhwc = input.layout() == MemoryLayout.NHWC;
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            NativeFloats x = NativeFloats.wrap(in.buffer());
            NativeFloats y = NativeFloats.wrap(out.buffer());
            if (bias != null) {
                fillBias(out.buffer(), bias, s.batch(), plane, nhwc);
            }
            float beta = bias != null ? 1f : 0f;
            withWorkspace(limit -> k * c, floats -> (long) floats, (floats, w) -> {
                w.copyFrom(weight.data(), 0, 0, k * c);
                if (nhwc) {
                    Gemm.sgemm(false, true, s.batch() * plane, k, c, 1f, x, 0, c, w, 0, c, beta, y, 0, k);
                } else {
                    for (int n = 0; n < s.batch(); n++) {
                        Gemm.sgemm(false, false, k, plane, c, 1f, w, 0, c, x, (long) n * c * plane, plane,
                                beta, y, (long) n * k * plane, plane);
                    }
                }
            });
        }
        return output;
    }

    /** Writes {@code bias[k]} into every output element of channel {@code k}, in NHWC or NCHW order. */
    private static void fillBias(FloatBuffer out, float[] bias, int batch, int plane, boolean nhwc) {
        int k = bias.length;
        if (nhwc) {
            for (int p = 0; p < batch * plane; p++) {
                out.put(p * k, bias, 0, k);
            }
            return;
        }
        float[] row = new float[plane];
        for (int ch = 0; ch < k; ch++) {
            java.util.Arrays.fill(row, bias[ch]);
            for (int n = 0; n < batch; n++) {
                out.put((n * k + ch) * plane, row, 0, plane);
            }
        }
    }

    /**
     * The forward pass on the heap, with {@link Gemm#thinSgemmNN} instead of OpenBLAS, one image at a time in
     * the bands of {@code plan} (so the column matrix stays within the workspace limit here too).
     */
    private static void forwardOnHeap(ConvShape s, WorkPlan plan, float[] x, float[] w, float[] bias, float[] y) {
        int patch = (int) s.patchSize();
        int kg = s.outChannelsPerGroup();
        Im2col.Geometry geometry = Im2col.Geometry.of(s);
        float[] cols = plan.identity() ? null : new float[patch * s.groups() * plan.rows() * s.outW()];
        forEachBand(s, 1, plan.rows(), b -> {
            for (int g = 0; g < s.groups(); g++) {
                fillHeapColumns(s, geometry, x, cols, b, g);
                Matrix m = heapMatrix(s, plan.identity(), x, cols, b, g);
                int yAt = s.outputIndex(b.n0(), g * kg, b.oh0(), 0);
                Gemm.thinSgemmNN(w, g * kg * patch, kg, patch, m.data(), m.offset(), m.ld(), b.q(), y, yAt,
                        s.outPlane());
                for (int k = 0; bias != null && k < kg; k++) {
                    for (int e = yAt + k * s.outPlane(); e < yAt + k * s.outPlane() + b.q(); e++) {
                        y[e] += bias[g * kg + k];
                    }
                }
            }
        });
    }

    /**
     * True if the GEMMs of {@code s}, forward and backward, are better done in Java ({@link Gemm#thinSgemmNN},
     * {@link Gemm#thinSgemmNT}, {@link Gemm#thinSgemmTN}; see {@link Im2colTuning#SMALL_MACS} and {@link GemmTuning#THIN_GEMM}). The
     * backward pass's products have the same sizes as the forward's ({@code Kg x P} by {@code P x Q} and
     * its transposes), so one rule serves both.
     */
    private boolean useJavaGemm(ConvShape s) {
        return s.macs() < smallMacs || (long) s.outChannelsPerGroup() * s.patchSize() < thinGemm;
    }

    // ------------------------------------------------------------------------------------------ backward

    /**
     * The backward pass on the workspace ({@link #backwardLoop}) per unit: {@code dY} laid out like the forward's
     * GEMM outputs, the column matrix if {@code dW} is wanted, {@code dcols[g]} over {@code cols[g]}, then col2im.
     */
    private static void backward(ConvShape s, WorkPlan plan, NativeFloats buf, Tensor4D input, Tensor4D weight,
                                 float[] dy, float[] dx, float[] dw) {
        Layout l = new Layout(s, plan);
        if (dx != null) {
            buf.copyFrom(weight.data(), 0, 0, weight.size());
        }
        backwardLoop(s, plan.images(), plan.rows(), dw != null, dx != null,
                u -> {
                    u.copyIn(s, dy, buf, l.outRow(u, 0));
                    if (dw != null) {
                        fillColumns(s, l, input.data(), buf, u);
                    }
                },
                (u, g) -> l.weightGradientProduct(buf, u, g),
                (u, g) -> l.columnGradientProduct(buf, u, g),
                u -> {
                    if (dx != null) {
                        addColumnsBack(s, l, buf, dx, u);
                    }
                });
        if (dw != null) {
            buf.copyTo((int) l.weightGradient(0), dw, 0, dw.length);
        }
    }

    /**
     * The backward pass on the heap ({@link #heapWeightProduct}, {@link #heapInputProduct}) for the shapes of
     * {@link #useJavaGemm}, in bands of {@link #heapBandRows} rows, over {@link #heapMatrix}. With the identity
     * layout {@code dcols} goes straight into {@code dx}'s rows (one column entry per input element).
     */
    private static void backwardOnHeap(ConvShape s, WorkPlan plan, Tensor4D input, Tensor4D weight, float[] dy,
                                       float[] dx, float[] dw) {
        Im2col.Geometry geometry = Im2col.Geometry.of(s);
        int taps = s.kernelH() * s.kernelW();
        int columns = s.inChannels() * taps * heapBandRows(s, plan) * s.outW();
        float[] cols = plan.identity() || dw == null ? null : new float[columns];
        float[] dcols = plan.identity() || dx == null ? null : new float[columns];
        double[] dwSum = dw == null ? null : new double[dw.length];
        backwardLoop(s, 1, heapBandRows(s, plan), dw != null, dx != null, b -> { },
                (b, g) -> {
                    fillHeapColumns(s, geometry, input.data(), cols, b, g);
                    heapWeightProduct(s, b, g, dy, heapMatrix(s, plan.identity(), input.data(), cols, b, g), dwSum);
                },
                (b, g) -> {
                    heapInputProduct(s, b, g, weight.data(), dy, heapMatrix(s, plan.identity(), dx, dcols, b, g));
                    int patch = (int) s.patchSize();
                    for (int r = g * patch; !plan.identity() && r < (g + 1) * patch; r++) { // row r: channel r/taps
                        Im2col.col2imRow(dcols, r * b.q(), r % taps / s.kernelW(), r % s.kernelW(), geometry, b.oh0(),
                                b.oh1(), dx, s.inputIndex(b.n0(), r / taps, 0, 0), s.inH(), s.inW());
                    }
                },
                b -> { });
        store(dwSum, dw);
    }

    /**
     * Group {@code g}'s heap column matrix of band {@code b}: rows {@code g*P ..} of {@code cols} ({@code C*kH*kW}
     * rows of {@code q}), or with the identity layout the image's channels {@code g*Cg ..} in {@code tensor}.
     */
    private static Matrix heapMatrix(ConvShape s, boolean identity, float[] tensor, float[] cols, Band b, int g) {
        return identity ? new Matrix(tensor, s.inputIndex(b.n0(), g * s.inChannelsPerGroup(), b.oh0(), 0), s.inPlane())
                : new Matrix(cols, g * (int) s.patchSize() * b.q(), b.q());
    }

    /** im2col of group {@code g}'s channels of band {@code b} into {@code cols} (none if it is null: identity). */
    private static void fillHeapColumns(ConvShape s, Im2col.Geometry geometry, float[] x, float[] cols, Band b, int g) {
        int taps = s.kernelH() * s.kernelW();
        java.nio.FloatBuffer view = cols == null ? null : java.nio.FloatBuffer.wrap(cols);
        for (int r = g * (int) s.patchSize(); view != null && r < (g + 1) * s.patchSize(); r++) { // row r: channel r/taps
            Im2col.im2colRow(x, s.inputIndex(b.n0(), r / taps, 0, 0), s.inH(), s.inW(), r % taps / s.kernelW(),
                    r % s.kernelW(), geometry, b.oh0(), b.oh1(), view, r * b.q());
        }
    }

    /**
     * Output rows per band of {@link #backwardOnHeap}: as many as keep a band's column matrix within
     * {@link GemmTuning#HEAP_BAND_FLOATS} (at least one row, at most the workspace plan's band), so that the column
     * matrix and its gradient stay in the core's cache between im2col, the two products and col2im.
     */
    static int heapBandRows(ConvShape s, WorkPlan plan) {
        long perRow = s.inChannels() * (long) s.kernelH() * s.kernelW() * s.outW();
        return (int) Math.max(1, Math.min(plan.rows(), GemmTuning.HEAP_BAND_FLOATS / perRow));
    }

    // ------------------------------------------------------------------------------------------ im2col / col2im

    /**
     * Work on one input channel of one image of a unit: {@code plane} is the offset of its {@code H x W} plane
     * in the input (and in {@code dx}), {@code first} the workspace offset of its first column-matrix row (its
     * {@code kH*kW} rows follow at a distance of {@code u.width()}, at column {@code b*q} for image {@code b}).
     */
    private interface ChannelTask {
        void run(int plane, long first);
    }

    /**
     * Runs {@code task} for every (image, input channel) of the unit, in parallel when there is enough work.
     * The tasks own disjoint input planes and column-matrix rows, so no two write the same element.
     */
    private static void forEachChannel(ConvShape s, Layout l, Band u, ChannelTask task) {
        int taps = s.kernelH() * s.kernelW();
        int channels = s.inChannels();
        Parallel.forEach(u.images() * channels, (long) channels * taps * u.width(), t -> {
            int b = t / channels;
            int c = t % channels;
            task.run(((u.n0() + b) * channels + c) * s.inPlane(), l.colsRow(u, c * taps) + (long) b * u.q());
        });
    }

    /** Fills the unit's column matrix (rows: channels and taps; columns: the images side by side). */
    private static void fillColumns(ConvShape s, Layout l, float[] x, NativeFloats buf, Band u) {
        forEachChannel(s, l, u, (plane, first) -> {
            if (l.identity) {
                // 1x1, stride 1, no padding: output (oh, ow) reads input (oh, ow), the band is a slice of the plane
                buf.copyFrom(x, plane + u.oh0() * s.inW(), (int) first, u.q());
                return;
            }
            for (int t = 0; t < s.kernelH() * s.kernelW(); t++) {
                Im2col.im2colRow(x, plane, s.inH(), s.inW(), t / s.kernelW(), t % s.kernelW(), l.geometry,
                        u.oh0(), u.oh1(), buf.buffer(), (int) (first + (long) t * u.width()));
            }
        });
    }

    /** Adds the unit's column-matrix gradients back into {@code dx} (col2im). */
    private static void addColumnsBack(ConvShape s, Layout l, NativeFloats buf, float[] dx, Band u) {
        boolean sameWidth = Im2col.sameWidth(s);
        forEachChannel(s, l, u, (plane, first) -> {
            if (l.identity) {
                buf.copyTo((int) first, dx, plane + u.oh0() * s.inW(), u.q()); // one entry per input element
                return;
            }
            if (sameWidth) {
                addColumnsBackShifted(s, l, buf, first, u, dx, plane);
                return;
            }
            float[] row = new float[u.q()];
            for (int t = 0; t < s.kernelH() * s.kernelW(); t++) {
                buf.copyTo((int) (first + (long) t * u.width()), row, 0, u.q());
                Im2col.col2imRow(row, 0, t / s.kernelW(), t % s.kernelW(), l.geometry, u.oh0(), u.oh1(), dx, plane,
                        s.inH(), s.inW());
            }
        });
    }

    /**
     * col2im of one channel of one image for same-width geometries ({@link Im2col#sameWidth}): each tap's
     * row is copied from the workspace straight to its shifted place and added with one vectorised loop
     * (see {@link Im2col#shiftedRun}); the channel's sum then goes into {@code dx}.
     */
    private static void addColumnsBackShifted(ConvShape s, Layout l, NativeFloats buf, long first, Band u,
                                              float[] dx, int plane) {
        int[] rows = Im2col.bandInputRows(l.geometry, u.oh0(), u.oh1(), s.kernelH(), s.inH());
        int length = (rows[1] - rows[0]) * s.inW();
        if (length == 0) {
            return; // the band reads padding only
        }
        float[] shifted = new float[length];
        float[] acc = new float[length];
        for (int i = 0; i < s.kernelH(); i++) {
            for (int j = 0; j < s.kernelW(); j++) {
                Im2col.ShiftedRun run = Im2col.shiftedRun(i, j, l.geometry, u.oh0(), u.oh1(), s.inH(), s.inW(),
                        rows[0]);
                if (run == null) {
                    continue;
                }
                long row = first + (long) (i * s.kernelW() + j) * u.width();
                buf.copyTo((int) (row + run.qStart()), shifted, run.qStart() + run.delta(), run.length());
                Im2col.addShiftedRun(shifted, run, acc);
            }
        }
        Im2col.addRowsToPlane(acc, rows[0], rows[1] - rows[0], dx, plane, s.inW());
    }

    /** The workspace regions of a call ({@link Regions}) with the 2D geometry the lowering kernels need. */
    private static final class Layout extends Regions {
        final Im2col.Geometry geometry;

        Layout(ConvShape s, WorkPlan plan) {
            super(s.outChannelsPerGroup(), (int) s.patchSize(), plan);
            this.geometry = Im2col.Geometry.of(s);
        }
    }
}
