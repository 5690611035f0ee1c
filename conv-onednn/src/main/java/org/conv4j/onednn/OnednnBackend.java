package org.conv4j.onednn;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

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
import org.conv4j.nativeutil.NativeFloatBlock;
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
 * safely are declined ({@link #supports3d}). Native tensors of one layout are read and written in place by every
 * 3D pass ({@link #takesInPlace3d}): NDHWC with {@code ndhwc} primitives, no copy and no reorder; NCDHW with
 * oneDNN's reorders from and to the caller's memory, no staging copy. The single gradients run one primitive each
 * ({@link #inputGradient3d}, {@link #weightGradient3d}).
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

    /**
     * The {@link CostProfile} model of the call, whose time is the estimate: the model of the kernels oneDNN itself
     * reports it runs for the call, so that each kind is fitted on its own by {@code conv-bench fit} without
     * re-deriving oneDNN's dispatch (which changes with the instruction set and the version): {@code onednn.forward.<kernel>} and {@code onednn.backward.<data kernel>.<weights kernel>},
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
                // A strided forward call runs the same kernel family at another rate (a 1x1 kernel first gathers
                // every s-th input, and larger kernels reuse fewer loaded inputs), so it has a model of its own,
                // which inherits the family's values until a fit gives it some.
                return "onednn.forward." + kernelFamily(forwardPlan(g).implementation)
                        + (shape.params().isStrided() ? ".strided" : "");
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
     * Whether oneDNN runs {@code pass} of the 3D layer safely (any pass but {@link ConvPass#FORWARD} counts as
     * backward: the single gradients and the transposed passes run backward primitives). Declined, so that {@link
     * org.conv4j.api.Conv3d} picks another backend:
     * <ul>
     *   <li>backward passes of layers with more than {@value #MAX_BACKWARD_FRONT_PADDING} planes of front padding
     *       ({@link #deepFrontPadding}): there oneDNN 3.11's 3D backward-weights kernel {@code jit:avx512_core} gave
     *       wrong {@code dL/dw} (values of memory it should not read, where a read past a mapped page kills the JVM)
     *       or never returned, depending on how the work is split between threads;</li>
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
        if (pass != ConvPass.FORWARD && deepFrontPadding(shape)) {
            return false;
        }
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

    /**
     * The most planes of front padding (along the depth) whose backward passes {@link #supports3d} runs: oneDNN
     * 3.11's 3D backward-weights kernel ({@code jit_avx512_common_convolution_bwd_weights_t}, {@code
     * jit:avx512_core}) failed beyond it. Found by {@code Fuzz3d}; in probes of small layers on that kernel (about
     * 1,600 of them), every one of its 31 failures (wrong values, one hang) had a front padding of 3 to 5 planes
     * (with depth strides 1 to 3), none had less, and many layers with 3 or more passed (which fail seems to depend
     * on how the work is split between threads). Padding of the rows and columns up to 5, and back padding alone,
     * never failed.
     */
    static final int MAX_BACKWARD_FRONT_PADDING = 2;

    /**
     * Whether the 3D layer has more than {@value #MAX_BACKWARD_FRONT_PADDING} planes of front padding, where
     * {@link #supports3d} declines its backward passes. Conservative: the rule does not depend on which kernel
     * oneDNN picks (its GEMM-based one never failed there), so {@link #supports3d} makes no native call
     * (docs/onednn.md, section 11).
     */
    static boolean deepFrontPadding(Conv3dShape s) {
        return s.depth().padBefore() > MAX_BACKWARD_FRONT_PADDING;
    }

    /** The largest extent or per-image float count of a 3D layer {@link #supports3d} accepts ({@code 2^29 - 1}). */
    static final long MAX_3D_EXTENT = NativeFloatBlock.MAX_VIEW_FLOATS;

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
     * Native operands of one layout in the platform's byte order ({@link #inPlace(Tensor5D, Tensor5D)}: the input and
     * the output, or the input and {@code dL/dy}) are used in place on every layer {@link #supports3d} runs, except
     * the forward pass of a layer {@link SingleColumn} narrows (computed on a heap copy). The weights are read as
     * heap NCDHW whatever their form (copied if they are not), as in 2D: they are laid out into the primitive's
     * layout on every call anyway, and {@link PaddedTaps} reads them.
     */
    @Override
    public boolean takesInPlace3d(Conv3dShape s, ConvPass pass, Tensor5D input, Tensor5D weight, Tensor5D third) {
        return supports3d(s, pass) && !(pass == ConvPass.FORWARD && SingleColumn.affects(s)) && inPlace(input, third);
    }

    /**
     * Whether oneDNN can read and write {@code a} and {@code b} where they are: native tensors of one layout (NCDHW,
     * oneDNN's {@code ncdhw}, or NDHWC, its {@code ndhwc}) in the platform's byte order, not overlapping
     * ({@link CallerMemory#usable}).
     */
    private static boolean inPlace(Tensor5D a, Tensor5D b) {
        if (!a.isNative() || !b.isNative() || a.layout() != b.layout()) {
            return false;
        }
        try (Tensor4D.Pin pa = a.pin(); Tensor4D.Pin pb = b.pin()) {
            return CallerMemory.usable(pa.buffer(), pb.buffer());
        }
    }

    private static boolean nativeOrder(Tensor5D t) {
        try (Tensor4D.Pin pin = t.pin()) {
            return pin.buffer().order() == ByteOrder.nativeOrder();
        }
    }

    /**
     * The forward pass into {@code output}. Native input and output of one layout ({@link #takesInPlace3d}) are read
     * and written in place: oneDNN's primitive reads the input and writes the output where they are, with activations
     * {@code ndhwc} for NDHWC tensors (no copy, no reorder), and for NCDHW tensors in the blocked layout oneDNN chose,
     * reordered from and to the caller's memory (no staging copy). Any other operands, a layer {@link SingleColumn}
     * narrows, and non-finite weights on a padded layer (which {@link PaddedTaps#forward} repairs in a heap NCDHW
     * output) run as {@link #forward3d} on heap NCDHW copies, the result copied into {@code output}.
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     * @throws IllegalArgumentException if an operand's shape is not {@code s}'s
     */
    @Override
    public Tensor5D forward3dInto(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias, Tensor5D output) {
        requireSupported3d(s, ConvPass.FORWARD);
        requireShapes(s, input, weight, output, "output");
        Tensor5D w = weight.toHeapNcdhw();
        if (!inPlace(input, output) || SingleColumn.affects(s) || PaddedTaps.padded(s)
                && PaddedTaps.hasNonFinite(w.data())) {
            return output.copyFrom(forward3d(s, input.toHeapNcdhw(), w, bias));
        }
        // pinned for the call: closing either on another thread cannot free the memory under oneDNN
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            forwardInPlace(Geometry.inPlace(s, s.batch(), bias != null, input.layout()), in.buffer(), w.data(), bias,
                    out.buffer());
        }
        return output;
    }

    /**
     * oneDNN's backward-data and backward-weights primitives (with bias gradient), in batch parts as 2D. Native input
     * and {@code dL/dy} of one layout ({@link #takesInPlace3d}) are read in place, and {@code dL/dx} is written in
     * place into a new native tensor of their layout, reordered only where a primitive's layout differs from theirs
     * (as {@link #forward3dInto}); {@code dL/dw} comes heap NCDHW. Other operands run on heap NCDHW copies, where
     * backward-data gets the weights with non-finite values zeroed and {@link PaddedTaps} adds their exact share of
     * {@code dL/dx}; weights with a non-finite value take that path from native operands too. Both paths put back the
     * NaN of non-finite {@code dL/dy} on padded taps of {@code dL/dw}.
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     * @throws IllegalArgumentException if an operand's shape is not {@code s}'s
     */
    @Override
    public Conv3dGradients backward3d(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        requireSupported3d(s, ConvPass.BACKWARD);
        requireShapes(s, input, weight, gradOutput, "gradOutput");
        Tensor5D w = weight.toHeapNcdhw();
        if (!inPlace(input, gradOutput) || PaddedTaps.hasNonFinite(w.data())) {
            return backwardOnHeap(s, input.toHeapNcdhw(), w, gradOutput.toHeapNcdhw());
        }
        Tensor5D dx = Tensor5D.allocateNative(input.layout(), s.batch(), s.inChannels(), s.depth().in(),
                s.rows().in(), s.cols().in());
        Tensor5D dw = s.newWeight();
        float[] db = new float[s.outChannels()];
        try (Tensor4D.Pin x = input.pin(); Tensor4D.Pin dy = gradOutput.pin(); Tensor4D.Pin out = dx.pin()) {
            backwardInPlace(Geometry.inPlace(s, s.batch(), true, input.layout()), ConvPass.BACKWARD, x.buffer(),
                    w.data(), dy.buffer(), out.buffer(), dw.data(), db);
        } catch (RuntimeException | Error e) {
            dx.close();
            throw e;
        }
        PaddedTaps.weightGradient(s, () -> gradOutput.toHeapNcdhw().data(), dw.data());
        return new Conv3dGradients(dx, dw, db);
    }

    /** {@link #backward3d} on heap NCDHW operands. */
    private Conv3dGradients backwardOnHeap(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
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

    /**
     * {@code dL/dx} alone: oneDNN's backward-data primitive, without backward-weights (half the work of {@link
     * #backward3d}). A native {@code dL/dy} in the platform's byte order is read in place and {@code dL/dx} written in
     * place into a new native tensor of its layout ({@link #takesInPlace3d} has checked that the input has that form
     * too); other operands, and weights with a non-finite value, run on heap NCDHW copies with {@link
     * PaddedTaps#inputGradient}'s repair.
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     * @throws IllegalArgumentException if an operand's shape is not {@code s}'s
     */
    @Override
    public Tensor5D inputGradient3d(Conv3dShape s, Tensor5D weight, Tensor5D gradOutput) {
        requireSupported3d(s, ConvPass.BACKWARD);
        requireShapes(s, null, weight, gradOutput, "gradOutput");
        Tensor5D w = weight.toHeapNcdhw();
        float[] finite = PaddedTaps.finiteWeights(w.data());
        if (gradOutput.isNative() && nativeOrder(gradOutput) && finite == w.data()) {
            Tensor5D dx = Tensor5D.allocateNative(gradOutput.layout(), s.batch(), s.inChannels(), s.depth().in(),
                    s.rows().in(), s.cols().in());
            try (Tensor4D.Pin dy = gradOutput.pin(); Tensor4D.Pin out = dx.pin()) {
                backwardInPlace(Geometry.inPlace(s, s.batch(), false, gradOutput.layout()), ConvPass.INPUT_GRADIENT,
                        null, w.data(), dy.buffer(), out.buffer(), null, null);
            } catch (RuntimeException | Error e) {
                dx.close();
                throw e;
            }
            return dx;
        }
        Tensor5D dy = gradOutput.toHeapNcdhw();
        Tensor5D dx = s.newInput();
        backward(Geometry.of(s, s.batch(), false), ConvPass.INPUT_GRADIENT, null, finite, dy.data(), dx.data(), null,
                null);
        PaddedTaps.inputGradient(s, w.data(), finite, dy.data(), dx.data());
        return dx;
    }

    /**
     * {@code dL/dw} alone: oneDNN's backward-weights primitive without bias gradient, without backward-data (half the
     * work of {@link #backward3d}). Native input and {@code dL/dy} of one layout are read in place; {@code dL/dw} comes
     * heap NCDHW, with the NaN of non-finite {@code dL/dy} on padded taps put back ({@link PaddedTaps#weightGradient}).
     *
     * @throws UnsupportedOperationException for a layer {@link #supports3d} declines
     * @throws IllegalArgumentException if an operand's shape is not {@code s}'s
     */
    @Override
    public Tensor5D weightGradient3d(Conv3dShape s, Tensor5D input, Tensor5D gradOutput) {
        requireSupported3d(s, ConvPass.BACKWARD);
        requireShapes(s, input, null, gradOutput, "gradOutput");
        Tensor5D dw = s.newWeight();
        if (inPlace(input, gradOutput)) {
            try (Tensor4D.Pin x = input.pin(); Tensor4D.Pin dy = gradOutput.pin()) {
                backwardInPlace(Geometry.inPlace(s, s.batch(), false, input.layout()), ConvPass.WEIGHT_GRADIENT,
                        x.buffer(), null, dy.buffer(), null, dw.data(), null);
            }
            PaddedTaps.weightGradient(s, () -> gradOutput.toHeapNcdhw().data(), dw.data());
            return dw;
        }
        Tensor5D x = input.toHeapNcdhw();
        Tensor5D dy = gradOutput.toHeapNcdhw();
        backward(Geometry.of(s, s.batch(), false), ConvPass.WEIGHT_GRADIENT, x.data(), null, dy.data(), null,
                dw.data(), null);
        PaddedTaps.weightGradient(s, dy.data(), dw.data());
        return dw;
    }

    /**
     * Checks, before oneDNN reads or writes them where they are, that the operands have {@code s}'s shapes (those
     * given; null ones are not read): input and weight, and {@code third} the output or {@code dL/dy} ({@code
     * thirdName}), of the output's shape. {@link org.conv4j.api.Conv3d} has validated its calls already; this guards
     * a direct call of the methods, where a smaller native tensor would have oneDNN read or write past its end.
     */
    private static void requireShapes(Conv3dShape s, Tensor5D input, Tensor5D weight, Tensor5D third,
                                      String thirdName) {
        requireShape("input", input, s.batch(), s.inChannels(), s.depth().in(), s.rows().in(), s.cols().in());
        requireShape("weight", weight, s.outChannels(), s.inChannelsPerGroup(), s.depth().kernel(), s.rows().kernel(),
                s.cols().kernel());
        requireShape(thirdName, third, s.batch(), s.outChannels(), s.depth().out(), s.rows().out(), s.cols().out());
    }

    private static void requireShape(String name, Tensor5D t, int n, int c, int d, int h, int w) {
        if (t != null && !t.hasShape(n, c, d, h, w)) {
            throw new IllegalArgumentException(name + ": expected shape " + Tensor5D.shapeString(n, c, d, h, w)
                    + " for the validated geometry, got " + t.shapeString());
        }
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
     * Native input and output in one layout, in the platform's byte order and not overlapping
     * ({@link CallerMemory#usable}), are used in place
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
            return CallerMemory.usable(in.buffer(), out.buffer());
        }
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
        forwardParts(whole, w, b, (plan, ctx, first) -> plan.run(ctx, x, y, first));
    }

    /**
     * The forward pass of the call of geometry {@code whole} ({@link Geometry#inPlace()}) on the caller's native
     * memory, pinned by the caller for the call: {@code x} and {@code y} are views of the whole input and output in
     * the geometry's activation layout, and each part's primitive reads and writes them at the part's first image
     * ({@link ForwardPlan#runInPlace}). Parts and grant as {@link #forwardParts(Geometry, float[], float[], float[],
     * float[])}.
     */
    private void forwardInPlace(Geometry whole, FloatBuffer x, float[] w, float[] b, FloatBuffer y) {
        forwardParts(whole, w, b, (plan, ctx, first) -> plan.runInPlace(ctx, at(x, first * whole.imageFloats()),
                at(y, first * whole.outImageFloats())));
    }

    /** One part of a forward call: images {@code first .. first + plan.geometry.batch() - 1}, weights loaded. */
    private interface ForwardPart {
        void run(ForwardPlan plan, Context ctx, int first);
    }

    /**
     * Runs a forward call of geometry {@code whole} in parts of whole images that fit the workspace limit and the
     * budget's grant ({@link BudgetedParts}), on one context: each part's plan gets the weights (and bias, null
     * without) loaded once, then {@code part} computes its images.
     */
    private void forwardParts(Geometry whole, float[] w, float[] b, ForwardPart part) {
        WorkspaceBudget.Planned<Integer> granted = BudgetedParts.acquire(this, whole, ConvPass.FORWARD);
        int images = granted.plan();
        Context ctx = contexts.acquire(granted.grant());
        try {
            ForwardPlan loaded = null;
            for (int first = 0; first < whole.batch(); first += images) {
                ForwardPlan plan = forwardPlan(whole.withBatch(Math.min(images, whole.batch() - first)));
                reserve(ctx, plan.slotBytes, granted.grant());
                if (plan != loaded) {
                    plan.loadWeights(ctx, w, b, true);
                    loaded = plan;
                }
                part.run(plan, ctx, first);
            }
        } finally {
            contexts.release(ctx, granted.grant());
        }
    }

    /**
     * A pointer to float {@code offset} of {@code buffer} (a direct buffer over the caller's memory), where oneDNN
     * reads or writes a part's first image; null for a null buffer (an operand the pass does not read).
     */
    private static FloatPointer at(FloatBuffer buffer, long offset) {
        return buffer == null ? null : new FloatPointer(buffer.duplicate().position(Math.toIntExact(offset)).slice());
    }

    /**
     * The forward pass on native input and output of one layout ({@link #forwardsInPlace}), in parts of whole images
     * as {@link #forward(ConvShape, Tensor4D, Tensor4D, float[], Tensor4D)}: each part's primitive reads the input
     * and writes the output at the part's first image. Both stay pinned for the call, so closing them on another
     * thread cannot free the memory under oneDNN.
     */
    private Tensor4D forwardInPlace(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
            forwardInPlace(Geometry.of(s, s.batch(), bias != null, input.layout()), in.buffer(), weight.data(), bias,
                    out.buffer());
        }
        return output;
    }

    /**
     * Native activations of one layout in the platform's byte order ({@link CallerMemory#readable}; they are only
     * read, so they may share memory) are used in place by every backward pass: oneDNN's primitives read {@code x}
     * and {@code dL/dy} where they are and backward-data writes {@code dL/dx} into a new native tensor of their
     * layout, with {@code nhwc} primitives where {@link BackwardPlan} picks them for NHWC (no copy, no reorder) and
     * otherwise reorders from and to the caller's memory (no staging copy). Weights with a non-finite value run the
     * passes that compute {@code dL/dx} on heap copies ({@link #backward(ConvShape, Tensor4D, Tensor4D, Tensor4D)}),
     * where {@link PaddedTaps} repairs them.
     */
    @Override
    protected boolean backwardsInPlace(ConvShape s, ConvPass pass, Tensor4D activation, Tensor4D gradOutput) {
        if (!activation.isNative() || !gradOutput.isNative() || activation.layout() != gradOutput.layout()) {
            return false;
        }
        try (Tensor4D.Pin a = activation.pin(); Tensor4D.Pin dy = gradOutput.pin()) {
            return CallerMemory.readable(a.buffer()) && CallerMemory.readable(dy.buffer());
        }
    }

    /**
     * The gradients. Native operands come from {@link #backwardsInPlace} and run in place ({@link
     * #backwardInPlace(ConvShape, ConvPass, Tensor4D, Tensor4D, float[], float[], float[])}); heap NCHW ones are
     * copied into the context and out, where backward-data gets the weights with non-finite values zeroed and {@link
     * PaddedTaps} adds their exact share of {@code dL/dx}; both put back the NaN of non-finite {@code dL/dy} on padded
     * taps of {@code dL/dw}.
     */
    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        if (input.isNative()) {
            if (PaddedTaps.hasNonFinite(weight.data())) {
                ConvGradients g = backward(s, input.toHeapNchw(), weight, gradOutput.toHeapNchw());
                return new ConvGradients(nativeLike(input, g.input()), g.weight(), g.bias());
            }
            Tensor4D dw = s.newWeight();
            float[] db = new float[s.outChannels()];
            Tensor4D dx = backwardInPlace(s, ConvPass.BACKWARD, input, gradOutput, weight.data(), dw.data(), db);
            return new ConvGradients(dx, dw, db);
        }
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        float[] db = new float[s.outChannels()];
        float[] finite = PaddedTaps.finiteWeights(weight.data());
        backward(s, ConvPass.BACKWARD, input.data(), finite, gradOutput.data(), dx.data(), dw.data(), db);
        PaddedTaps.inputGradient(s, weight.data(), finite, gradOutput.data(), dx.data());
        PaddedTaps.weightGradient(s, gradOutput.data(), dw.data());
        return new ConvGradients(dx, dw, db);
    }

    /**
     * {@code dL/dx} alone: oneDNN's backward-data primitive, without backward-weights; in place for a native
     * {@code dL/dy} ({@link #backwardsInPlace}) unless a weight is not finite.
     */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        if (gradOutput.isNative()) {
            if (PaddedTaps.hasNonFinite(weight.data())) {
                return nativeLike(gradOutput, inputGradient(s, weight, gradOutput.toHeapNchw()));
            }
            return backwardInPlace(s, ConvPass.INPUT_GRADIENT, null, gradOutput, weight.data(), null, null);
        }
        Tensor4D dx = s.newInput();
        float[] finite = PaddedTaps.finiteWeights(weight.data());
        backward(s, ConvPass.INPUT_GRADIENT, null, finite, gradOutput.data(), dx.data(), null, null);
        PaddedTaps.inputGradient(s, weight.data(), finite, gradOutput.data(), dx.data());
        return dx;
    }

    /**
     * {@code dL/dw} alone: oneDNN's backward-weights primitive without bias gradient, without backward-data; in place
     * for native operands ({@link #backwardsInPlace}).
     */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        Tensor4D dw = s.newWeight();
        if (input.isNative()) {
            backwardInPlace(s, ConvPass.WEIGHT_GRADIENT, input, gradOutput, null, dw.data(), null);
            return dw;
        }
        backward(s, ConvPass.WEIGHT_GRADIENT, input.data(), null, gradOutput.data(), null, dw.data(), null);
        PaddedTaps.weightGradient(s, gradOutput.data(), dw.data());
        return dw;
    }

    /**
     * {@code pass} on the caller's native {@code x} (null for the input gradient) and {@code dL/dy}, of one layout
     * ({@link #backwardsInPlace}), with all-finite weights {@code w} (null for the weight gradient): {@code dL/dx}
     * (for the passes that compute it) into a new native tensor of that layout, which is returned (else null);
     * {@code dL/dw} and {@code dL/db} into {@code dw} and {@code db} (null where the pass has none), with the NaN of
     * non-finite {@code dL/dy} on padded taps put back. The tensors stay pinned for the call, so closing them on
     * another thread cannot free the memory under oneDNN.
     */
    private Tensor4D backwardInPlace(ConvShape s, ConvPass pass, Tensor4D x, Tensor4D dy, float[] w, float[] dw,
                                     float[] db) {
        Tensor4D dx = pass == ConvPass.WEIGHT_GRADIENT ? null
                : newNativeResult(dy.layout(), s.batch(), s.inChannels(), s.inH(), s.inW()); // backward-data writes all
        try (Tensor4D.Pin px = x == null ? null : x.pin(); Tensor4D.Pin pdy = dy.pin();
             Tensor4D.Pin pdx = dx == null ? null : dx.pin()) {
            backwardInPlace(Geometry.of(s, s.batch(), db != null, dy.layout()), pass, px == null ? null : px.buffer(),
                    w, pdy.buffer(), pdx == null ? null : pdx.buffer(), dw, db);
        } catch (RuntimeException | Error e) {
            if (dx != null) {
                dx.close();
            }
            throw e;
        }
        if (dw != null) {
            // the layers run in place read the input in every window (others pad explicitly, on the heap), so
            // dL/dy is read back only where dL/dw shows a non-finite value
            PaddedTaps.weightGradient(s, () -> dy.toHeapNchw().data(), dw);
        }
        return dx;
    }

    /** {@code result} (heap NCHW) copied into a new native tensor of {@code model}'s layout. */
    private static Tensor4D nativeLike(Tensor4D model, Tensor4D result) {
        return newNativeResult(model.layout(), result.n(), result.c(), result.h(), result.w()).copyFrom(result);
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
        backwardParts(whole, pass, w, dw, db, (plan, ctx, first, partDw, partDb) ->
                plan.run(ctx, x, dy, first, dx, partDw, partDb));
    }

    /**
     * {@code pass} (a backward one) of the call of geometry {@code whole} ({@link Geometry#inPlace()}) on the
     * caller's native memory, pinned by the caller for the call: {@code x}, {@code dy} and {@code dx} are views of
     * the whole input, {@code dL/dy} and {@code dL/dx} in the geometry's activation layout (null for those the pass
     * does not read or write), and each part's primitives read and write them at the part's first image ({@link
     * BackwardPlan#runInPlace}); {@code dw} and {@code db} get the sums over the parts. Parts and grant as the heap
     * path's.
     */
    private void backwardInPlace(Geometry whole, ConvPass pass, FloatBuffer x, float[] w, FloatBuffer dy,
                                 FloatBuffer dx, float[] dw, float[] db) {
        backwardParts(whole, pass, w, dw, db, (plan, ctx, first, partDw, partDb) -> plan.runInPlace(ctx,
                at(x, first * whole.imageFloats()), at(dy, first * whole.outImageFloats()),
                at(dx, first * whole.imageFloats()), partDw, partDb));
    }

    /**
     * One part of a backward call: images {@code first .. first + plan.geometry.batch() - 1}, weights loaded if the
     * plan reads them, this part's {@code dL/dw} and {@code dL/db} into {@code dw} and {@code db} (null for those
     * the pass does not compute).
     */
    private interface BackwardPart {
        void run(BackwardPlan plan, Context ctx, int first, float[] dw, float[] db);
    }

    /**
     * Runs {@code pass} of the call of geometry {@code whole} in parts of whole images that fit the workspace limit
     * and the budget's grant ({@link BudgetedParts}), on one context: the first part writes {@code dw} and {@code db}
     * (null for gradients the pass does not compute), every later one writes its own, added to them.
     */
    private void backwardParts(Geometry whole, ConvPass pass, float[] w, float[] dw, float[] db, BackwardPart part) {
        WorkspaceBudget.Planned<Integer> granted = BudgetedParts.acquire(this, whole, pass);
        int images = granted.plan();
        Context ctx = contexts.acquire(granted.grant());
        try {
            float[] partDw = images < whole.batch() && dw != null ? new float[dw.length] : null;
            float[] partDb = images < whole.batch() && db != null ? new float[db.length] : null;
            BackwardPlan loaded = null;
            for (int first = 0; first < whole.batch(); first += images) {
                BackwardPlan plan = backwardPlan(pass, whole.withBatch(Math.min(images, whole.batch() - first)));
                reserve(ctx, plan.slotBytes, granted.grant());
                if (plan != loaded && plan.readsWeights()) {
                    plan.loadWeights(ctx, w, true);
                }
                loaded = plan;
                if (first == 0) {
                    part.run(plan, ctx, first, dw, db);
                } else {
                    part.run(plan, ctx, first, partDw, partDb);
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
     * What the backward passes in place ({@link #backwardsInPlace}, and the prepared ones, {@link PreparedGradients})
     * skip of the heap path: copying {@code x}, {@code dL/dy} and {@code dL/dx} (those the pass has) into native memory
     * and out, and for NHWC also reordering them from and to NCHW.
     */
    @Override
    protected double backwardInPlaceSavingsNanos(ConvShape s, ConvPass pass, MemoryLayout layout) {
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

    /**
     * The bytes per {@link Context} slot of the plan of {@code pass} for the whole batch of the 3D layer {@code s}
     * with its activations in place in {@code layout} (for tests: which buffers such a call takes).
     */
    static long[] inPlaceSlotBytes(Conv3dShape s, ConvPass pass, boolean bias, MemoryLayout layout) {
        Geometry g = Geometry.inPlace(s, s.batch(), bias, layout);
        return (pass == ConvPass.FORWARD ? forwardPlan(g).slotBytes : backwardPlan(pass, g).slotBytes).clone();
    }

    /**
     * The kernels oneDNN chose for the 3D layer {@code s} with its activations in place in {@code layout}, forward
     * and backward (for reports and docs).
     */
    static String inPlaceImplementations(Conv3dShape s, MemoryLayout layout) {
        return forwardPlan(Geometry.inPlace(s, s.batch(), true, layout)).implementation + " | "
                + backwardPlan(ConvPass.BACKWARD, Geometry.inPlace(s, s.batch(), true, layout)).implementation;
    }

    /** The implementations oneDNN chose for this geometry, forward and backward (for reports and docs). */
    static String implementations(ConvShape s, boolean bias) {
        return forwardPlan(Geometry.of(s, s.batch(), bias)).implementation + " | "
                + backwardPlan(ConvPass.BACKWARD, Geometry.of(s, s.batch(), true)).implementation;
    }
}
