package org.conv4j.onednn;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.conv4j.api.MemoryLayout;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

/**
 * The forward pass of one {@link Geometry}: oneDNN's convolution primitive (prop kind
 * {@code forward_inference}, algorithm {@code convolution_direct}, every layout {@code any} so that oneDNN
 * picks its optimised kernels for its preferred blocked layouts), and the reorders from and to conv4j's
 * plain layouts. With plain {@code nchw}/{@code oihw} layouts forced instead, oneDNN falls back to a
 * reference kernel that is two to three orders of magnitude slower.
 *
 * <p>Immutable after construction and shared by concurrent calls: every primitive runs with a
 * user-provided scratchpad from the call's own {@link Context}.
 */
final class ForwardPlan {

    // Buffer slots of a Context (the scratchpad is Context.SCRATCHPAD)
    static final int STAGE = 0;
    static final int SRC = 1;
    static final int DST = 2;
    static final int BIAS = 5;
    /**
     * Slots no {@link BackwardPlan} uses, so that the weights a call leaves there (plain and in the primitive's
     * layout) serve the next call of the plan ({@link Context#inKept}).
     */
    static final int WEIGHTS = 10;
    static final int WEIGHTS_PLAIN = 12;

    final Geometry geometry;
    final Transfer src;
    final Transfer weights;
    final Transfer dst;
    /** The bias layout (plain, one dimension), or null without bias. */
    final memory.desc bias;
    /** The convolution's scratchpad, or null if it needs none. */
    final memory.desc scratchpad;
    /** Bytes each slot needs for one call of this plan. */
    final long[] slotBytes = new long[Context.SLOTS];
    /** Their sum: the native memory one call of this plan uses. */
    final long workspaceBytes;
    /** oneDNN's name of the kernel it chose, e.g. {@code brg_conv_fwd:avx512_core}. */
    final String implementation;

    private final convolution_forward.primitive_desc pd;
    /** Created on first use: a plan made only to size a batch split generates no code. */
    private final Lazy<convolution_forward> primitive;

    ForwardPlan(Geometry g) {
        this.geometry = g;
        // channels-last activations are taken as they are (oneDNN's kernels read and write nhwc / ndhwc directly);
        // otherwise oneDNN chooses (its plain nchw kernels are reference ones). Should channels-last lead to a
        // reference kernel, oneDNN chooses too, and the transfers reorder from and to the caller's layout.
        convolution_forward.primitive_desc chosen = g.activations() == MemoryLayout.NHWC
                ? describe(g, g.channelsLastTag()) : describe(g, memory.format_tag.any);
        if (g.activations() == MemoryLayout.NHWC && isReference(chosen)) {
            chosen = describe(g, memory.format_tag.any);
        }
        pd = chosen;
        src = Transfer.in(Dnnl.desc(g.activationsTag(), g.srcDims()), pd.src_desc());
        weights = Transfer.in(Dnnl.desc(g.weightsTag(), g.weightsDims()), pd.weights_desc());
        dst = Transfer.out(pd.dst_desc(), Dnnl.desc(g.activationsTag(), g.dstDims()));
        bias = g.bias() ? Dnnl.requirePlain(pd.bias_desc(), g.filters()) : null;
        memory.desc sp = pd.scratchpad_desc();
        scratchpad = sp.get_size() > 0 ? sp : null;
        implementation = pd.impl_info_str().getString();
        primitive = new Lazy<>(() -> new convolution_forward(pd));

        slotBytes[STAGE] = Math.max(src.stagingBytes(), dst.stagingBytes());
        slotBytes[SRC] = src.innerBytes();
        slotBytes[DST] = dst.innerBytes();
        slotBytes[WEIGHTS_PLAIN] = weights.stagingBytes();
        slotBytes[WEIGHTS] = weights.innerBytes();
        slotBytes[BIAS] = bias == null ? 0 : bias.get_size();
        slotBytes[Context.SCRATCHPAD] = max(scratchpad == null ? 0 : scratchpad.get_size(),
                src.scratchpadBytes(), weights.scratchpadBytes(), dst.scratchpadBytes());
        if (g.inPlace()) {
            // used only in place (runInPlace): no staging copy, and no buffer where oneDNN reads the caller's memory
            slotBytes[STAGE] = 0;
            slotBytes[SRC] = src.identity() ? 0 : slotBytes[SRC];
            slotBytes[DST] = dst.identity() ? 0 : slotBytes[DST];
        }
        workspaceBytes = Context.roundSlots(slotBytes);
    }

