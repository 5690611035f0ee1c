package org.conv4j.onednn;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.global.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

/**
 * The backward pass of one {@link Geometry}: oneDNN's backward-data primitive ({@code dL/dx} from
 * {@code dL/dy} and the weights) and backward-weights primitive ({@code dL/dw} and {@code dL/db} from the
 * input and {@code dL/dy}), both created with a forward {@code forward_training} primitive descriptor as
 * the hint oneDNN requires, every layout {@code any}, and the reorders from and to conv4j's plain layouts.
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
    static final int WEIGHTS_PLAIN = 5;
    static final int WEIGHTS = 6;
    static final int DIFF_WEIGHTS = 7;
    static final int DIFF_WEIGHTS_PLAIN = 8;
    static final int DIFF_BIAS = 9;

    final Geometry geometry;
    /** The input, as backward-weights reads it. */
    final Transfer src;
    /** {@code dL/dy}, as backward-data reads it. */
    final Transfer diffDst;
    /** {@code dL/dy}, as backward-weights reads it; null if that is {@link #diffDst}'s layout too. */
    final Transfer diffDstForWeights;
    final Transfer weights;
    final Transfer diffSrc;
    final Transfer diffWeights;
    final memory.desc diffBias;
    final memory.desc dataScratchpad;
    final memory.desc weightsScratchpad;
    final long[] slotBytes = new long[Context.SLOTS];
    final long workspaceBytes;
    /** oneDNN's names of the two kernels it chose. */
    final String implementation;

    private final convolution_backward_data.primitive_desc dataPd;
    private final convolution_backward_weights.primitive_desc weightsPd;
    /** Created on first use, as in {@link ForwardPlan}. */
    private final Lazy<convolution_backward_data> dataPrimitive;
    private final Lazy<convolution_backward_weights> weightsPrimitive;

    BackwardPlan(Geometry g) {
        this.geometry = g;
        try (primitive_attr attr = Dnnl.userScratchpad()) {
            memory.desc srcAny = Dnnl.desc(memory.format_tag.any, g.srcDims());
            memory.desc weightsAny = Dnnl.desc(memory.format_tag.any, g.weightsDims());
            memory.desc biasAny = Dnnl.desc(memory.format_tag.any, g.filters());
            memory.desc dstAny = Dnnl.desc(memory.format_tag.any, g.dstDims());
            try (convolution_forward.primitive_desc hint = new convolution_forward.primitive_desc(Dnnl.engine(),
                    dnnl.prop_kind.forward_training, dnnl.algorithm.convolution_direct, srcAny, weightsAny, biasAny,
                    dstAny, g.strides(), g.dilates(), g.paddingL(), g.paddingR(), attr, false)) {
                dataPd = new convolution_backward_data.primitive_desc(Dnnl.engine(), dnnl.algorithm.convolution_direct,
                        srcAny, weightsAny, dstAny, g.strides(), g.dilates(), g.paddingL(), g.paddingR(), hint, attr,
                        false);
                weightsPd = new convolution_backward_weights.primitive_desc(Dnnl.engine(),
                        dnnl.algorithm.convolution_direct, srcAny, weightsAny, biasAny, dstAny, g.strides(),
                        g.dilates(), g.paddingL(), g.paddingR(), hint, attr, false);
            }
        }
        memory.desc plainSrc = Dnnl.desc(memory.format_tag.nchw, g.srcDims());
        memory.desc plainDst = Dnnl.desc(memory.format_tag.nchw, g.dstDims());
        memory.desc plainWeights = Dnnl.desc(g.weightsTag(), g.weightsDims());
        src = Transfer.in(plainSrc, weightsPd.src_desc());
        diffDst = Transfer.in(plainDst, dataPd.diff_dst_desc());
        memory.desc weightsDiffDst = weightsPd.diff_dst_desc();
        diffDstForWeights = weightsDiffDst.equals(diffDst.inner) ? null : Transfer.in(plainDst, weightsDiffDst);
        weights = Transfer.in(plainWeights, dataPd.weights_desc());
        diffSrc = Transfer.out(dataPd.diff_src_desc(), plainSrc);
        diffWeights = Transfer.out(weightsPd.diff_weights_desc(), plainWeights);
        diffBias = Dnnl.requirePlain(weightsPd.diff_bias_desc(), g.filters());
        dataScratchpad = nonEmpty(dataPd.scratchpad_desc());
        weightsScratchpad = nonEmpty(weightsPd.scratchpad_desc());
        implementation = dataPd.impl_info_str().getString() + " / " + weightsPd.impl_info_str().getString();
        dataPrimitive = new Lazy<>(() -> new convolution_backward_data(dataPd));
        weightsPrimitive = new Lazy<>(() -> new convolution_backward_weights(weightsPd));

        slotBytes[STAGE] = ForwardPlan.max(src.stagingBytes(), diffDst.stagingBytes(),
                diffDstForWeights == null ? 0 : diffDstForWeights.stagingBytes(), diffSrc.stagingBytes());
        slotBytes[SRC] = src.innerBytes();
        slotBytes[DIFF_DST] = diffDst.innerBytes();
        slotBytes[DIFF_DST_FOR_WEIGHTS] = diffDstForWeights == null ? 0 : diffDstForWeights.innerBytes();
        slotBytes[DIFF_SRC] = diffSrc.innerBytes();
        slotBytes[WEIGHTS_PLAIN] = weights.stagingBytes();
        slotBytes[WEIGHTS] = weights.innerBytes();
        slotBytes[DIFF_WEIGHTS] = diffWeights.innerBytes();
        slotBytes[DIFF_WEIGHTS_PLAIN] = diffWeights.stagingBytes();
        slotBytes[DIFF_BIAS] = diffBias.get_size();
        slotBytes[Context.SCRATCHPAD] = ForwardPlan.max(size(dataScratchpad), size(weightsScratchpad),
                src.scratchpadBytes(), diffDst.scratchpadBytes(),
                diffDstForWeights == null ? 0 : diffDstForWeights.scratchpadBytes(), weights.scratchpadBytes(),
                diffSrc.scratchpadBytes(), diffWeights.scratchpadBytes());
        workspaceBytes = Context.roundSlots(slotBytes);
    }

    private static memory.desc nonEmpty(memory.desc d) {
        return d.get_size() > 0 ? d : null;
    }

    private static long size(memory.desc d) {
        return d == null ? 0 : d.get_size();
    }

    /** Brings the weights of a call into backward-data's layout, in the context's buffers. */
    void loadWeights(Context ctx, float[] w) {
        ctx.in(weights, w, 0, w.length, WEIGHTS_PLAIN, WEIGHTS);
    }

    /**
     * The gradients of images {@code first .. first + geometry.batch() - 1}: writes their {@code dL/dx} into
     * {@code dx}, and this part's {@code dL/dw} and {@code dL/db} into {@code dw} and {@code db} (the caller
     * sums the parts), with the weights {@link #loadWeights loaded} into the context.
     */
    void run(Context ctx, float[] x, float[] dy, int first, float[] dx, float[] dw, float[] db) {
        Geometry g = geometry;
        int inOffset = (int) (first * g.imageFloats());
        int inLength = (int) (g.batch() * g.imageFloats());
        int outOffset = (int) (first * g.outImageFloats());
        int outLength = (int) (g.batch() * g.outImageFloats());

        memory srcMemory = ctx.in(src, x, inOffset, inLength, STAGE, SRC);
        // dy: the stage keeps its plain copy until both primitives' layouts are made from it
        memory diffDstMemory = ctx.in(diffDst, dy, outOffset, outLength, STAGE, DIFF_DST);
        memory weightsDiffDstMemory = diffDstMemory;
        if (diffDstForWeights != null) {
            if (diffDstForWeights.identity() || diffDst.identity()) {
                // no plain copy in the stage to reorder from: bring dy in again
                weightsDiffDstMemory = ctx.in(diffDstForWeights, dy, outOffset, outLength, STAGE, DIFF_DST_FOR_WEIGHTS);
            } else {
                weightsDiffDstMemory = ctx.memory(diffDstForWeights.inner, DIFF_DST_FOR_WEIGHTS);
                ctx.reorder(diffDstForWeights, ctx.memory(diffDstForWeights.plain, STAGE), weightsDiffDstMemory);
            }
        }

        memory diffSrcMemory = ctx.memory(diffSrc.inner, DIFF_SRC);
        try (IntMemoryMap args = new IntMemoryMap()) {
            args.put(DNNL_ARG_DIFF_DST, diffDstMemory);
            args.put(DNNL_ARG_WEIGHTS, ctx.memory(weights.inner, WEIGHTS));
            args.put(DNNL_ARG_DIFF_SRC, diffSrcMemory);
            ctx.execute(dataPrimitive.get(), args, dataScratchpad);
        }
        memory diffWeightsMemory = ctx.memory(diffWeights.inner, DIFF_WEIGHTS);
        try (IntMemoryMap args = new IntMemoryMap()) {
            args.put(DNNL_ARG_SRC, srcMemory);
            args.put(DNNL_ARG_DIFF_DST, weightsDiffDstMemory);
            args.put(DNNL_ARG_DIFF_WEIGHTS, diffWeightsMemory);
            args.put(DNNL_ARG_DIFF_BIAS, ctx.memory(diffBias, DIFF_BIAS));
            ctx.execute(weightsPrimitive.get(), args, weightsScratchpad);
        }
        ctx.out(diffSrc, diffSrcMemory, DIFF_SRC, STAGE, dx, inOffset, inLength);
        ctx.out(diffWeights, diffWeightsMemory, DIFF_WEIGHTS, DIFF_WEIGHTS_PLAIN, dw, 0, dw.length);
        ctx.buffer(DIFF_BIAS, 0).get(db, 0, db.length);
    }
}
