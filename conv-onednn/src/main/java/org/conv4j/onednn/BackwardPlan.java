package org.conv4j.onednn;

import org.conv4j.api.ConvPass;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Pointer;
import org.conv4j.api.MemoryLayout;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

/**
 * A backward pass of one {@link Geometry}: oneDNN's backward-data primitive ({@code dL/dx} from {@code dL/dy}
 * and the weights) and/or backward-weights primitive ({@code dL/dw}, and {@code dL/db} if the geometry has a
 * bias, from the input and {@code dL/dy}), as the pass asks: {@link ConvPass#BACKWARD} both,
 * {@link ConvPass#INPUT_GRADIENT} backward-data alone, {@link ConvPass#WEIGHT_GRADIENT} backward-weights alone. Both
 * are created with a forward {@code forward_training} primitive descriptor as the hint oneDNN requires, the
 * activations in the layout {@link #activationsTag} picks, the weights {@code any}; and the reorders between the
 * primitives' layouts and the tensors' own: conv4j's plain ones, or {@code nhwc} activations where the geometry's
 * are channels-last (a prepared pass's native tensors, {@link PreparedGradients}).
 *
 * <p>Immutable after construction and shared by concurrent calls, as {@link ForwardPlan}.
 */
final class BackwardPlan {

    // Buffer slots of a Context (the scratchpad is Context.SCRATCHPAD)
    static final int STAGE = 0;
    static final int SRC = 1;
    static final int DIFF_DST = 2;
    static final int DIFF_DST_FOR_WEIGHTS = 3;
    static final int DIFF_SRC = 4;
    /** Slots no {@link ForwardPlan} uses (as {@link ForwardPlan#WEIGHTS}). */
    static final int WEIGHTS = 6;
    static final int WEIGHTS_PLAIN = 13;
    static final int DIFF_WEIGHTS = 7;
    static final int DIFF_WEIGHTS_PLAIN = 8;
    static final int DIFF_BIAS = 9;

    final Geometry geometry;
    final ConvPass pass;
    /** The input, as backward-weights reads it; null without backward-weights. */
    final Transfer src;
    /** {@code dL/dy}, as the first primitive (backward-data if present, else backward-weights) reads it. */
    final Transfer diffDst;
    /** {@code dL/dy}, as backward-weights reads it after backward-data; null if that is {@link #diffDst}'s layout. */
    final Transfer diffDstForWeights;
    /** The weights, as backward-data reads them; null without backward-data. */
    final Transfer weights;
    /** {@code dL/dx}; null without backward-data. */
    final Transfer diffSrc;
    /** {@code dL/dw}; null without backward-weights. */
    final Transfer diffWeights;
    /** {@code dL/db} (plain); null without backward-weights or bias. */
    final memory.desc diffBias;
    final memory.desc dataScratchpad;
    final memory.desc weightsScratchpad;
    final long[] slotBytes = new long[Context.SLOTS];
    final long workspaceBytes;
    /** oneDNN's names of the kernels it chose. */
    final String implementation;

    private final convolution_backward_data.primitive_desc dataPd;
    private final convolution_backward_weights.primitive_desc weightsPd;
    /** Created on first use, as in {@link ForwardPlan}. */
    private final Lazy<convolution_backward_data> dataPrimitive;
    private final Lazy<convolution_backward_weights> weightsPrimitive;

    /** The primitive descriptors of a pass (null where the pass does not run that primitive). */
    private record Descriptors(convolution_backward_data.primitive_desc data,
                               convolution_backward_weights.primitive_desc weights) {
        String implementation() {
            return (data == null ? "-" : data.impl_info_str().getString()) + " / "
                    + (weights == null ? "-" : weights.impl_info_str().getString());
        }
    }

    /** oneDNN's name of the input-gradient kernel it chose ({@code -} if the pass does not compute dL/dx). */
    String dataImplementation() {
        return dataPd == null ? "-" : dataPd.impl_info_str().getString();
    }

    /** oneDNN's name of the weight-gradient kernel it chose ({@code -} if the pass does not compute dL/dw). */
    String weightsImplementation() {
        return weightsPd == null ? "-" : weightsPd.impl_info_str().getString();
    }

