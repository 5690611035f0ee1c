package org.conv4j.onednn;

import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractPreparedBackward;
import org.conv4j.spi.PreparedBackwardCalls;

/**
 * {@code onednn}'s prepared backward pass. Per pass ({@link ConvPass#BACKWARD}: backward-data and backward-weights
 * with {@code dL/db}; {@link ConvPass#INPUT_GRADIENT}: backward-data alone; {@link ConvPass#WEIGHT_GRADIENT}:
 * backward-weights alone) and activation layout met, it holds the pass's {@link BackwardPlan} (the primitives, made
 * at the first call and kept) and one {@link Context} of its own, whose buffers hold the weights already reordered
 * into backward-data's layout. The layouts:
 * <ul>
 *   <li>NCHW: conv4j's heap NCHW arrays, copied into the context and out as in an unprepared call; native NCHW
 *       tensors run on the same plan from and to the caller's memory (oneDNN reorders from {@code nchw} into the
 *       primitives' layouts and back, with no staging copy);</li>
 *   <li>NHWC: native NHWC tensors, read and written in place: the plan's activations are {@code nhwc} where
 *       {@link BackwardPlan#activationsTag} picks it (ungrouped and depthwise layers), and then {@code x},
 *       {@code dL/dy} and {@code dL/dx} are neither copied nor reordered; elsewhere oneDNN reorders from and to the
 *       caller's memory.</li>
 * </ul>
 * Other combinations of storage and layout run through heap NCHW copies on the NCHW plan. {@code dL/dw} is reordered
 * from backward-weights' layout into OIHW and copied out on every call (into the caller's array for a heap NCHW
 * weight gradient, else through an array this object keeps); {@code dL/db} is copied out.
 *
 * <p>Covered geometries ({@link #covers}): every output reads the input, zero padding, the whole batch's backward
 * pass in one part under the workspace limit (a single strided output column, which {@link PreparedForward} leaves
 * to unprepared calls, is covered: the backward primitives compute it correctly); {@link
 * OnednnBackend#prepareBackward} gives the others {@link PreparedBackwardCalls}. Non-finite values get the unprepared path's repairs ({@link PaddedTaps}): while the
 * weights hold a non-finite value, the passes that compute {@code dL/dx} run as unprepared calls; a
 * non-finite {@code dL/dy} on a padded layer shows as a non-finite {@code dL/dw} (every window reads the input), and
 * only then is {@code dL/dy} read on the heap to repair it.
 *
 * <p>Memory: the contexts are this object's, like a tensor's, held until {@link #close()} and outside the workspace
 * budget, as {@link PreparedForward}'s. An NHWC context holds no staging buffer, and no buffer for an activation
 * whose primitive layout is {@code nhwc}.
 *
 * <p>Thread-safety: calls run one at a time (the contexts are this object's own), from any thread.
 */
final class PreparedGradients extends AbstractPreparedBackward<OnednnBackend> {

    /** A pass and the layout of its activations. */
    private record Key(ConvPass pass, MemoryLayout layout) {
    }

    /**
     * One pass and layout's plan and its own context: the weights reordered for it, and the oneDNN memory objects
     * that {@link BackwardPlan#runInPlace} keeps over the caller's tensors, per role and layout.
     */
    private record Slot(BackwardPlan plan, Context ctx) implements AutoCloseable {
        @Override
        public void close() {
            ctx.close();
        }
    }

    private final Map<Key, Slot> slots = new LinkedHashMap<>();
    /** The weights, heap NCHW (OIHW), as loaded into the slots that read them. */
    private float[] weights;
    /** The unprepared path for {@code dL/dx} while the weights hold a non-finite value; null otherwise. */
    private PreparedBackwardCalls repairs;
    /** {@code dL/dw} of a call whose weight gradient is not a heap NCHW tensor, before it is copied there. */
    private float[] weightGradient;

    PreparedGradients(OnednnBackend backend, ConvShape shape, Tensor4D weight) {
        super(backend, shape);
        setWeights(weight);
    }

    /**
     * Whether the prepared path runs {@code s}: every output reads the input (else {@link OnednnBackend} pads
     * explicitly), zero padding (other modes are padded by copying first), and the whole batch's backward pass in
     * one part under the workspace limit.
     */
    static boolean covers(OnednnBackend backend, ConvShape s) {
        return !s.hasPaddingOnlyOutputs() && !s.params().isPaddedWithCopies()
                && backend.imagesPerPart(s, ConvPass.BACKWARD, true) == s.batch();
    }

