package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.PreparedBackwardCalls;
import org.conv4j.spi.PreparedCalls;

/**
 * The facade's prepared backward pass ({@link Conv2d#prepareBackward}): per pass ({@link ConvPass#BACKWARD},
 * {@link ConvPass#INPUT_GRADIENT}, {@link ConvPass#WEIGHT_GRADIENT}) and form of its operands and results, the
 * backend chosen at the first call with that form ({@link PreparedForms}: timed among the candidates by the
 * estimate with the conversions priced, {@link LayoutEdge#backwardNanos}, which credits a backend whose
 * prepared pass takes native activations in place), prepared with {@link ConvBackend#prepareBackward}. Every call
 * runs as an
 * {@code Into} call; the allocating ones make the results first (in the forms {@link PreparedBackward} states).
 *
 * <p>Thread-safety: as {@link PreparedBackward}; the choices are guarded by this object, and each call runs on its
 * form's prepared pass, which serialises its own calls.
 */
public final class PreparedBackwardByForm extends PreparedForms<PreparedBackward> implements PreparedBackward {

    /** A heap NCHW copy of the weight last given, which the backends' prepared passes are given. */
    private Tensor4D weight;
    private PreparedBackwardCalls.WeightForm form;

    /**
     * A prepared backward pass on {@code shape}, its weights copied.
     *
     * @param shape the validated geometry
     * @param weight the weight, any storage and layout
     */
    public PreparedBackwardByForm(ConvShape shape, Tensor4D weight) {
        super("prepared backward pass", shape, PreparedBackward::backend, PreparedBackward::close);
        this.weight = weight.toHeapNchw().copy();
        this.form = PreparedBackwardCalls.WeightForm.of(weight);
        prepareNow(Conv2d.plan(shape, ConvPass.BACKWARD).backend());
    }

    @Override
    protected PreparedBackward prepare(ConvBackend backend) {
        return backend.prepareBackward(shape(), weight);
    }

    /** The backend of the most recent call's pass and form (before the first call, {@link Conv2d#plan}'s). */
    @Override
    public ConvBackend backend() {
        return lastBackend(ConvPass.BACKWARD);
    }

    @Override
    public ConvGradients backward(Tensor4D input, Tensor4D gradOutput) {
        checkOpen();
        PreparedCalls.checkInput(shape(), input);
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        return backwardInto(input, gradOutput, PreparedBackwardCalls.newGradients(shape(), input, weightForm()));
    }

    @Override
    public ConvGradients backwardInto(Tensor4D input, Tensor4D gradOutput, ConvGradients gradients) {
        PreparedCalls.checkInput(shape(), input);
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        PreparedBackwardCalls.checkGradients(shape(), gradients);
        Tensor4D dx = gradients.input();
        Tensor4D dw = gradients.weight();
        return forForm(ConvPass.BACKWARD, LayoutEdge.forms(input, gradOutput, dx, dw),
                LayoutEdge.backwardNanos(shape(), ConvPass.BACKWARD, dw, input, gradOutput, dx),
                p -> p.backwardInto(input, gradOutput, gradients)).backwardInto(input, gradOutput, gradients);
    }

    @Override
    public Tensor4D inputGradient(Tensor4D gradOutput) {
        checkOpen();
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        return inputGradientInto(gradOutput, PreparedBackwardCalls.newInputGradient(shape(), gradOutput));
    }

    @Override
    public Tensor4D inputGradientInto(Tensor4D gradOutput, Tensor4D inputGradient) {
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        PreparedBackwardCalls.checkInputGradient(shape(), inputGradient);
        return forForm(ConvPass.INPUT_GRADIENT, LayoutEdge.forms(gradOutput, inputGradient),
                LayoutEdge.backwardNanos(shape(), ConvPass.INPUT_GRADIENT, null, gradOutput, inputGradient),
                p -> p.inputGradientInto(gradOutput, inputGradient)).inputGradientInto(gradOutput, inputGradient);
    }

    @Override
    public Tensor4D weightGradient(Tensor4D input, Tensor4D gradOutput) {
        checkOpen();
        PreparedCalls.checkInput(shape(), input);
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        return weightGradientInto(input, gradOutput, weightForm().newWeightGradient(shape()));
    }

    @Override
    public Tensor4D weightGradientInto(Tensor4D input, Tensor4D gradOutput, Tensor4D weightGradient) {
        PreparedCalls.checkInput(shape(), input);
        PreparedBackwardCalls.checkGradOutput(shape(), gradOutput);
        PreparedBackwardCalls.checkWeightGradient(shape(), weightGradient);
        return forForm(ConvPass.WEIGHT_GRADIENT, LayoutEdge.forms(input, gradOutput, weightGradient),
                LayoutEdge.backwardNanos(shape(), ConvPass.WEIGHT_GRADIENT, weightGradient, input, gradOutput),
                p -> p.weightGradientInto(input, gradOutput, weightGradient))
                .weightGradientInto(input, gradOutput, weightGradient);
    }

    @Override
    public synchronized void setWeights(Tensor4D weight) {
        checkOpen();
        PreparedBackwardCalls.checkWeight(shape(), weight);
        this.weight = weight.toHeapNchw().copy();
        this.form = PreparedBackwardCalls.WeightForm.of(weight);
        forEachPrepared(p -> p.setWeights(this.weight));
    }

    private synchronized PreparedBackwardCalls.WeightForm weightForm() {
        return form;
    }
}