    BackwardPlan(Geometry g, ConvPass pass) {
        this.geometry = g;
        this.pass = pass;
        Descriptors d = describe(g, pass, activationsTag(g));
        if (d.implementation().contains("ref")) {
            d = describe(g, pass, memory.format_tag.any);
        }
        dataPd = d.data();
        weightsPd = d.weights();
        implementation = d.implementation();

        // the activations' own layout: conv4j's heap arrays (plain channels-first), or the caller's tensors in place
        memory.desc plainSrc = Dnnl.desc(g.activationsTag(), g.srcDims());
        memory.desc plainDst = Dnnl.desc(g.activationsTag(), g.dstDims());
        memory.desc plainWeights = Dnnl.desc(g.weightsTag(), g.weightsDims());
        boolean data = dataPd != null;
        boolean weight = weightsPd != null;
        diffDst = Transfer.in(plainDst, data ? dataPd.diff_dst_desc() : weightsPd.diff_dst_desc());
        diffDstForWeights = data && weight && !weightsPd.diff_dst_desc().equals(diffDst.inner)
                ? Transfer.in(plainDst, weightsPd.diff_dst_desc()) : null;
        weights = data ? Transfer.in(plainWeights, dataPd.weights_desc()) : null;
        diffSrc = data ? Transfer.out(dataPd.diff_src_desc(), plainSrc) : null;
        src = weight ? Transfer.in(plainSrc, weightsPd.src_desc()) : null;
        diffWeights = weight ? Transfer.out(weightsPd.diff_weights_desc(), plainWeights) : null;
        diffBias = weight && g.bias() ? Dnnl.requirePlain(weightsPd.diff_bias_desc(), g.filters()) : null;
        dataScratchpad = data ? nonEmpty(dataPd.scratchpad_desc()) : null;
        weightsScratchpad = weight ? nonEmpty(weightsPd.scratchpad_desc()) : null;
        dataPrimitive = new Lazy<>(() -> new convolution_backward_data(dataPd));
        weightsPrimitive = new Lazy<>(() -> new convolution_backward_weights(weightsPd));
        workspaceBytes = sizeSlots();
    }

    /**
     * The layout of the activations ({@code x}, {@code dL/dy}, {@code dL/dx}) the primitives are created with:
     * channels-last ({@code ndhwc}) for 3D activations in that layout in the caller's memory, which oneDNN's kernels
     * then read and write as they are (the 2D rule below was measured in 2D only, and a 3D call in place would
     * otherwise reorder all three activations); {@code nhwc} for ungrouped stride-1 2D layers with kernels larger than
     * 1x1, where oneDNN 3.11 then computes backward-data as a brgemm forward convolution ({@code brg_conv_bwd}) and
     * both backward kernels ran faster than with the {@code nChw16c} layout {@code any} leads to; and for every
     * ungrouped or depthwise 2D layer on native NHWC activations, which oneDNN's kernels then read and write in place:
     * there the alternative is the blocked kernels behind reorders from and to the caller's memory, and the reorders
     * cost more than those kernels save (at batch 8, prepared, ResNet-50 1.25x the kernel limit in all against 1.34x,
     * MobileNet v1's depthwise layers 1.5x against 2.8x; from heap NCHW arrays the reorder into {@code nhwc} made the
     * depthwise layers slower, 82 ms against 62); {@code any} for every other layer, other 3D layers included
     * (docs/onednn.md, sections 1 and 11). A choice that ends in a reference kernel is replaced by {@code any}.
     */
    static memory.format_tag activationsTag(Geometry g) {
        if (g.volumetric() && g.activations() == MemoryLayout.NHWC) {
            return g.channelsLastTag();
        }
        return !g.volumetric() && isNhwcLayer(g) ? memory.format_tag.nhwc : memory.format_tag.any;
    }

    /**
     * Whether {@link #activationsTag} picks {@code nhwc}: on native NHWC activations an ungrouped or depthwise (one
     * input channel per group) layer; on plain ones an ungrouped layer with a kernel above 1x1 and unit strides.
     */
    static boolean isNhwcLayer(Geometry g) {
        boolean depthwise = g.groups() > 1 && g.groups() == g.channels();
        if (g.activations() == MemoryLayout.NHWC) {
            return g.groups() == 1 || depthwise;
        }
        return g.groups() == 1 && g.unitStrides() && !g.pointwise();
    }