    @Override
    protected ConvGradients backwardIntoChecked(Tensor4D input, Tensor4D gradOutput, ConvGradients gradients) {
        if (repairs != null) {
            return repairs.backwardInto(input, gradOutput, gradients);
        }
        run(ConvPass.BACKWARD, input, gradOutput, gradients.input(), gradients.weight(), gradients.bias());
        return gradients;
    }

    @Override
    protected Tensor4D inputGradientIntoChecked(Tensor4D gradOutput, Tensor4D inputGradient) {
        if (repairs != null) {
            return repairs.inputGradientInto(gradOutput, inputGradient);
        }
        run(ConvPass.INPUT_GRADIENT, null, gradOutput, inputGradient, null, null);
        return inputGradient;
    }

    @Override
    protected Tensor4D weightGradientIntoChecked(Tensor4D input, Tensor4D gradOutput, Tensor4D weightGradient) {
        run(ConvPass.WEIGHT_GRADIENT, input, gradOutput, null, weightGradient, null);
        return weightGradient;
    }

    /**
     * Runs {@code pass}: reads {@code x} (null for the input gradient) and {@code dy}, writes {@code dx} (null for the
     * weight gradient), {@code dw} (null for the input gradient) and {@code db} (the full backward pass only). In place
     * where the activations are native tensors of one layout that oneDNN can use as they are, else on heap NCHW
     * arrays (the tensors' own, or copies).
     */
    private void run(ConvPass pass, Tensor4D x, Tensor4D dy, Tensor4D dx, Tensor4D dw, float[] db) {
        float[] w = dw == null ? null : dw.isHeapNchw() ? dw.data() : weightGradientArray();
        if (!runInPlace(pass, x, dy, dx, w, db)) {
            Tensor4D xh = x == null ? null : x.toHeapNchw();
            Tensor4D dyh = dy.toHeapNchw();
            Tensor4D dxh = dx == null || dx.isHeapNchw() ? dx : shape.newInput();
            Slot s = slot(pass, MemoryLayout.NCHW);
            s.plan.run(s.ctx, xh == null ? null : xh.data(), dyh.data(), 0, dxh == null ? null : dxh.data(), w, db);
            if (dxh != dx) {
                dx.copyFrom(dxh);
            }
        }
        if (w != null) {
            repairWeightGradient(dy, w);
            if (!dw.isHeapNchw()) {
                dw.copyFrom(Tensor4D.wrap(w, dw.n(), dw.c(), dw.h(), dw.w()));
            }
        }
    }

    /**
     * Runs {@code pass} on the caller's native memory if its activations ({@code x}, {@code dy}, {@code dx}, those
     * given) are native tensors of one layout in the platform's byte order, and {@code dx} shares no memory with
     * {@code x} or {@code dy} (oneDNN would write it over what it still reads); returns whether it did. The tensors
     * stay pinned for the call, so closing them on another thread cannot free the memory under oneDNN.
     */
    private boolean runInPlace(ConvPass pass, Tensor4D x, Tensor4D dy, Tensor4D dx, float[] dw, float[] db) {
        MemoryLayout layout = dy.layout();
        if (!dy.isNative() || !nativeIn(layout, x) || !nativeIn(layout, dx)) {
            return false;
        }
        try (Tensor4D.Pin px = x == null ? null : x.pin(); Tensor4D.Pin pdy = dy.pin();
             Tensor4D.Pin pdx = dx == null ? null : dx.pin()) {
            FloatBuffer bx = px == null ? null : px.buffer();
            FloatBuffer bdy = pdy.buffer();
            FloatBuffer bdx = pdx == null ? null : pdx.buffer();
            if (!CallerMemory.readable(bx) || !CallerMemory.readable(bdy) || !CallerMemory.readable(bdx)
                    || overlap(bdx, bdy) || overlap(bdx, bx)) {
                return false;
            }
            Slot slot = slot(pass, layout);
            slot.plan.runInPlace(slot.ctx, pointer(bx), pointer(bdy), pointer(bdx), dw, db);
            return true;
        }
    }

    /**
     * Puts back the NaN of conv4j's padding where {@code dL/dy} holds a non-finite value ({@link
     * PaddedTaps#weightGradient}). Such a value reaches oneDNN's own {@code dL/dw} through a tap that reads the input
     * (every window has one on a covered geometry), so a finite {@code dL/dw} proves {@code dL/dy} finite, and
     * {@code dL/dy} is read (on the heap) only when it is not.
     */
    private void repairWeightGradient(Tensor4D dy, float[] dw) {
        if (shape.params().isPadded() && PaddedTaps.hasNonFinite(dw)) {
            PaddedTaps.weightGradient(shape, dy.toHeapNchw().data(), dw);
        }
    }

