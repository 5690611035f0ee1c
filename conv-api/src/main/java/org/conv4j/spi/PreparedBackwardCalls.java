package org.conv4j.spi;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.internal.LayoutEdge;

import java.util.Objects;

/**
 * The prepared backward pass of a backend that lays out nothing ahead ({@link ConvBackend#prepareBackward}'s
 * default): it keeps the validated geometry and a heap NCHW copy of the weights, and each call checks the tensors'
 * shapes and goes straight to the backend's pass on that geometry, without validating, selecting or estimating
 * again. The {@code Into} calls compute on heap NCHW copies of operands in other forms (as every call converts them,
 * {@link LayoutEdge}) and copy the results into the caller's tensors. Backends that can do more (weights laid out
 * once, buffers kept, native tensors in place) return their own {@link PreparedBackward}.
 *
 * <p>Its static checks and allocations are the ones every prepared backward pass makes, for backends' own.
 *
 * <p>Thread-safety: as {@link PreparedBackward}; calls are serialised on this object.
 */
public final class PreparedBackwardCalls extends AbstractPreparedBackward<ConvBackend> {

    /** A heap NCHW copy of the weight last given. */
    private Tensor4D weight;

    /**
     * Prepares {@code backend}'s backward pass on {@code shape}.
     *
     * @param backend the backend
     * @param shape the validated geometry
     * @param weight the weight (copied), any storage and layout
     * @throws IllegalArgumentException if the weight does not have the shape's weight shape
     */
    public PreparedBackwardCalls(ConvBackend backend, ConvShape shape, Tensor4D weight) {
        super(backend, shape);
        setWeights(weight);
    }

    @Override
    protected ConvGradients backwardChecked(Tensor4D input, Tensor4D gradOutput) {
        ConvGradients g = backend instanceof AbstractConvBackend a
                ? a.validatedBackward(shape, input, weight, gradOutput)
                : LayoutEdge.like(input, weight, heapBackward(input.toHeapNchw(), gradOutput.toHeapNchw()));
        return new ConvGradients(g.input(), weightForm().like(g.weight()), g.bias());
    }

    @Override
    protected ConvGradients backwardIntoChecked(Tensor4D input, Tensor4D gradOutput, ConvGradients gradients) {
        ConvGradients g = LayoutEdge.staged(LayoutEdge.floats(input, gradOutput, gradients.input(), gradients.weight()),
                () -> heapBackward(input.toHeapNchw(), gradOutput.toHeapNchw()));
        gradients.input().copyFrom(g.input());
        gradients.weight().copyFrom(g.weight());
        System.arraycopy(g.bias(), 0, gradients.bias(), 0, g.bias().length);
        return gradients;
    }

    /** The gradients of heap NCHW operands, heap NCHW. */
    private ConvGradients heapBackward(Tensor4D input, Tensor4D gradOutput) {
        return backend instanceof AbstractConvBackend a
                ? a.validatedBackward(shape, input, weight, gradOutput)
                : backend.backward(input, weight, gradOutput, shape.params());
    }

    @Override
    protected Tensor4D inputGradientChecked(Tensor4D gradOutput) {
        return inputGradientLike(gradOutput, gradOutput);
    }

    @Override
    protected Tensor4D inputGradientIntoChecked(Tensor4D gradOutput, Tensor4D inputGradient) {
        return LayoutEdge.staged(LayoutEdge.floats(gradOutput, inputGradient),
                () -> {
                    Tensor4D dy = gradOutput.toHeapNchw();
                    return inputGradient.copyFrom(inputGradientLike(dy, dy));
                });
    }

    /** {@code dL/dx} in the storage and layout of {@code model}. */
    private Tensor4D inputGradientLike(Tensor4D gradOutput, Tensor4D model) {
        if (backend instanceof AbstractConvBackend a) {
            return a.validatedInputGradient(shape, model, weight, gradOutput);
        }
        return LayoutEdge.like(model, backend.inputGradient(shape.newInput(), weight, gradOutput.toHeapNchw(),
                shape.params()));
    }

    @Override
    protected Tensor4D weightGradientChecked(Tensor4D input, Tensor4D gradOutput) {
        return weightForm().like(heapWeightGradient(input, gradOutput));
    }

    @Override
    protected Tensor4D weightGradientIntoChecked(Tensor4D input, Tensor4D gradOutput, Tensor4D weightGradient) {
        return weightGradient.copyFrom(heapWeightGradient(input, gradOutput));
    }

    /** {@code dL/dw}, heap NCHW (the held weight's form). */
    private Tensor4D heapWeightGradient(Tensor4D input, Tensor4D gradOutput) {
        if (backend instanceof AbstractConvBackend a) {
            return a.validatedWeightGradient(shape, input, weight, gradOutput);
        }
        return backend.weightGradient(input.toHeapNchw(), weight, gradOutput.toHeapNchw(), shape.params());
    }

    @Override
    protected void loadWeights(Tensor4D weight) {
        this.weight = weight.toHeapNchw().copy();
    }

    @Override
    protected void release() {
        weight = null;
    }

    /**
     * The storage and layout of a weight, which {@code dL/dw} from the allocating calls of a prepared backward pass
     * takes (as {@link org.conv4j.api.Conv2d#backward} returns {@code dL/dw} like its weight).
     *
     * @param isNative whether the weight is in native memory
     * @param layout its layout
     */
    public record WeightForm(boolean isNative, MemoryLayout layout) {