    /** The primitive descriptors of {@code pass}, with the activations in layout {@code activations}. */
    private static Descriptors describe(Geometry g, ConvPass pass, memory.format_tag activations) {
        try (primitive_attr attr = Dnnl.userScratchpad()) {
            memory.desc src = Dnnl.desc(activations, g.srcDims());
            memory.desc weights = Dnnl.desc(memory.format_tag.any, g.weightsDims());
            memory.desc bias = g.bias() ? Dnnl.desc(memory.format_tag.any, g.filters()) : null;
            memory.desc dst = Dnnl.desc(activations, g.dstDims());
            try (convolution_forward.primitive_desc hint = forwardTraining(g, attr, src, weights, bias, dst)) {
                convolution_backward_data.primitive_desc data = pass == ConvPass.WEIGHT_GRADIENT ? null
                        : new convolution_backward_data.primitive_desc(Dnnl.engine(), dnnl.algorithm.convolution_direct,
                                src, weights, dst, g.strides(), g.dilates(), g.paddingL(), g.paddingR(), hint, attr,
                                false);
                convolution_backward_weights.primitive_desc weightsPd = pass == ConvPass.INPUT_GRADIENT ? null
                        : bias != null
                        ? new convolution_backward_weights.primitive_desc(Dnnl.engine(),
                                dnnl.algorithm.convolution_direct, src, weights, bias, dst, g.strides(), g.dilates(),
                                g.paddingL(), g.paddingR(), hint, attr, false)
                        : new convolution_backward_weights.primitive_desc(Dnnl.engine(),
                                dnnl.algorithm.convolution_direct, src, weights, dst, g.strides(), g.dilates(),
                                g.paddingL(), g.paddingR(), hint, attr, false);
                return new Descriptors(data, weightsPd);
            }
        }
    }

    /** The {@code forward_training} descriptor the backward primitives take as their hint. */
    private static convolution_forward.primitive_desc forwardTraining(Geometry g, primitive_attr attr,
            memory.desc src, memory.desc weights, memory.desc bias, memory.desc dst) {
        return bias != null
                ? new convolution_forward.primitive_desc(Dnnl.engine(), dnnl.prop_kind.forward_training,
                        dnnl.algorithm.convolution_direct, src, weights, bias, dst, g.strides(), g.dilates(),
                        g.paddingL(), g.paddingR(), attr, false)
                : new convolution_forward.primitive_desc(Dnnl.engine(), dnnl.prop_kind.forward_training,
                        dnnl.algorithm.convolution_direct, src, weights, dst, g.strides(), g.dilates(),
                        g.paddingL(), g.paddingR(), attr, false);
    }

    /** Fills {@link #slotBytes} with the bytes of every buffer this plan uses; returns their sum (whole pages). */
    private long sizeSlots() {
        slotBytes[STAGE] = ForwardPlan.max(stagingBytes(src), diffDst.stagingBytes(), stagingBytes(diffDstForWeights),
                stagingBytes(diffSrc));
        slotBytes[SRC] = innerBytes(src);
        slotBytes[DIFF_DST] = diffDst.innerBytes();
        slotBytes[DIFF_DST_FOR_WEIGHTS] = innerBytes(diffDstForWeights);
        slotBytes[DIFF_SRC] = innerBytes(diffSrc);
        slotBytes[WEIGHTS_PLAIN] = stagingBytes(weights);
        slotBytes[WEIGHTS] = innerBytes(weights);
        slotBytes[DIFF_WEIGHTS] = innerBytes(diffWeights);
        slotBytes[DIFF_WEIGHTS_PLAIN] = stagingBytes(diffWeights);
        slotBytes[DIFF_BIAS] = size(diffBias);
        slotBytes[Context.SCRATCHPAD] = ForwardPlan.max(size(dataScratchpad), size(weightsScratchpad),
                scratchpadBytes(src), diffDst.scratchpadBytes(), scratchpadBytes(diffDstForWeights),
                scratchpadBytes(weights), scratchpadBytes(diffSrc), scratchpadBytes(diffWeights));
        if (geometry.inPlace()) {
            // runInPlace: oneDNN reads x and dL/dy and writes dL/dx in the caller's memory, so no staging copy, and
            // no buffer for an activation whose primitive layout is the caller's own (read or written directly)
            slotBytes[STAGE] = 0;
            slotBytes[SRC] = reordered(src) ? slotBytes[SRC] : 0;
            slotBytes[DIFF_DST] = reordered(diffDst) ? slotBytes[DIFF_DST] : 0;
            slotBytes[DIFF_DST_FOR_WEIGHTS] = reordered(diffDstForWeights) ? slotBytes[DIFF_DST_FOR_WEIGHTS] : 0;
            slotBytes[DIFF_SRC] = reordered(diffSrc) ? slotBytes[DIFF_SRC] : 0;
        }
        return Context.roundSlots(slotBytes);
    }