    /** The slot of {@code pass} and {@code layout}, made on first use: plan, and context with the weights loaded. */
    private Slot slot(ConvPass pass, MemoryLayout layout) {
        Key key = new Key(pass, layout);
        Slot s = slots.get(key);
        if (s == null) {
            Geometry g = Geometry.of(shape, shape.batch(), pass == ConvPass.BACKWARD, layout);
            BackwardPlan plan = OnednnBackend.backwardPlan(pass, g);
            long[] bytes = layout == MemoryLayout.NCHW ? plan.slotBytes : inPlaceSlotBytes(plan);
            Context ctx = new Context();
            try {
                ctx.reserve(bytes, plan.workspaceBytes);
                if (plan.readsWeights()) {
                    plan.loadWeights(ctx, weights, false);
                }
            } catch (RuntimeException | Error e) {
                ctx.close();
                throw e;
            }
            s = new Slot(plan, ctx);
            slots.put(key, s);
        }
        return s;
    }

    /**
     * The buffers an in-place run of {@code plan} needs: no staging copy, and no buffer for an activation whose
     * primitive layout is the caller's own.
     */
    private static long[] inPlaceSlotBytes(BackwardPlan plan) {
        long[] bytes = plan.slotBytes.clone();
        bytes[BackwardPlan.STAGE] = 0;
        bytes[BackwardPlan.SRC] = reordered(plan.src) ? bytes[BackwardPlan.SRC] : 0;
        bytes[BackwardPlan.DIFF_DST] = reordered(plan.diffDst) ? bytes[BackwardPlan.DIFF_DST] : 0;
        bytes[BackwardPlan.DIFF_DST_FOR_WEIGHTS] = reordered(plan.diffDstForWeights)
                ? bytes[BackwardPlan.DIFF_DST_FOR_WEIGHTS] : 0;
        bytes[BackwardPlan.DIFF_SRC] = reordered(plan.diffSrc) ? bytes[BackwardPlan.DIFF_SRC] : 0;
        return bytes;
    }

    private static boolean reordered(Transfer t) {
        return t != null && !t.identity();
    }

    @Override
    protected void loadWeights(Tensor4D weight) {
        Tensor4D heap = weight.toHeapNchw();
        float[] w = heap == weight ? heap.data().clone() : heap.data();
        if (PaddedTaps.hasNonFinite(w)) {
            if (repairs == null) {
                repairs = new PreparedBackwardCalls(backend, shape, weight);
            } else {
                repairs.setWeights(weight);
            }
        } else if (repairs != null) {
            repairs.close();
            repairs = null;
        }
        this.weights = w;
        if (repairs == null) {
            for (Slot s : slots.values()) {
                if (s.plan.readsWeights()) {
                    s.plan.loadWeights(s.ctx, w, false); // reordered again, into the same buffers
                }
            }
        }
    }

    @Override
    protected void release() {
        for (Slot s : slots.values()) {
            s.close();
        }
        slots.clear();
        if (repairs != null) {
            repairs.close();
            repairs = null;
        }
        weights = null;
        weightGradient = null;
    }

    /** The slots made so far, as {@code "PASS LAYOUT"} in the order made (for tests). */
    synchronized java.util.List<String> slotNames() {
        return slots.keySet().stream().map(k -> k.pass().name() + " " + k.layout()).toList();
    }

    private float[] weightGradientArray() {
        if (weightGradient == null) {
            weightGradient = new float[shape.outChannels() * shape.inChannelsPerGroup() * shape.kernelH()
                    * shape.kernelW()];
        }
        return weightGradient;
    }

    /** Whether {@code t} is null or a native tensor in {@code layout}. */
    private static boolean nativeIn(MemoryLayout layout, Tensor4D t) {
        return t == null || t.isNative() && t.layout() == layout;
    }

    private static FloatPointer pointer(FloatBuffer b) {
        return b == null ? null : new FloatPointer(b);
    }

    /** {@link CallerMemory#overlap}, with null for an operand the pass does not have. */
    private static boolean overlap(FloatBuffer a, FloatBuffer b) {
        return a != null && b != null && CallerMemory.overlap(a, b);
    }
}
