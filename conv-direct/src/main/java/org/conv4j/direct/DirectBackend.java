package org.conv4j.direct;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.CostProfile;

/**
 * The {@code direct} backend: the convolution sums computed in place, in plain Java loops that HotSpot's
 * C2 compiler vectorises, with no intermediate matrices. It runs every shape; it is fastest where a GEMM
 * has little to multiply: depthwise and small-group layers, one or few input channels, tiny images
 * (docs/direct.md has the loop orders and the measurements).
 *
 * <p>Layouts: NCHW input and output, OIHW weights, as {@link Tensor4D} defines them. Passes:
 * <ul>
 *   <li><b>forward</b>: each output row of each plane {@code (n, k)} by {@link CorrelationKernels#rows}
 *       (vectorised runs over copied taps for interior rows, scalar tap passes for the rest), in parallel
 *       over planes and bands of rows; outputs narrower than {@link DirectTuning#NARROW_OUTPUT_WIDTH} with
 *       windows of at least {@link DirectTuning#NARROW_MIN_TAPS} taps by the scalar {@link PatchKernels}
 *       instead (also for the gradients);</li>
 *   <li><b>dL/dx</b>: at stride 1, the same correlation of the {@code dL/dy} planes with the flipped
 *       weights ({@code dx[ih, iw] = sum_{k, i, j} w[k, c, i, j] * dy[ih + padTop - i*dh, iw + padLeft - j*dw]},
 *       taps outside {@code dL/dy} absent), in parallel over {@code (n, c)} planes and row bands; at a larger
 *       stride, a scatter of each {@code dL/dy} plane into the input plane, in parallel over {@code (n, c)};</li>
 *   <li><b>dL/dw</b>: per {@code (k, c)} pair, every tap's sum over the batch in a fixed order, in parallel
 *       over pairs; the result never depends on the number of threads;</li>
 *   <li><b>dL/db</b>: {@link AbstractConvBackend#biasGradient}.</li>
 * </ul>
 * Padding is a real zero ({@link PlaneGeometry}). Stateless apart from per-thread scratch, thread-safe.
 * Sums are accumulated in float (dL/dw: in float lanes summed in double); they agree with the reference
 * within the conformance kit's default tolerance.
 */
public final class DirectBackend extends AbstractConvBackend {

    /** The backend ({@link java.util.ServiceLoader} creates it through this constructor). */
    public DirectBackend() {
    }

    @Override
    public String name() {
        return "direct";
    }

    /**
     * The {@link CostProfile} model of the call, whose time is the estimate: {@code direct.} + the path
     * ({@code forward}, {@code backward}, {@code narrowForward}, {@code narrowBackward}) + {@code Strided} for
     * strides above 1, whose taps are gathered and whose dL/dx is scattered by scalar code.
     */
    @Override
    public String costModel(ConvShape shape, ConvPass pass) {
        return MODEL_NAMES[path(shape, pass)];
    }

    /** The index of the path into {@link #MODEL_NAMES}: narrow, backward and strided as bits 2, 1 and 0. */
    private static int path(ConvShape shape, ConvPass pass) {
        return (narrow(shape) ? 4 : 0) + (pass == ConvPass.FORWARD ? 0 : 2) + (shape.params().isStrided() ? 1 : 0);
    }