    /** Whether {@code t} exists and needs a reorder (the primitive's layout differs from the plain one). */
    private static boolean reordered(Transfer t) {
        return t != null && !t.identity();
    }

    private static long stagingBytes(Transfer t) {
        return t == null ? 0 : t.stagingBytes();
    }

    private static long innerBytes(Transfer t) {
        return t == null ? 0 : t.innerBytes();
    }

    private static long scratchpadBytes(Transfer t) {
        return t == null ? 0 : t.scratchpadBytes();
    }

    private static memory.desc nonEmpty(memory.desc d) {
        return d.get_size() > 0 ? d : null;
    }

    private static long size(memory.desc d) {
        return d == null ? 0 : d.get_size();
    }

    /** Whether this plan needs the weights ({@link #loadWeights}): it computes {@code dL/dx}. */
    boolean readsWeights() {
        return weights != null;
    }

    /**
     * Brings the weights of a call into backward-data's layout, in the context's buffers; with {@code keep}, not again
     * where the context still holds them from equal floats ({@link Context#inWhole}).
     */
    void loadWeights(Context ctx, float[] w, boolean keep) {
        ctx.inWhole(weights, w, WEIGHTS_PLAIN, WEIGHTS, keep);
    }

    /**
     * The gradients of images {@code first .. first + geometry.batch() - 1}: writes their {@code dL/dx} into
     * {@code dx} (with backward-data), and this part's {@code dL/dw} and {@code dL/db} into {@code dw} and
     * {@code db} (with backward-weights; {@code db} only with bias; the caller sums the parts), with the
     * weights {@link #loadWeights loaded} into the context if {@link #readsWeights()}. Arrays of gradients the
     * pass does not compute, and {@code x} without backward-weights, may be null.
     */
    void run(Context ctx, float[] x, float[] dy, int first, float[] dx, float[] dw, float[] db) {
        Geometry g = geometry;
        int inOffset = (int) (first * g.imageFloats());
        int inLength = (int) (g.batch() * g.imageFloats());
        int outOffset = (int) (first * g.outImageFloats());
        int outLength = (int) (g.batch() * g.outImageFloats());

        memory srcMemory = src == null ? null : ctx.in(src, x, inOffset, inLength, STAGE, SRC);
        // dy last: the stage keeps its plain copy until both primitives' layouts are made from it
        memory diffDstMemory = ctx.in(diffDst, dy, outOffset, outLength, STAGE, DIFF_DST);
        memory weightsDiffDstMemory = diffDstForWeights == null ? diffDstMemory
                : diffDstForWeights(ctx, dy, outOffset, outLength);
        memory diffSrcMemory = diffSrc == null ? null
                : executeData(ctx, diffDstMemory, ctx.memory(diffSrc.inner, DIFF_SRC));
        memory diffWeightsMemory = diffWeights == null ? null : executeWeights(ctx, srcMemory, weightsDiffDstMemory);
        if (diffSrcMemory != null) {
            ctx.out(diffSrc, diffSrcMemory, DIFF_SRC, STAGE, dx, inOffset, inLength);
        }
        if (diffWeightsMemory != null) {
            ctx.out(diffWeights, diffWeightsMemory, DIFF_WEIGHTS, DIFF_WEIGHTS_PLAIN, dw, 0, dw.length);
        }
        if (diffBias != null) {
            ctx.buffer(DIFF_BIAS, 0).get(db, 0, db.length);
        }
    }

    /** {@code dL/dy} in backward-weights' layout, from the plain copy in the stage (or copied in again). */
    private memory diffDstForWeights(Context ctx, float[] dy, int offset, int length) {
        if (diffDstForWeights.identity() || diffDst.identity()) {
            // no plain copy in the stage to reorder from: bring dy in again
            return ctx.in(diffDstForWeights, dy, offset, length, STAGE, DIFF_DST_FOR_WEIGHTS);
        }
        memory m = ctx.memory(diffDstForWeights.inner, DIFF_DST_FOR_WEIGHTS);
        ctx.reorder(diffDstForWeights, ctx.memory(diffDstForWeights.plain, STAGE), m);
        return m;
    }

