package org.conv4j.openblas;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.WorkspaceBudget;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.function.ObjIntConsumer;
import java.util.function.ToLongFunction;

/**
 * The part the GEMM backends ({@code im2col}, {@code strided}) share: a workspace limit per call, checked once
 * ({@link Workspace#checkLimit}), one process-wide pool of native workspaces counted against the process-wide
 * budget ({@link WorkspaceBudget#global()}; each concurrent call gets its own buffer, a finished call's is
 * reused by the next), OpenBLAS set up ({@link OpenBlasSetup#ensureLoaded()}) before the first GEMM,
 * the loop over {@link Band}s, and one backward pass for the whole gradient and the single ones
 * ({@link #gradients}, run by {@link #backwardLoop}). Subclasses differ only in how they lay out their operands.
 */
public abstract class AbstractGemmBackend extends AbstractConvBackend {

    /** The native workspaces of every GEMM backend, one idle buffer kept per processor. */
    private static final NativeBufferPool POOL = new NativeBufferPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), WorkspaceBudget.global());

    /**
     * Held by a call on the native path while OpenBLAS runs on several threads: such calls run one at a time, in
     * arrival order. Each one already uses every core (OpenBLAS's threads for the GEMMs, the fork-join pool for
     * the copies), and OpenBLAS's threads wait for each other by spinning, so calls side by side oversubscribe
     * the cores: four concurrent callers ran 5-17x slower than the same calls in turn, 1.4x with this lock
     * (docs/architecture.md, "Concurrent calls"). With one OpenBLAS thread ({@code OPENBLAS_NUM_THREADS=1}, for
     * a service that parallelises over requests) calls run side by side. Taken before the workspace, so a call
     * waiting here holds no memory.
     */
    private static final ReentrantLock NATIVE_CALLS = new ReentrantLock(true);

    private final String name;
    private final long workspaceBytes;
    /** The name of the backend's {@link CostProfile} model. */
    private final String costModel;

    /**
     * A backend registered as {@code name}; the {@link CostProfile} model named {@code name} models its copies and
     * GEMMs.
     *
     * @param name the backend's name
     * @param workspaceBytes the workspace limit of one call
     * @throws IllegalArgumentException if {@code workspaceBytes} is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    protected AbstractGemmBackend(String name, long workspaceBytes) {
        this.name = name;
        this.workspaceBytes = Workspace.checkLimit(workspaceBytes);
        this.costModel = name;
        OpenBlasSetup.ensureLoaded();
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String costModel(ConvShape shape, ConvPass pass) {
        return costModel;
    }

    /**
     * The workspace limit of one call, in bytes.
     *
     * @return the limit
     */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    /**
     * Runs {@code work} on a plan and a pooled native workspace holding it: the plan for {@link #workspaceBytes()}
     * if the budget grants that much, else the plan for what it grants (smaller pieces), at worst the plan for
     * 0 bytes (the smallest unit of work). See {@link NativeBufferPool#lease}. Calls run one at a time while
     * OpenBLAS is threaded ({@link #NATIVE_CALLS}).
     *
     * @param planWithin the plan that fits a number of bytes
     * @param floatsOf   the floats of workspace a plan needs
     * @param <P> the plan type
     * @param work runs the plan on the workspace
     */
    protected <P> void withWorkspace(LongFunction<P> planWithin, ToLongFunction<P> floatsOf,
                                     BiConsumer<P, NativeFloats> work) {
        runNativeCall(() -> {
            NativeBufferPool.Lease<P> lease = POOL.lease(planWithin, floatsOf, workspaceBytes);
            try {
                work.accept(lease.plan(), lease.buffer());
            } finally {
                POOL.release(lease);
            }
        });
    }

    /**
     * Runs {@code work}, a call's whole native part (GEMMs on every core), in turn with every other such call of
     * the backends built on OpenBLAS while OpenBLAS runs on several threads ({@link #NATIVE_CALLS}); directly with
     * one OpenBLAS thread. Other backends that call OpenBLAS take their workspace inside it, as
     * {@link #withWorkspace} does, so that a waiting call holds no memory.
     *
     * @param work the native part of a call
     */
    public static void runNativeCall(Runnable work) {
        boolean gated = OpenBlasSetup.cachedThreads() > 1;
        if (gated) {
            NATIVE_CALLS.lock();
        }
        try {
            work.run();
        } finally {
            if (gated) {
                NATIVE_CALLS.unlock();
            }
        }
    }

    @Override
    protected final ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        gradients(s, input, weight, gradOutput, dx.data(), dw.data());
        return new ConvGradients(dx, dw, biasGradient(s, gradOutput));
    }

    /** dL/dx alone: no weight-gradient step runs, and the input is never read. */
    @Override
    protected final Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        gradients(s, null, weight, gradOutput, dx.data(), null);
        return dx;
    }

    /** dL/dw alone: no input-gradient step runs, and the weight is never read. */
    @Override
    protected final Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        Tensor4D dw = s.newWeight();
        gradients(s, input, null, gradOutput, null, dw.data());
        return dw;
    }

    /**
     * {@code dL/dx} into {@code dx} (all zero) and {@code dL/dw} into {@code dw}, each unless it is {@code null};
     * {@code input} is {@code null} when {@code dw} is, {@code weight} when {@code dx} is.
     *
     * @param s the validated geometry
     * @param input the input, or null when {@code dw} is
     * @param weight the weight, or null when {@code dx} is
     * @param gradOutput {@code dL/dy}
     * @param dx receives {@code dL/dx} (all zero on entry), or null
     * @param dw receives {@code dL/dw}, or null
     */
    protected abstract void gradients(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                                      float[] dx, float[] dw);

    /**
     * Images {@code n0 .. n0+images-1}, output rows {@code [oh0, oh1)} (in 3D the rows {@code od*outH + oh} of the
     * output volume), {@code q} output positions per image; a band matrix holds the images side by side ({@link #width()} columns, image {@code i}'s from {@code i*q}).
     */
    public record Band(int n0, int images, int oh0, int oh1, int q) {

        /** {@return the band matrix's columns, {@code images * q}} */
        public int width() {
            return images * q;
        }

        /**
         * The first band of a call: its weight-gradient products set {@code dW} instead of adding to it.
         *
         * @return whether this is the first band
         */
        public boolean first() {
            return n0 == 0 && oh0 == 0;
        }

        /**
         * Copies the band's rows of the NCHW output-shaped {@code t} into the {@code K x width} matrix at {@code ws[at]}.
         *
         * @param s the validated geometry
         * @param t an NCHW tensor of the output's shape
         * @param ws the native workspace
         * @param at the first element of the matrix in {@code ws}
         */
        public void copyIn(ConvShape s, float[] t, NativeFloats ws, long at) {
            copyIn(s.outChannels(), s.outPlane(), s.outW(), t, ws, at);
        }

        /**
         * {@link #copyIn(ConvShape, float[], NativeFloats, long)} for any rank: {@code t} holds images of
         * {@code channels} channels of {@code channelFloats} each, in rows of {@code rowLength} (NCHW, or NCDHW with
         * {@link #oh0}/{@link #oh1} numbering the rows {@code od*outH + oh}).
         *
         * @param channels the channels of {@code t}
         * @param channelFloats the floats of one channel of one image
         * @param rowLength the floats of one row
         * @param t the tensor
         * @param ws the native workspace
         * @param at the first element of the matrix in {@code ws}
         */
        public void copyIn(int channels, int channelFloats, int rowLength, float[] t, NativeFloats ws, long at) {
            Parallel.forEach(images * channels, (long) channels * width(), task -> ws.copyFrom(t,
                    rowStart(task, channels, channelFloats, rowLength),
                    (int) (at + (long) (task % channels) * width() + (long) (task / channels) * q), q));
        }

        /** Offset in the tensor of the band's first element of task {@code (image, channel)}. */
        private int rowStart(int task, int channels, int channelFloats, int rowLength) {
            return ((n0 + task / channels) * channels + task % channels) * channelFloats + oh0 * rowLength;
        }

        /**
         * The reverse of {@link #copyIn}, adding {@code bias[c]} to channel {@code c} unless {@code bias} is null.
         *
         * @param s the validated geometry
         * @param ws the native workspace
         * @param at the first element of the matrix in {@code ws}
         * @param t an NCHW tensor of the output's shape
         * @param bias one value per output channel, or null
         */
        public void copyOut(ConvShape s, NativeFloats ws, long at, float[] t, float[] bias) {
            copyOut(s.outChannels(), s.outPlane(), s.outW(), ws, at, t, bias);
        }

        /**
         * The reverse of {@link #copyIn(int, int, int, float[], NativeFloats, long)}, adding {@code bias[c]} to
         * channel {@code c} unless {@code bias} is null.
         *
         * @param channels the channels of {@code t}
         * @param channelFloats the floats of one channel of one image
         * @param rowLength the floats of one row
         * @param ws the native workspace
         * @param at the first element of the matrix in {@code ws}
         * @param t the tensor
         * @param bias one value per channel, or null
         */
        public void copyOut(int channels, int channelFloats, int rowLength, NativeFloats ws, long at, float[] t,
                            float[] bias) {
            Parallel.forEach(images * channels, (long) channels * width(), task -> {
                int row = rowStart(task, channels, channelFloats, rowLength);
                ws.copyTo((int) (at + (long) (task % channels) * width() + (long) (task / channels) * q), t, row, q);
                for (int e = row; bias != null && e < row + q; e++) {
                    t[e] += bias[task % channels];
                }
            });
        }
    }

    /**
     * Runs {@code work} on every band in order: chunks of {@code images} images, each in bands of {@code rows} rows.
     *
     * @param s the validated geometry
     * @param images images per band
     * @param rows output rows per band
     * @param work runs on each band
     */
    protected static void forEachBand(ConvShape s, int images, int rows, Consumer<Band> work) {
        forEachBand(s.batch(), s.outH(), s.outW(), images, rows, work);
    }

    /**
     * {@link #forEachBand(ConvShape, int, int, Consumer)} for any rank: images of {@code rowsPerImage} output rows
     * of {@code rowLength} positions ({@code outD*outH} rows numbered {@code od*outH + oh} in 3D).
     *
     * @param batch the images
     * @param rowsPerImage output rows per image
     * @param rowLength output positions per row
     * @param images images per band
     * @param rows output rows per band
     * @param work runs on each band
     */
    public static void forEachBand(int batch, int rowsPerImage, int rowLength, int images, int rows,
                                      Consumer<Band> work) {
        for (int n0 = 0; n0 < batch; n0 += images) {
            int nb = Math.min(images, batch - n0);
            for (int oh0 = 0; oh0 < rowsPerImage; oh0 += rows) {
                int oh1 = Math.min(rowsPerImage, oh0 + rows);
                work.accept(new Band(n0, nb, oh0, oh1, (oh1 - oh0) * rowLength));
            }
        }
    }

    /**
     * The loop of every backward pass, native and on the heap: over the bands of {@link #forEachBand} in order
     * (so sums over bands have one fixed order), {@code start}, then per group {@code dW[g] (+)= dY[g] * cols[g]^T}
     * ({@code weightStep}, only if {@code weight}) and {@code dcols[g] = W[g]^T * dY[g]} added back into
     * {@code dx} ({@code inputStep}, only if {@code input}), then {@code finish}.
     *
     * @param s the validated geometry
     * @param images images per band
     * @param rows output rows per band
     * @param weight whether dL/dw is computed
     * @param input whether dL/dx is computed
     * @param start runs first on each band
     * @param weightStep the weight-gradient product of a band and group
     * @param inputStep the input-gradient product of a band and group
     * @param finish runs last on each band
     */
    protected static void backwardLoop(ConvShape s, int images, int rows, boolean weight, boolean input,
                                       Consumer<Band> start, ObjIntConsumer<Band> weightStep,
                                       ObjIntConsumer<Band> inputStep, Consumer<Band> finish) {
        forEachBand(s, images, rows, b -> {
            start.accept(b);
            for (int g = 0; g < s.groups(); g++) {
                if (weight) {
                    weightStep.accept(b, g);
                }
                if (input) {
                    inputStep.accept(b, g);
                }
            }
            finish.accept(b);
        });
    }

    /** A matrix in a Java array: row {@code r} starts at {@code data[offset + r*ld]}. */
    public record Matrix(float[] data, int offset, int ld) {
    }

    /**
     * A heap pass's (one image per band) {@code dW[g] += dY[n, g] (Kg x q) * cols[g]^T (q x Cg*kH*kW)} into the
     * double sums {@code dwSum} (OIHW), {@link Gemm#thinSgemmNT}; {@code dY} read in place.
     *
     * @param s the validated geometry
     * @param b the band
     * @param g the group
     * @param dy {@code dL/dy}, NCHW
     * @param cols the band's column matrix
     * @param dwSum the double sums of {@code dL/dw}, OIHW
     */
    protected static void heapWeightProduct(ConvShape s, Band b, int g, float[] dy, Matrix cols, double[] dwSum) {
        int kg = s.outChannelsPerGroup();
        int patch = (int) s.patchSize();
        Gemm.thinSgemmNT(dy, s.outputIndex(b.n0(), g * kg, b.oh0(), 0), s.outPlane(), kg, patch,
                cols.data(), cols.offset(), cols.ld(), b.q(), dwSum, g * kg * patch);
    }

    /**
     * A heap pass's {@code dcols[g] (P x q) = W[g]^T (P x Kg) * dY[n, g] (Kg x q)}, {@link Gemm#thinSgemmTN}.
     *
     * @param s the validated geometry
     * @param b the band
     * @param g the group
     * @param w the weight, OIHW
     * @param dy {@code dL/dy}, NCHW
     * @param dcols receives the band's column gradients
     */
    protected static void heapInputProduct(ConvShape s, Band b, int g, float[] w, float[] dy, Matrix dcols) {
        int kg = s.outChannelsPerGroup();
        int patch = (int) s.patchSize();
        Gemm.thinSgemmTN(w, g * kg * patch, kg, patch, dy, s.outputIndex(b.n0(), g * kg, b.oh0(), 0), s.outPlane(),
                b.q(), dcols.data(), dcols.offset(), dcols.ld());
    }

    /**
     * {@code dw[e] = (float) sums[e]} unless {@code dw} is {@code null}.
     *
     * @param sums the double sums
     * @param dw the float result, or null
     */
    protected static void store(double[] sums, float[] dw) {
        for (int e = 0; dw != null && e < dw.length; e++) {
            dw[e] = (float) sums[e];
        }
    }
}