    /** The {@link CostProfile} model of every path ({@link #path}). */
    private static final String[] MODEL_NAMES = {"direct.forward", "direct.forwardStrided", "direct.backward",
        "direct.backwardStrided", "direct.narrowForward", "direct.narrowForwardStrided", "direct.narrowBackward",
        "direct.narrowBackwardStrided"};

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        PlaneGeometry g = forwardGeometry(s);
        if (narrow(s)) {
            return narrowForward(s, g, input.data(), weight.data(), bias, output);
        }
        float[] x = input.data();
        float[] w = weight.data();
        float[] y = output.data();
        int filters = s.outChannels();
        int filtersPerGroup = s.outChannelsPerGroup();
        int channelsPerGroup = s.inChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        int inPlane = s.inPlane();
        int outPlane = s.outPlane();
        forEachRowBand(s.batch() * filters, s.outH(), s.macs(), (plane, rowFrom, rowTo) -> {
            int n = plane / filters;
            int k = plane - n * filters;
            int xBase = (n * s.inChannels() + (k / filtersPerGroup) * channelsPerGroup) * inPlane;
            float b = bias == null ? 0f : bias[k];
            CorrelationKernels.rows(g, x, xBase, inPlane, channelsPerGroup, w, k * channelsPerGroup * taps,
                    b, y, plane * outPlane, rowFrom, rowTo);
        });
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        float[] db = biasGradient(s, gradOutput);
        if (narrow(s)) {
            Tensor4D dx = s.newInput();
            Tensor4D dw = s.newWeight();
            narrowBackward(s, forwardGeometry(s), input.data(), weight.data(), gradOutput.data(), dx.data(), dw.data());
            return new ConvGradients(dx, dw, db);
        }
        return new ConvGradients(inputGradient(s, weight, gradOutput), weightGradient(s, input, gradOutput, db), db);
    }

    /** dL/dx alone (the narrow path computes both gradients together, so it keeps the default). */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        if (narrow(s)) {
            return super.inputGradient(s, weight, gradOutput);
        }
        Tensor4D dx = s.newInput();
        if (!s.params().isStrided()) {
            inputGradientByCorrelation(s, weight.data(), gradOutput.data(), dx.data());
        } else {
            inputGradientByScatter(s, forwardGeometry(s), weight.data(), gradOutput.data(), dx.data());
        }
        return dx;
    }

    /** dL/dw alone. */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        if (narrow(s)) {
            return super.weightGradient(s, input, gradOutput);
        }
        return weightGradient(s, input, gradOutput, biasGradient(s, gradOutput));
    }

    /** dL/dw, given dL/db (a non-finite sum tells the kernels to take the careful path). */
    private static Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput, float[] db) {
        Tensor4D dw = s.newWeight();
        weightGradient(s, forwardGeometry(s), input.data(), gradOutput.data(), db, dw.data());
        return dw;
    }

    private static boolean narrow(ConvShape s) {
        return s.outW() < DirectTuning.NARROW_OUTPUT_WIDTH && s.patchSize() >= DirectTuning.NARROW_MIN_TAPS;
    }

    /** Narrow outputs: {@link PatchKernels#forward} per (image, group), in parallel over those. */
    private static Tensor4D narrowForward(ConvShape s, PlaneGeometry g, float[] x, float[] w, float[] bias,
                                          Tensor4D output) {
        int groups = s.groups();
        int filtersPerGroup = s.outChannelsPerGroup();
        int channelsPerGroup = s.inChannelsPerGroup();
        float[] y = output.data();
        PatchKernels.Tables tables = new PatchKernels.Tables(g, channelsPerGroup, s.inPlane());
        forEachRowBand(s.batch() * groups, 1, s.macs(), (task, unusedFrom, unusedTo) -> {
            int n = task / groups;
            int group = task - n * groups;
            int k0 = group * filtersPerGroup;
            Scratch scratch = Scratch.get();
            int xBase = (n * s.inChannels() + group * channelsPerGroup) * s.inPlane();
            PatchKernels.forward(g, tables, channelsPerGroup, s.inPlane(), x, xBase, w, k0, filtersPerGroup, bias,
                    y, (n * s.outChannels() + k0) * s.outPlane(),
                    scratch.row(Scratch.ACC, tables.size), scratch.row(Scratch.TAP, tables.size));
        });
        return output;
    }

    /**
     * Narrow outputs: dx by {@link PatchKernels#inputGradient} per (image, group), dw by
     * {@link PatchKernels#weightGradient} per group (the batch summed inside, in order), each in parallel.
     */
    private static void narrowBackward(ConvShape s, PlaneGeometry g, float[] x, float[] w, float[] dy, float[] dx,
                                       float[] dw) {
        int groups = s.groups();
        int filtersPerGroup = s.outChannelsPerGroup();
        int channelsPerGroup = s.inChannelsPerGroup();
        int size = (int) s.patchSize();
        PatchKernels.Tables tables = new PatchKernels.Tables(g, channelsPerGroup, s.inPlane());
        forEachRowBand(s.batch() * groups, 1, s.macs(), (task, unusedFrom, unusedTo) -> {
            int n = task / groups;
            int group = task - n * groups;
            int k0 = group * filtersPerGroup;
            int dxBase = (n * s.inChannels() + group * channelsPerGroup) * s.inPlane();
            PatchKernels.inputGradient(g, tables, channelsPerGroup, s.inPlane(), w, k0, filtersPerGroup,
                    dy, (n * s.outChannels() + k0) * s.outPlane(), dx, dxBase, Scratch.get().row(Scratch.ACC, size));
        });
        forEachRowBand(groups, 1, s.macs(), (group, unusedFrom, unusedTo) -> {
            int k0 = group * filtersPerGroup;
            Scratch scratch = Scratch.get();
            PatchKernels.weightGradient(g, tables, s.batch(), channelsPerGroup, s.inPlane(),
                    x, group * channelsPerGroup * s.inPlane(), s.inChannels() * s.inPlane(), k0, filtersPerGroup,
                    dy, k0 * s.outPlane(), s.outChannels() * s.outPlane(), dw,
                    scratch.row(Scratch.ACC, size), scratch.row(Scratch.DY, filtersPerGroup * size));
        });
    }

    private static PlaneGeometry forwardGeometry(ConvShape s) {
        ConvParams p = s.params();
        return new PlaneGeometry(s.inH(), s.inW(), s.outH(), s.outW(), s.kernelH(), s.kernelW(),
                p.strideH(), p.strideW(), p.dilationH(), p.dilationW(), p.padTop(), p.padLeft(), true);
    }

    /**
     * Stride 1: {@code dx[n, c]} is the correlation of the {@code Kg} planes {@code dy[n, group(c)]} with the
     * flipped weights, padded by {@code (kH-1)*dh - padTop} rows and {@code (kW-1)*dw - padLeft} columns
     * (negative = cropped), with taps outside {@code dL/dy} absent rather than zero.
     */
    private static void inputGradientByCorrelation(ConvShape s, float[] w, float[] dy, float[] dx) {
        ConvParams p = s.params();
        PlaneGeometry g = new PlaneGeometry(s.outH(), s.outW(), s.inH(), s.inW(), s.kernelH(), s.kernelW(), 1, 1,
                p.dilationH(), p.dilationW(), s.dilatedKernelH() - 1 - p.padTop(), s.dilatedKernelW() - 1 - p.padLeft(),
                false);
        int channels = s.inChannels();
        int channelsPerGroup = s.inChannelsPerGroup();
        int filtersPerGroup = s.outChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        int inPlane = s.inPlane();
        int outPlane = s.outPlane();
        float[] flipped = GradientKernels.flippedTransposed(w, s.outChannels(), channelsPerGroup, s.groups(),
                s.kernelH(), s.kernelW());
        forEachRowBand(s.batch() * channels, s.inH(), s.macs(), (plane, rowFrom, rowTo) -> {
            int n = plane / channels;
            int c = plane - n * channels;
            int dyBase = (n * s.outChannels() + (c / channelsPerGroup) * filtersPerGroup) * outPlane;
            CorrelationKernels.rows(g, dy, dyBase, outPlane, filtersPerGroup, flipped,
                    c * filtersPerGroup * taps, 0f, dx, plane * inPlane, rowFrom, rowTo);
        });
    }

    /** Any stride: each {@code (n, c)} plane of dx gathers the scatter of the filters of its group, in filter order. */
    private static void inputGradientByScatter(ConvShape s, PlaneGeometry g, float[] w, float[] dy, float[] dx) {
        int channels = s.inChannels();
        int channelsPerGroup = s.inChannelsPerGroup();
        int filtersPerGroup = s.outChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        forEachRowBand(s.batch() * channels, 1, s.macs(), (plane, unusedFrom, unusedTo) -> {
            int n = plane / channels;
            int c = plane - n * channels;
            int group = c / channelsPerGroup;
            int cc = c - group * channelsPerGroup;
            for (int kk = 0; kk < filtersPerGroup; kk++) {
                int k = group * filtersPerGroup + kk;
                GradientKernels.scatterFilter(g, dy, (n * s.outChannels() + k) * s.outPlane(), w,
                        (k * channelsPerGroup + cc) * taps, dx, plane * s.inPlane());
            }
        });
    }

    /** Each {@code (k, c)} pair's taps, summed over the batch in a fixed order. */
    private static void weightGradient(ConvShape s, PlaneGeometry g, float[] x, float[] dy, float[] db, float[] dw) {
        int channelsPerGroup = s.inChannelsPerGroup();
        int filtersPerGroup = s.outChannelsPerGroup();
        int taps = s.kernelH() * s.kernelW();
        boolean runs = !s.params().isStrided() && s.outW() <= s.inW();
        forEachRowBand(s.outChannels() * channelsPerGroup, 1, s.macs(), (pair, unusedFrom, unusedTo) -> {
            int k = pair / channelsPerGroup;
            int cc = pair - k * channelsPerGroup;
            int c = (k / filtersPerGroup) * channelsPerGroup + cc;
            if (runs) {
                GradientKernels.weightGradientRuns(g, s.batch(), x, c * s.inPlane(), s.inChannels() * s.inPlane(),
                        dy, k * s.outPlane(), s.outChannels() * s.outPlane(), Float.isFinite(db[k]), dw, pair * taps);
            } else {
                GradientKernels.weightGradient(g, s.batch(), x, c * s.inPlane(), s.inChannels() * s.inPlane(),
                        dy, k * s.outPlane(), s.outChannels() * s.outPlane(), Float.isFinite(db[k]),
                        dw, pair * taps, Scratch.get().row(Scratch.ACC, s.outW()));
            }
        });
    }

    /** A task over rows {@code [from, to)} of one plane. */
    @FunctionalInterface
    interface RowBandTask {
        void run(int plane, int from, int to);
    }

    /**
     * Runs {@code task} over every plane and every band of its {@code rows}: on the calling thread below
     * {@link DirectTuning#PARALLEL_MIN_MACS}, else on the common pool, with planes split into row bands when
     * there are too few planes to keep the pool busy. Tasks write disjoint outputs, so the split never
     * changes a result.
     */
    static void forEachRowBand(int planes, int rows, long macs, RowBandTask task) {
        // the calling thread works alongside the pool's workers in a parallel stream
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        if (macs < DirectTuning.PARALLEL_MIN_MACS || threads < 2 || planes * (long) rows < 2) {
            for (int plane = 0; plane < planes; plane++) {
                task.run(plane, 0, rows);
            }
            return;
        }
        int wanted = DirectTuning.TASKS_PER_THREAD * threads;
        int bands = planes >= wanted ? 1 : Math.min(rows, (wanted + planes - 1) / planes);
        int bandRows = (rows + bands - 1) / bands;
        int bandCount = (rows + bandRows - 1) / bandRows;
        IntStream.range(0, planes * bandCount).parallel().forEach(t -> {
            int plane = t / bandCount;
            int from = (t - plane * bandCount) * bandRows;
            task.run(plane, from, Math.min(rows, from + bandRows));
        });
    }
}