    /**
     * The gradients of this part on the caller's native memory, in place ({@link Geometry#inPlace()}): {@code x},
     * {@code dy} and {@code dx} point at this part's first image of the input, {@code dL/dy} and {@code dL/dx}, in
     * the geometry's activation layout ({@code x} may be null without backward-weights, {@code dx} without
     * backward-data). Each primitive reads {@code x} and {@code dL/dy}, and backward-data writes {@code dL/dx},
     * where they are when its layout is theirs; otherwise oneDNN reorders from them into the context's buffers (and
     * from the buffer into {@code dx}), with no staging copy. {@code dL/dw} and {@code dL/db} go to {@code dw} and
     * {@code db} as in {@link #run}, with the weights {@link #loadWeights loaded} if {@link #readsWeights()}.
     */
    void runInPlace(Context ctx, Pointer x, Pointer dy, Pointer dx, float[] dw, float[] db) {
        memory userDy = ctx.userMemory(diffDst.plain, dy, Context.USER_DST);
        memory diffDstMemory = inner(ctx, diffDst, userDy, DIFF_DST);
        if (diffSrc != null) {
            memory userDx = ctx.userMemory(diffSrc.plain, dx, Context.USER_DIFF_SRC);
            memory diffSrcMemory = executeData(ctx, diffDstMemory,
                    diffSrc.identity() ? userDx : ctx.memory(diffSrc.inner, DIFF_SRC));
            if (!diffSrc.identity()) {
                ctx.reorder(diffSrc, diffSrcMemory, userDx);
            }
        }
        if (diffWeights != null) {
            memory srcMemory = inner(ctx, src, ctx.userMemory(src.plain, x, Context.USER_SRC), SRC);
            memory weightsDiffDstMemory = diffDstForWeights == null ? diffDstMemory
                    : inner(ctx, diffDstForWeights, userDy, DIFF_DST_FOR_WEIGHTS);
            memory diffWeightsMemory = executeWeights(ctx, srcMemory, weightsDiffDstMemory);
            ctx.out(diffWeights, diffWeightsMemory, DIFF_WEIGHTS, DIFF_WEIGHTS_PLAIN, dw, 0, dw.length);
            if (diffBias != null) {
                ctx.buffer(DIFF_BIAS, 0).get(db, 0, db.length);
            }
        }
    }

    /**
     * An operand in the primitive's layout of {@code t}: the caller's memory {@code user} itself if the layouts
     * are equal, else reordered from it into the buffer of {@code slot}.
     */
    private static memory inner(Context ctx, Transfer t, memory user, int slot) {
        if (t.identity()) {
            return user;
        }
        memory m = ctx.memory(t.inner, slot);
        ctx.reorder(t, user, m);
        return m;
    }

    /** Runs backward-data into {@code diffSrcMemory} ({@code dL/dx} in its layout), which it returns. */
    private memory executeData(Context ctx, memory diffDstMemory, memory diffSrcMemory) {
        primitive p = dataPrimitive.get();
        IntMemoryMap args = ctx.args(p);
        args.put(DNNL_ARG_DIFF_DST, diffDstMemory);
        args.put(DNNL_ARG_WEIGHTS, ctx.memory(weights.inner, WEIGHTS));
        args.put(DNNL_ARG_DIFF_SRC, diffSrcMemory);
        ctx.execute(p, args, dataScratchpad);
        return diffSrcMemory;
    }

    /** Runs backward-weights; returns {@code dL/dw} in its layout ({@code dL/db} lands in its slot). */
    private memory executeWeights(Context ctx, memory srcMemory, memory diffDstMemory) {
        memory diffWeightsMemory = ctx.memory(diffWeights.inner, DIFF_WEIGHTS);
        primitive p = weightsPrimitive.get();
        IntMemoryMap args = ctx.args(p);
        args.put(DNNL_ARG_SRC, srcMemory);
        args.put(DNNL_ARG_DIFF_DST, diffDstMemory);
        args.put(DNNL_ARG_DIFF_WEIGHTS, diffWeightsMemory);
        if (diffBias != null) {
            args.put(DNNL_ARG_DIFF_BIAS, ctx.memory(diffBias, DIFF_BIAS));
        }
        ctx.execute(p, args, weightsScratchpad);
        return diffWeightsMemory;
    }
}
