package org.conv4j.onednn;

import org.conv4j.api.ConvPass;
import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractPreparedConvolution;
import org.conv4j.spi.PreparedCalls;

import java.util.EnumMap;
import java.util.Map;

/**
 * {@code onednn}'s prepared forward pass: per activation layout met (conv4j's NCHW arrays, or native NHWC in place;
 * native NCHW runs on the array plan's primitive from and to the caller's memory), one primitive, one
 * {@link Context} of its own whose buffers hold the weights already reordered into the primitive's layout (and the
 * bias), made on first use and kept: a call copies or reorders only the activations, and none at all for native
 * NHWC. The contexts are this object's memory, like a tensor's, held until {@link #close()}: they are not drawn from
 * the workspace budget ({@link org.conv4j.spi.WorkspaceBudget}), which bounds what calls in flight use for a while,
 * because waiting there for memory that only this object's own close would return could block for ever.
 *
 * <p>Calls run one at a time (the contexts are this object's own). Geometries the prepared path does not cover
 * (a batch larger than the workspace limit allows in one part, explicit padding, a single strided output column,
 * non-finite weights on a padded layer) run as unprepared calls, with the same results.
 */
final class PreparedForward extends AbstractPreparedConvolution<OnednnBackend> {

    /** One activation layout's primitive and context. */
    private record Slot(ForwardPlan plan, Context ctx) {
    }

    private final Map<MemoryLayout, Slot> slots = new EnumMap<>(MemoryLayout.class);
    /** For the calls the prepared path does not cover, and the weights' copy. */
    private final PreparedCalls fallback;
    private float[] weights;
    private float[] bias;
    /** Whether a call must take the unprepared path: the weights hold a non-finite value on a padded layer. */
    private boolean repairs;

    PreparedForward(OnednnBackend backend, ConvShape shape, Tensor4D weight, float[] bias) {
        super(backend, shape, bias != null);
        this.fallback = new PreparedCalls(backend, shape, weight, bias);
        setWeights(weight, bias);
    }

    /** Whether {@code s}'s whole batch fits one part and needs none of the paths the prepared one skips. */
    static boolean covers(OnednnBackend backend, ConvShape s, boolean bias) {
        return !s.hasPaddingOnlyOutputs() && !s.params().isPaddedWithCopies() && !SingleColumn.affects(s)
                && backend.imagesPerPart(s, ConvPass.FORWARD, bias) == s.batch();
    }

    @Override
    protected Tensor4D forwardChecked(Tensor4D input, Tensor4D output) {
        if (repairs) {
            return fallback.forwardInto(input, output);
        }
        if (input.isHeapNchw() && output.isHeapNchw()) {
            Slot s = slot(MemoryLayout.NCHW);
            s.plan().run(s.ctx(), input.data(), output.data(), 0);
            return output;
        }
        if (input.isNative() && output.isNative() && input.layout() == output.layout()) {
            try (Tensor4D.Pin in = input.pin(); Tensor4D.Pin out = output.pin()) {
                if (CallerMemory.usable(in.buffer(), out.buffer())) {
                    Slot s = slot(input.layout());
                    s.plan().runInPlace(s.ctx(), new FloatPointer(in.buffer()), new FloatPointer(out.buffer()));
                    return output;
                }
            }
        }
        // other combinations: through heap NCHW copies, on the prepared array primitive
        Tensor4D y = output.isHeapNchw() ? output : shape.newOutput();
        forwardInto(input.toHeapNchw(), y);
        return y == output ? output : output.copyFrom(y);
    }

    /** The slot of {@code layout}, made on first use: plan, and context with the weights loaded. */
    private Slot slot(MemoryLayout layout) {
        Slot s = slots.get(layout);
        if (s == null) {
            ForwardPlan plan = OnednnBackend.forwardPlan(Geometry.of(shape, shape.batch(), hasBias, layout));
            Context ctx = new Context();
            ctx.reserve(plan.slotBytes, plan.workspaceBytes);
            plan.loadWeights(ctx, weights, bias, false);
            s = new Slot(plan, ctx);
            slots.put(layout, s);
        }
        return s;
    }

    @Override
    protected void loadWeights(Tensor4D weight, float[] bias) {
        if (weights != null) {
            fallback.setWeights(weight, bias);
        }
        this.weights = weight.toHeapNchw().data().clone();
        this.bias = bias == null ? null : bias.clone();
        this.repairs = shape.params().isPadded() && PaddedTaps.hasNonFinite(weights);
        for (Slot s : slots.values()) {
            s.plan().loadWeights(s.ctx(), this.weights, this.bias, false); // reordered again, into the same buffers
        }
    }

    @Override
    protected void release() {
        for (Slot s : slots.values()) {
            s.ctx().close();
        }
        slots.clear();
        fallback.close();
    }
}
