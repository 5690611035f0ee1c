package org.conv4j.onednn;

import java.nio.ByteOrder;

import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.LruCache;
import org.conv4j.spi.PreparedBackwardCalls;
import org.conv4j.spi.PreparedCalls;
import org.conv4j.spi.WorkspaceBudget;

/**
 * The {@code onednn} backend: oneDNN's convolution primitives (the CPU kernels behind the C++ frameworks'
 * convolutions) through JavaCPP's {@code org.bytedeco:dnnl}, forward and backward.
 *
 * <p><b>What it computes.</b> Exactly the sums of {@link org.conv4j.api.ConvBackend}, with every parameter
 * mapped onto oneDNN's ({@link Geometry}): stride, four-sided padding, dilation (oneDNN's is conv4j's minus
 * one), groups (5-D weights) and bias. The forward pass runs a {@code forward_inference} primitive; the
 * backward pass a backward-data primitive for {@code dL/dx} and a backward-weights primitive for
 * {@code dL/dw} and {@code dL/db}; {@code inputGradient} runs the backward-data primitive alone,
 * {@code weightGradient} the backward-weights primitive alone, without bias gradient. oneDNN chooses the
 * weights' layouts (format tag {@code any}) and the activations' ones except where {@link BackwardPlan} asks
 * for {@code nhwc}; conv4j's NCHW arrays are copied to native memory (in parallel for large ones) and
 * reordered into those layouts on every call, the weights too (they change between training steps), and the
 * results reordered back.
 *
 * <p><b>Non-finite values.</b> oneDNN's kernels skip padded taps where conv4j multiplies by a real zero;
 * {@link PaddedTaps} puts back the NaN this gives for non-finite weights (forward) and non-finite
 * {@code dL/dy} ({@code dL/dw}).
 *
 * <p><b>Caching and threads.</b> Primitives are specialised for one geometry (shapes, parameters, batch
 * size), and creating one generates code (milliseconds). They are cached per geometry and pass in a
 * bounded LRU cache ({@value #PLAN_CACHE_CAPACITY} plans, shared by every instance). A cached primitive is
 * shared by concurrent calls, which oneDNN allows when each execution gets its own scratchpad: every call
 * takes a {@link Context} (stream and native buffers, scratchpad included) from a pool for its own use.
 * oneDNN runs each primitive on its OpenMP threads ({@code OMP_NUM_THREADS} sets how many; see
 * docs/onednn.md).
 *
 * <p><b>Memory.</b> The native buffers of one call (plain copies, oneDNN's layouts, the scratchpad) are
 * bounded by the workspace limit ({@link Workspace}, property {@value Workspace#LIMIT_PROPERTY}): a batch
 * whose buffers would exceed it is computed in parts of whole images, with the same results as one call
 * up to float rounding ({@code dL/dw} and {@code dL/db} are summed over the parts). A single image is the
 * smallest part, computed even if it alone exceeds the limit. Idle contexts keep their buffers for reuse,
 * at most one per processor. The buffers of calls in flight and of idle contexts count against the
 * process-wide budget ({@link WorkspaceBudget#global()}); when it grants a call less than its parts need, the
 * call runs in smaller parts ({@link BudgetedParts}).
 *
 * <p><b>3D convolutions</b> ({@link Conv3dBackend}): the same primitives on rank-5 memory, input
 * {@code (N, C, D, H, W)} as oneDNN's {@code ncdhw}, weights {@code (K, C/groups, kD, kH, kW)} as {@code oidhw}
 * ({@code goidhw} with groups), three-element strides, dilations (conv4j's minus one) and paddings
 * ({@code padding_l = (front, top, left)}, {@code padding_r = (back, bottom, right)}); the sums of
 * {@link Conv3dBackend}'s formula. The same plans, contexts, workspace limit, budget and batch parts as 2D
 * ({@link Geometry} holds two or three spatial axes), and the same repair of non-finite values on padded layers
 * ({@link PaddedTaps} works on three axes, a 2D layer being one of unit depth). Geometries oneDNN cannot run
 * safely are declined ({@link #supports3d}).
 *
 * <p>The constructor fails with {@link UnsupportedOperationException} where oneDNN's natives cannot load
 * (conv-onednn brings them for linux-x86_64 only).
 */