        /** Heap NCHW, the form of the weights a backend reads. */
        public static final WeightForm HEAP_NCHW = new WeightForm(false, MemoryLayout.NCHW);

        /**
         * The form of {@code weight}.
         *
         * @param weight the weight
         * @return its storage and layout
         */
        public static WeightForm of(Tensor4D weight) {
            return weight.isHeapNchw() ? HEAP_NCHW : new WeightForm(weight.isNative(), weight.layout());
        }

        /**
         * A new zeroed weight gradient of {@code s} in this form.
         *
         * @param s the geometry
         * @return the tensor {@code (K, C/groups, kH, kW)}
         */
        public Tensor4D newWeightGradient(ConvShape s) {
            return equals(HEAP_NCHW) ? s.newWeight()
                    : LayoutEdge.zeros(isNative, layout, s.outChannels(), s.inChannelsPerGroup(), s.kernelH(),
                            s.kernelW());
        }

        /**
         * {@code heap} (heap NCHW) in this form: itself if this is heap NCHW, else a copy.
         *
         * @param heap a heap NCHW tensor
         * @return the tensor in this form
         */
        public Tensor4D like(Tensor4D heap) {
            return equals(HEAP_NCHW) ? heap
                    : LayoutEdge.zeros(isNative, layout, heap.n(), heap.c(), heap.h(), heap.w()).copyFrom(heap);
        }
    }

    /**
     * New gradients to write a backward call's into: {@code dL/dx} in {@code input}'s storage and layout, {@code dL/dw}
     * in {@code form}, {@code dL/db} of length {@code K}.
     *
     * @param s the prepared geometry
     * @param input the call's input
     * @param form the form of the weight last given
     * @return the zeroed gradients
     */
    public static ConvGradients newGradients(ConvShape s, Tensor4D input, WeightForm form) {
        return new ConvGradients(newInputGradient(s, input), form.newWeightGradient(s), new float[s.outChannels()]);
    }

    /**
     * A new zeroed tensor of {@code s}'s input shape in {@code model}'s storage and layout.
     *
     * @param s the prepared geometry
     * @param model the tensor whose storage and layout it takes
     * @return the tensor {@code (N, C, H, W)}
     */
    public static Tensor4D newInputGradient(ConvShape s, Tensor4D model) {
        return model.isHeapNchw() ? s.newInput()
                : LayoutEdge.zeros(model.isNative(), model.layout(), s.batch(), s.inChannels(), s.inH(), s.inW());
    }

    /**
     * Fails unless {@code weight} has the weight shape of {@code s}.
     *
     * @param s the prepared geometry
     * @param weight the weight
     */
    public static void checkWeight(ConvShape s, Tensor4D weight) {
        checkShape("weight", weight, s.outChannels(), s.inChannelsPerGroup(), s.kernelH(), s.kernelW());
    }

    /**
     * Fails unless {@code gradOutput} has the output shape of {@code s}.
     *
     * @param s the prepared geometry
     * @param gradOutput {@code dL/dy}
     */
    public static void checkGradOutput(ConvShape s, Tensor4D gradOutput) {
        checkShape("gradOutput", gradOutput, s.batch(), s.outChannels(), s.outH(), s.outW());
    }

    /**
     * Fails unless {@code inputGradient} has the input shape of {@code s}.
     *
     * @param s the prepared geometry
     * @param inputGradient where {@code dL/dx} goes
     */
    public static void checkInputGradient(ConvShape s, Tensor4D inputGradient) {
        checkShape("inputGradient", inputGradient, s.batch(), s.inChannels(), s.inH(), s.inW());
    }

    /**
     * Fails unless {@code weightGradient} has the weight shape of {@code s}.
     *
     * @param s the prepared geometry
     * @param weightGradient where {@code dL/dw} goes
     */
    public static void checkWeightGradient(ConvShape s, Tensor4D weightGradient) {
        checkShape("weightGradient", weightGradient, s.outChannels(), s.inChannelsPerGroup(), s.kernelH(),
                s.kernelW());
    }

    /**
     * Fails unless {@code gradients} fit {@code s}: {@code input()} of the input shape, {@code weight()} of the
     * weight shape, {@code bias()} of length {@code K}.
     *
     * @param s the prepared geometry
     * @param gradients where the gradients go
     */
    public static void checkGradients(ConvShape s, ConvGradients gradients) {
        Objects.requireNonNull(gradients, "gradients must not be null");
        checkShape("gradients.input()", gradients.input(), s.batch(), s.inChannels(), s.inH(), s.inW());
        checkShape("gradients.weight()", gradients.weight(), s.outChannels(), s.inChannelsPerGroup(), s.kernelH(),
                s.kernelW());
        if (gradients.bias().length != s.outChannels()) {
            throw new IllegalArgumentException("gradients.bias(): expected length " + s.outChannels()
                    + " (one per filter), got " + gradients.bias().length);
        }
    }

    private static void checkShape(String name, Tensor4D t, int n, int c, int h, int w) {
        Objects.requireNonNull(t, name + " must not be null");
        if (!t.hasShape(n, c, h, w)) {
            throw new IllegalArgumentException(name + ": expected the prepared shape " + Tensor4D.shapeString(n, c, h, w)
                    + ", got " + t.shapeString());
        }
    }
}