    /** The forward primitive descriptor of {@code g} with activations in layout {@code activations}. */
    private static convolution_forward.primitive_desc describe(Geometry g, memory.format_tag activations) {
        try (primitive_attr attr = Dnnl.userScratchpad()) {
            memory.desc biasAny = g.bias() ? Dnnl.desc(memory.format_tag.any, g.filters()) : null;
            memory.desc srcAny = Dnnl.desc(activations, g.srcDims());
            memory.desc weightsAny = Dnnl.desc(memory.format_tag.any, g.weightsDims());
            memory.desc dstAny = Dnnl.desc(activations, g.dstDims());
            return g.bias()
                    ? new convolution_forward.primitive_desc(Dnnl.engine(), dnnl.prop_kind.forward_inference,
                            dnnl.algorithm.convolution_direct, srcAny, weightsAny, biasAny, dstAny, g.strides(),
                            g.dilates(), g.paddingL(), g.paddingR(), attr, false)
                    : new convolution_forward.primitive_desc(Dnnl.engine(), dnnl.prop_kind.forward_inference,
                            dnnl.algorithm.convolution_direct, srcAny, weightsAny, dstAny, g.strides(),
                            g.dilates(), g.paddingL(), g.paddingR(), attr, false);
        }
    }

    /** Whether oneDNN chose a reference kernel ({@code ref:any} and the like), two to three orders slower. */
    static boolean isReference(convolution_forward.primitive_desc pd) {
        return pd.impl_info_str().getString().contains("ref");
    }

    static long max(long... values) {
        long m = 0;
        for (long v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /**
     * Brings the weights (and bias) of a call into this plan's layouts, in the context's buffers; with {@code keep},
     * not again where the context still holds them from equal floats ({@link Context#inWhole}).
     */
    void loadWeights(Context ctx, float[] w, float[] b, boolean keep) {
        ctx.inWhole(weights, w, WEIGHTS_PLAIN, WEIGHTS, keep);
        if (b != null) {
            ctx.load(b, 0, b.length, bias, BIAS);
        }
    }

    /**
     * Runs on the caller's native memory in place: {@code x} and {@code y} point at this part's first image of
     * the input and the output, in the geometry's activation layout. Where the primitive's layout is that layout
     * (channels-last, unless oneDNN had only a reference kernel for it) oneDNN reads and writes them directly;
     * otherwise it reorders from and to them, with no staging copy.
     */
    void runInPlace(Context ctx, Pointer x, Pointer y) {
        memory userSrc = ctx.userMemory(src.plain, x, Context.USER_SRC);
        memory userDst = ctx.userMemory(dst.plain, y, Context.USER_DST);
        memory srcMemory = userSrc;
        if (!src.identity()) {
            srcMemory = ctx.memory(src.inner, SRC);
            ctx.reorder(src, userSrc, srcMemory);
        }
        memory dstMemory = dst.identity() ? userDst : ctx.memory(dst.inner, DST);
        convolve(ctx, srcMemory, dstMemory);
        if (!dst.identity()) {
            ctx.reorder(dst, dstMemory, userDst);
        }
    }

    /**
     * Computes images {@code first .. first + geometry.batch() - 1} of {@code y} from those of {@code x},
     * with the weights (and bias) {@link #loadWeights loaded} into the context.
     */
    void run(Context ctx, float[] x, float[] y, int first) {
        Geometry g = geometry;
        int inLength = (int) (g.batch() * g.imageFloats());
        int outLength = (int) (g.batch() * g.outImageFloats());
        memory srcMemory = ctx.in(src, x, (int) (first * g.imageFloats()), inLength, STAGE, SRC);
        memory dstMemory = ctx.memory(dst.inner, DST);
        convolve(ctx, srcMemory, dstMemory);
        ctx.out(dst, dstMemory, DST, STAGE, y, (int) (first * g.outImageFloats()), outLength);
    }

    /** Runs the convolution from {@code srcMemory} into {@code dstMemory} with the context's loaded weights and bias. */
    private void convolve(Context ctx, memory srcMemory, memory dstMemory) {
        convolution_forward p = primitive.get();
        IntMemoryMap args = ctx.args(p);
        args.put(DNNL_ARG_SRC, srcMemory);
        args.put(DNNL_ARG_WEIGHTS, ctx.memory(weights.inner, WEIGHTS));
        if (bias != null) {
            args.put(DNNL_ARG_BIAS, ctx.memory(bias, BIAS));
        }
        args.put(DNNL_ARG_DST, dstMemory);
        ctx.execute(p, args, scratchpad);
    }
}