public final class OnednnBackend extends AbstractConvBackend implements Conv3dBackend {

    /**
     * The conformance tolerance (relative to the largest magnitude of the reference, see the testkit's
     * {@code Agreement}): the kit's default for float32 GEMM-like sums. oneDNN accumulates in float32 in
     * its own blocked order, as the GEMM backends do in theirs.
     */
    public static final float TOLERANCE = 1e-5f;

    /**
     * Cached plans (one per geometry, batch part and pass). A network has a few dozen distinct layers; each
     * plan holds generated code of some tens to hundreds of KiB.
     */
    static final int PLAN_CACHE_CAPACITY = 128;

    /** A cached plan's key: the pass (forward, backward, or one gradient alone) and the geometry of its part. */
    private record Key(ConvPass pass, Geometry geometry) {
    }

    private static final LruCache<Key, Object> PLANS = new LruCache<>(PLAN_CACHE_CAPACITY);

    private final long workspaceBytes;
    private final ContextPool contexts = new ContextPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
            WorkspaceBudget.global());
    /** Images per part, per (pass, full-batch geometry), for this instance's limit. */
    private final LruCache<Key, Integer> partSizes = new LruCache<>(PLAN_CACHE_CAPACITY);

    /**
     * A backend with the default workspace limit ({@link Workspace#defaultLimitBytes()}).
     *
     * @throws UnsupportedOperationException if oneDNN's native library cannot be loaded here
     */
    public OnednnBackend() {
        this(Workspace.defaultLimitBytes());
    }

    /**
     * A backend whose calls keep their native buffers within {@code workspaceBytes}.
     *
     * @param workspaceBytes the limit in bytes
     * @throws IllegalArgumentException if the limit is below {@link Workspace#MIN_LIMIT_BYTES}
     * @throws UnsupportedOperationException if oneDNN's native library cannot be loaded here
     */
    public OnednnBackend(long workspaceBytes) {
        this.workspaceBytes = Workspace.checkLimit(workspaceBytes);
        Dnnl.engine();
    }

    @Override
    public String name() {
        return "onednn";
    }

    /** The {@link CostProfile} model {@link #costModel} names for the call. */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        return CostProfile.current().model(costModel(shape, pass)).nanos(shape, pass);
    }

    /**
     * The model of the kernels oneDNN itself reports it runs for the call, so that each kind is fitted on its own
     * by {@code conv-bench fit} without re-deriving oneDNN's dispatch (which changes with the instruction set and
     * the version): {@code onednn.forward.<kernel>} and {@code onednn.backward.<data kernel>.<weights kernel>},
     * e.g. {@code onednn.forward.brgconv_1x1} or {@code onednn.backward.brg_conv_bwd_brg_conv_fwd.jit}, with the
     * instruction set left out of the names ({@link #kernelFamily}). A model the profile does not give inherits
     * from its parent, up to {@code onednn} ({@link CostProfile#model}). The names come from the plans a call of
     * this geometry uses, created once per geometry (primitive descriptors only: kernels are generated at the
     * first call) and cached. Layers that {@link #padsExplicitly pad explicitly} get the pass's parent model:
     * their calls run on another geometry.
     */
    @Override
    public String costModel(ConvShape shape, ConvPass pass) {
        boolean forward = pass == ConvPass.FORWARD;
        if (shape.hasPaddingOnlyOutputs()) {
            return forward ? "onednn.forward" : "onednn.backward";
        }
        Geometry g = Geometry.of(shape, shape.batch(), !forward);
        return KERNEL_MODELS.get(new Key(forward ? ConvPass.FORWARD : ConvPass.BACKWARD, g), k -> {
            if (forward) {
                return "onednn.forward." + kernelFamily(forwardPlan(g).implementation);
            }
            BackwardPlan plan = backwardPlan(ConvPass.BACKWARD, g);
            return "onednn.backward." + kernelFamily(plan.dataImplementation()) + "."
                    + kernelFamily(plan.weightsImplementation());
        });
    }

    /** The model name per geometry and basic pass ({@link #costModel}). */
    private static final LruCache<Key, String> KERNEL_MODELS = new LruCache<>(4096);

    /**
     * oneDNN's name of a kernel without the instruction set, as a model-name segment: {@code brg_conv_fwd:avx2}
     * becomes {@code brg_conv_fwd}, {@code brg_conv_bwd:avx2+brg_conv_fwd:avx2} (a backward-data kernel made of a
     * forward one) {@code brg_conv_bwd_brg_conv_fwd}, {@code x64:gemm:jit} {@code gemm_jit}.
     */
    static String kernelFamily(String implementation) {
        StringBuilder out = new StringBuilder();
        for (String part : implementation.split("[+:]")) {
            String p = part.trim().toLowerCase(java.util.Locale.ROOT);
            if (p.isEmpty() || p.equals("x64") || p.startsWith("avx") || p.startsWith("sse") || p.startsWith("amx")) {
                continue;
            }
            if (out.length() > 0) {
                out.append('_');
            }
            out.append(p.replaceAll("[^a-z0-9_]", "_"));
        }
        return out.length() == 0 ? "unknown" : out.toString();
    }

    /**
     * Whether conv4j pads the input with zeros itself before calling oneDNN ({@link AbstractConvBackend}'s
     * explicit padding), on the geometries where oneDNN's own padding fails: where some output's window lies
     * wholly in the padding ({@link ConvShape#hasPaddingOnlyOutputs()}). oneDNN 3.11's {@code brgemm} forward
     * kernels then call an output kernel they never generated (a null pointer: the JVM dies, docs/onednn.md,
     * "Layers oneDNN's padding cannot run"). With the zeros in memory every window reads real elements and
     * oneDNN sees no padding; the results are conv4j's (padding is a real zero), at the price of a copy.
     */
    @Override
    protected boolean padsExplicitly(ConvShape s) {
        return s.hasPaddingOnlyOutputs();
    }

    /**
     * Every shape but those it runs only through {@link #padsExplicitly explicit padding}: those are rare, small
     * layers (an output wholly in the padding), which other backends run without the copy.
     */
    @Override
    public boolean supports(ConvShape shape, ConvPass pass) {
        return !padsExplicitly(shape);
    }

    /**
     * Whether the 3D layer is one oneDNN runs safely, forward and backward alike. Declined, so that {@link
     * org.conv4j.api.Conv3d} picks another backend:
     * <ul>
     *   <li>layers where some output's window lies wholly in the padding along an axis ({@link
     *       ConvAxis#hasPaddingOnlyOutputs}): oneDNN 3.11's {@code brgemm} forward kernels call an output kernel they
     *       never generated there (the JVM dies), the reason 2D pads such layers explicitly
     *       ({@link #padsExplicitly});</li>
     *   <li>a single output column with a column stride above 1 whose narrowed input ({@link SingleColumn}, which
     *       {@link #forward3d} computes such layers on) would exceed {@value #MAX_3D_EXTENT} floats per image;</li>
     *   <li>absurd extents: an axis whose padded size or dilated kernel exceeds {@value #MAX_3D_EXTENT}, or an image
     *       of the input or the output, or the weights, above {@value #MAX_3D_EXTENT} floats (2 GiB): oneDNN's
     *       kernels were never run on such sizes here, so they are left to the plain-Java backends.</li>
     * </ul>
     */
    @Override
    public boolean supports3d(Conv3dShape shape, ConvPass pass) {
        ConvAxis[] axes = {shape.depth(), shape.rows(), shape.cols()};
        for (ConvAxis a : axes) {
            if (a.hasPaddingOnlyOutputs() || a.padded() > MAX_3D_EXTENT
                    || (a.kernel() - 1L) * a.dilation() + 1 > MAX_3D_EXTENT) {
                return false;
            }
        }
        long inPlane = (long) shape.depth().in() * shape.rows().in();
        if (SingleColumn.affects(shape)
                && inPlane * shape.cols().dilatedKernel() * shape.inChannels() > MAX_3D_EXTENT) {
            return false;
        }
        long inVolume = inPlane * shape.cols().in();
        long outVolume = (long) shape.depth().out() * shape.rows().out() * shape.cols().out();
        long taps = (long) shape.depth().kernel() * shape.rows().kernel() * shape.cols().kernel();
        return inVolume * shape.inChannels() <= MAX_3D_EXTENT && outVolume * shape.outChannels() <= MAX_3D_EXTENT
                && taps * shape.inChannelsPerGroup() * shape.outChannels() <= MAX_3D_EXTENT;
    }

    /** The largest extent or per-image float count of a 3D layer {@link #supports3d} accepts ({@code 2^29 - 1}). */
    static final long MAX_3D_EXTENT = NativeBuffer.MAX_VIEW_FLOATS;

    /**
     * The {@link CostProfile} model {@code onednn.forward3d} or {@code onednn.backward3d} ({@link
     * org.conv4j.spi.CostModel#nanos(Conv3dShape, ConvPass)}), which inherit from {@code onednn} what the profile does
     * not give for them.
     */
    @Override
    public double estimate3dNanos(Conv3dShape shape, ConvPass pass) {
        return CostProfile.current().model(pass == ConvPass.FORWARD ? "onednn.forward3d" : "onednn.backward3d")
                .nanos(shape, pass);
    }

    /**
     * oneDNN's forward primitive on the heap NCDHW operands, with bias if given, in batch parts as 2D; then
     * {@link PaddedTaps#forward} puts back the NaN of non-finite weights on padded taps. A layer with one output
     * column and a column stride above 1 is computed on the columns that column reads, with column stride 1
     * ({@link SingleColumn}): oneDNN's forward kernels read the wrong columns there.
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     */
    @Override
    public Tensor5D forward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias) {
        requireSupported3d(s, ConvPass.FORWARD);
        if (SingleColumn.affects(s)) {
            Tensor5D narrow = SingleColumn.input(s, input);
            return forward3d(Conv3dShape.forward(narrow, weight, bias, SingleColumn.params(s)), narrow, weight, bias);
        }
        Tensor5D y = s.newOutput();
        forwardParts(Geometry.of(s, s.batch(), bias != null), input.data(), weight.data(), bias, y.data());
        PaddedTaps.forward(s, weight.data(), y.data());
        return y;
    }

    /**
     * oneDNN's backward-data and backward-weights primitives (with bias gradient) on the heap NCDHW operands, in
     * batch parts as 2D. Backward-data gets the weights with non-finite values zeroed, and {@link PaddedTaps} adds
     * their exact share of {@code dL/dx} and puts back the NaN of non-finite {@code dL/dy} on padded taps of
     * {@code dL/dw}.
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     */
    @Override
    public Conv3dGradients backward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        requireSupported3d(s, ConvPass.BACKWARD);
        Tensor5D dx = s.newInput();
        Tensor5D dw = s.newWeight();
        float[] db = new float[s.outChannels()];
        float[] finite = PaddedTaps.finiteWeights(weight.data());
        backward(Geometry.of(s, s.batch(), true), ConvPass.BACKWARD, input.data(), finite, gradOutput.data(),
                dx.data(), dw.data(), db);
        PaddedTaps.inputGradient(s, weight.data(), finite, gradOutput.data(), dx.data());
        PaddedTaps.weightGradient(s, gradOutput.data(), dw.data());
        return new Conv3dGradients(dx, dw, db);
    }

    /** Refuses, before any native call, a 3D layer {@link #supports3d} declines. */
    private void requireSupported3d(Conv3dShape s, ConvPass pass) {
        if (!supports3d(s, pass)) {
            throw new UnsupportedOperationException("onednn backend: 3D " + pass + " on " + s
                    + " is not supported (see OnednnBackend.supports3d)");
        }
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
     * Native input and output in one layout, in the platform's byte order, are used in place
     * ({@link #forwardInPlace}): oneDNN reads the input and writes the output where they are, with no copy (and
     * for NHWC no reorder either). Not where {@link SingleColumn} must narrow the input, nor where the weights
     * hold a non-finite value on a padded layer ({@link PaddedTaps#forward} then repairs a heap output).
     */
    @Override
    protected boolean forwardsInPlace(ConvShape s, Tensor4D input, Tensor4D output) {
        if (!input.isNative() || !output.isNative() || input.layout() != output.layout() || SingleColumn.affects(s)) {
            return false;
        }
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            if (in.buffer().order() != ByteOrder.nativeOrder() || out.buffer().order() != ByteOrder.nativeOrder()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The heap path copies the input into native memory and the output back, and for NHWC also reorders both from
     * and to NCHW; in place, NHWC skips all four and NCHW the copies.
     */
    @Override
    protected double inPlaceSavingsNanos(ConvShape s, MemoryLayout layout) {
        return stagingNanos(s, false) + (layout == MemoryLayout.NHWC ? stagingNanos(s, true) : 0);
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        if (input.isNative()) {
            if (!s.params().isPadded() || !PaddedTaps.hasNonFinite(weight.data())) {
                return forwardInPlace(s, input, weight, bias, output);
            }
            // a non-finite weight on a padded layer: the repair works on a heap output
            Tensor4D y = forward(s, input.toHeapNchw(), weight, bias, s.newOutput());
            return output.copyFrom(y);
        }
        if (SingleColumn.affects(s)) {
            return forwardInto(SingleColumn.input(s, input), weight, bias, SingleColumn.params(s), output);
        }
        forwardParts(Geometry.of(s, s.batch(), bias != null), input.data(), weight.data(), bias, output.data());
        PaddedTaps.forward(s, weight.data(), output.data());
        return output;
    }

    /**
     * The forward pass of the call of geometry {@code whole} (2D or 3D, the whole batch) on heap arrays in the
     * plain channels-first layout, in parts of whole images that fit the workspace limit and the budget's grant
     * ({@link BudgetedParts}); {@code b} is null without bias. oneDNN skips padded taps: the caller repairs
     * non-finite weights ({@link PaddedTaps#forward}).
     */
    private void forwardParts(Geometry whole, float[] x, float[] w, float[] b, float[] y) {
        WorkspaceBudget.Planned<Integer> granted = BudgetedParts.acquire(this, whole, ConvPass.FORWARD);
        int part = granted.plan();
        Context ctx = contexts.acquire(granted.grant());
        try {
            ForwardPlan loaded = null;
            for (int first = 0; first < whole.batch(); first += part) {
                ForwardPlan plan = forwardPlan(whole.withBatch(Math.min(part, whole.batch() - first)));
                reserve(ctx, plan.slotBytes, granted.grant());
                if (plan != loaded) {
                    plan.loadWeights(ctx, w, b);
                    loaded = plan;
                }
                plan.run(ctx, x, y, first);
            }
        } finally {
            contexts.release(ctx, granted.grant());
        }
    }

    /**
     * The forward pass on native input and output of one layout ({@link #forwardsInPlace}), in parts of whole images
     * as {@link #forward(ConvShape, Tensor4D, Tensor4D, float[], Tensor4D)}: each part's primitive reads the input
     * and writes the output at the part's first image. Both stay pinned for the call, so closing them on another
     * thread cannot free the memory under oneDNN.
     */
    private Tensor4D forwardInPlace(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        boolean hasBias = bias != null;
        MemoryLayout layout = input.layout();
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            WorkspaceBudget.Planned<Integer> granted = BudgetedParts.acquire(this, Geometry.of(s, s.batch(), hasBias),
                    ConvPass.FORWARD);
            int part = granted.plan();
            Context ctx = contexts.acquire(granted.grant());
            try {
                ForwardPlan loaded = null;
                for (int first = 0; first < s.batch(); first += part) {
                    Geometry g = Geometry.of(s, Math.min(part, s.batch() - first), hasBias, layout);
                    ForwardPlan plan = forwardPlan(g);
                    reserve(ctx, plan.slotBytes, granted.grant());
                    if (plan != loaded) {
                        plan.loadWeights(ctx, weight.data(), bias);
                        loaded = plan;
                    }
                    // views from this part's first image on: their addresses are where oneDNN reads and writes
                    FloatPointer x = new FloatPointer(in.buffer().position((int) (first * g.imageFloats())).slice());
                    FloatPointer y = new FloatPointer(out.buffer().position((int) (first * g.outImageFloats())).slice());
                    plan.runInPlace(ctx, x, y);
                }
            } finally {
                contexts.release(ctx, granted.grant());
            }
        }
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        float[] db = new float[s.outChannels()];
        float[] finite = PaddedTaps.finiteWeights(weight.data());
        backward(s, ConvPass.BACKWARD, input.data(), finite, gradOutput.data(), dx.data(), dw.data(), db);
        PaddedTaps.inputGradient(s, weight.data(), finite, gradOutput.data(), dx.data());
        PaddedTaps.weightGradient(s, gradOutput.data(), dw.data());
        return new ConvGradients(dx, dw, db);
    }

    /** {@code dL/dx} alone: oneDNN's backward-data primitive, without backward-weights. */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        float[] finite = PaddedTaps.finiteWeights(weight.data());
        backward(s, ConvPass.INPUT_GRADIENT, null, finite, gradOutput.data(), dx.data(), null, null);
        PaddedTaps.inputGradient(s, weight.data(), finite, gradOutput.data(), dx.data());
        return dx;
    }

    /** {@code dL/dw} alone: oneDNN's backward-weights primitive without bias gradient, without backward-data. */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        Tensor4D dw = s.newWeight();
        backward(s, ConvPass.WEIGHT_GRADIENT, input.data(), null, gradOutput.data(), null, dw.data(), null);
        PaddedTaps.weightGradient(s, gradOutput.data(), dw.data());
        return dw;
    }

    /**
     * The single-gradient passes on validated arguments, for tests: {@code dL/dx} into {@code dx} if
     * {@code dw} is null (the input is not read), else {@code dL/dw} into {@code dw} (the weight is not read).
     */
    void gradients(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput, float[] dx, float[] dw) {
        if (dw == null) {
            backward(s, ConvPass.INPUT_GRADIENT, null, weight.data(), gradOutput.data(), dx, null, null);
        } else {
            backward(s, ConvPass.WEIGHT_GRADIENT, input.data(), null, gradOutput.data(), null, dw, null);
        }
    }

    /**
     * Runs {@code pass} (a backward one) over the batch in parts that fit the workspace limit and the budget's
     * grant ({@link BudgetedParts}): {@code dx} gets every part's images, {@code dw} and {@code db} the sums over
     * the parts. Arrays of gradients the pass does not compute are null; {@code db} is null for the passes
     * without bias gradient.
     */
    private void backward(ConvShape s, ConvPass pass, float[] x, float[] w, float[] dy, float[] dx, float[] dw,
                          float[] db) {
        backward(Geometry.of(s, s.batch(), db != null), pass, x, w, dy, dx, dw, db);
    }

    /** {@link #backward(ConvShape, ConvPass, float[], float[], float[], float[], float[], float[])} of the call of
     * geometry {@code whole} (2D or 3D, the whole batch). */
    private void backward(Geometry whole, ConvPass pass, float[] x, float[] w, float[] dy, float[] dx, float[] dw,
                          float[] db) {
        WorkspaceBudget.Planned<Integer> granted = BudgetedParts.acquire(this, whole, pass);
        int part = granted.plan();
        Context ctx = contexts.acquire(granted.grant());
        try {
            float[] partDw = part < whole.batch() && dw != null ? new float[dw.length] : null;
            float[] partDb = part < whole.batch() && db != null ? new float[db.length] : null;
            BackwardPlan loaded = null;
            for (int first = 0; first < whole.batch(); first += part) {
                BackwardPlan plan = backwardPlan(pass, whole.withBatch(Math.min(part, whole.batch() - first)));
                reserve(ctx, plan.slotBytes, granted.grant());
                if (plan != loaded && plan.readsWeights()) {
                    plan.loadWeights(ctx, w);
                }
                loaded = plan;
                if (first == 0) {
                    plan.run(ctx, x, dy, first, dx, dw, db);
                } else {
                    plan.run(ctx, x, dy, first, dx, partDw, partDb);
                    add(partDw, dw);
                    add(partDb, db);
                }
            }
        } finally {
            contexts.release(ctx, granted.grant());
        }
    }

    /** {@code sum[i] += part[i]}; nothing if {@code sum} is null. */
    private static void add(float[] part, float[] sum) {
        if (sum == null) {
            return;
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += part[i];
        }
    }

    /**
     * The forward pass prepared for repeated calls ({@link PreparedForward}): the primitive made once and the
     * weights reordered once into its layout; geometries it does not cover get {@link PreparedCalls}.
     */
    @Override
    public PreparedConvolution prepareForward(ConvShape shape, Tensor4D weight, float[] bias) {
        PreparedCalls.checkWeights(shape, weight, bias, bias != null);
        if (!PreparedForward.covers(this, shape, bias != null)) {
            return new PreparedCalls(this, shape, weight, bias);
        }
        return new PreparedForward(this, shape, weight, bias);
    }

    /**
     * The backward pass prepared for repeated calls ({@link PreparedGradients}): the backward primitives made once
     * per pass and activation layout, the weights reordered once into backward-data's layout, native tensors read
     * and written in place; geometries it does not cover get {@link PreparedBackwardCalls}.
     */
    @Override
    public PreparedBackward prepareBackward(ConvShape shape, Tensor4D weight) {
        PreparedBackwardCalls.checkWeight(shape, weight);
        if (!PreparedGradients.covers(this, shape)) {
            return new PreparedBackwardCalls(this, shape, weight);
        }
        return new PreparedGradients(this, shape, weight);
    }

    /**
     * On the geometries {@link PreparedGradients} covers, what its in-place calls skip of the heap path: copying
     * {@code x}, {@code dL/dy} and {@code dL/dx} (those the pass has) into native memory and out, and for NHWC also
     * reordering them from and to NCHW.
     */
    @Override
    protected double preparedBackwardSavingsNanos(ConvShape s, ConvPass pass, MemoryLayout layout) {
        if (!PreparedGradients.covers(this, s)) {
            return Double.NaN;
        }
        long in = (long) s.batch() * s.inChannels() * s.inPlane();
        long out = (long) s.batch() * s.outChannels() * s.outPlane();
        long floats = pass == ConvPass.BACKWARD ? 2 * in + out : in + out;
        return stagingNanos(floats, false) + (layout == MemoryLayout.NHWC ? stagingNanos(floats, true) : 0);
    }

    /**
     * Brings {@code ctx}'s buffers to {@code slotBytes} for a part of a call granted {@code grant}. Buffers left
     * larger by earlier layers stay where the budget can count them: the pool kept grants for them ({@link
     * Context#limitBytes}), and growth beyond that takes what the budget has free at once (this thread holds a
     * grant, so it never waits). Only what the budget cannot count, or what exceeds this backend's workspace limit,
     * is freed. Freeing and allocating again layer after layer costs fresh pages on every call (5-10 us per 4 KiB
     * page in these VMs): a network's layers in sequence ran 1.6x slower than each layer repeated.
     */
    private void reserve(Context ctx, long[] slotBytes, WorkspaceBudget.Grant grant) {
        long limit = ctx.limitBytes(grant.bytes());
        long after = ctx.heldBytes() + ctx.growthFor(slotBytes);
        long cap = Math.max(grant.bytes(), workspaceBytes);
        if (after > limit && limit < cap) {
            WorkspaceBudget.Grant more = WorkspaceBudget.global().acquire(0, Math.min(after, cap) - limit);
            if (more.bytes() > 0) {
                ctx.keep(more);
            } else {
                more.close();
            }
        }
        ctx.reserve(slotBytes, Math.min(ctx.limitBytes(grant.bytes()), cap));
    }

    static ForwardPlan forwardPlan(Geometry g) {
        return (ForwardPlan) PLANS.get(new Key(ConvPass.FORWARD, g), k -> new ForwardPlan(k.geometry()));
    }

    static BackwardPlan backwardPlan(ConvPass pass, Geometry g) {
        return (BackwardPlan) PLANS.get(new Key(pass, g), k -> new BackwardPlan(k.geometry(), k.pass()));
    }

    static long workspaceBytes(ConvPass pass, Geometry g) {
        return pass == ConvPass.FORWARD ? forwardPlan(g).workspaceBytes : backwardPlan(pass, g).workspaceBytes;
    }

    /**
     * The most images per part whose buffers fit in the workspace limit (at least one): the whole batch if it
     * fits, else found by bisection over the part size (the buffers grow with it; their sizes are queried
     * from oneDNN's primitive descriptors, not estimated, and no code is generated for the sizes tried).
     * Remembered per geometry.
     */
    int imagesPerPart(ConvShape s, ConvPass pass, boolean bias) {
        return imagesPerPart(Geometry.of(s, s.batch(), bias), pass);
    }

    /** {@link #imagesPerPart(ConvShape, ConvPass, boolean)} of the call of geometry {@code whole} (2D or 3D). */
    int imagesPerPart(Geometry whole, ConvPass pass) {
        return partSizes.get(new Key(pass, whole), key -> {
            if (workspaceBytes(pass, whole) <= workspaceBytes) {
                return whole.batch();
            }
            int fits = 1;
            int tooLarge = whole.batch();
            while (tooLarge - fits > 1) {
                int mid = (fits + tooLarge) >>> 1;
                if (workspaceBytes(pass, whole.withBatch(mid)) <= workspaceBytes) {
                    fits = mid;
                } else {
                    tooLarge = mid;
                }
            }
            return fits;
        });
    }

    /** Bytes held by this instance's idle contexts (for tests). */
    long idleBytes() {
        return contexts.idleBytes();
    }

    /** The workspace bytes of one call of {@code images} images of {@code s} (for tests). */
    static long workspaceBytes(ConvShape s, ConvPass pass, boolean bias, int images) {
        return workspaceBytes(pass, Geometry.of(s, images, bias));
    }

    /** Whether the in-place forward plan of the whole batch of {@code s} in {@code layout} reorders nothing (for tests). */
    static boolean inPlaceWithoutReorders(ConvShape s, boolean bias, MemoryLayout layout) {
        ForwardPlan plan = forwardPlan(Geometry.of(s, s.batch(), bias, layout));
        return plan.src.identity() && plan.dst.identity();
    }

    /** The implementations oneDNN chose for this geometry, forward and backward (for reports and docs). */
    static String implementations(ConvShape s, boolean bias) {
        return forwardPlan(Geometry.of(s, s.batch(), bias)).implementation + " | "
                + backwardPlan(ConvPass.BACKWARD, Geometry.of(s, s.batch(), true)).implementation;
    }
}
