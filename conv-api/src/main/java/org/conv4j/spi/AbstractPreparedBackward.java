package org.conv4j.spi;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.PreparedBackwardCalls.WeightForm;

/**
 * The calls of a backend's prepared backward pass ({@link PreparedBackward}), each checked here once: the pass is
 * open and the tensors fit the prepared geometry (the checks of {@link PreparedCalls} and
 * {@link PreparedBackwardCalls}). It also keeps the {@link WeightForm} of the weight last given, the form of
 * {@code dL/dw} from the allocating calls. A subclass supplies the {@code Into} computations on operands already
 * checked, the loading of new weights ({@link #loadWeights}) and what {@link #close()} frees ({@link #release()});
 * the allocating calls make their results ({@link PreparedBackwardCalls#newGradients} and the like) and run as the
 * {@code Into} ones unless the subclass computes them otherwise.
 *
 * <p>Thread-safety: as {@link PreparedBackward}; every call is {@code synchronized} on this object, so the hooks run
 * one at a time with its lock held.
 *
 * @param <B> the backend's type
 */
public abstract class AbstractPreparedBackward<B extends ConvBackend> extends AbstractPrepared<B>
        implements PreparedBackward {

    private WeightForm form;

    /**
     * For subclasses, which load the first weight with {@link #setWeights} once their own fields are set.
     *
     * @param backend the backend
     * @param shape the validated geometry
     */
    protected AbstractPreparedBackward(B backend, ConvShape shape) {
        super(backend, shape, "prepared backward pass");
    }

    /**
     * The storage and layout of the weight last given.
     *
     * @return the form {@code dL/dw} from the allocating calls takes
     */
    protected final WeightForm weightForm() {
        return form;
    }

    @Override
    public final synchronized ConvGradients backward(Tensor4D input, Tensor4D gradOutput) {
        checkOperands(input, gradOutput);
        return backwardChecked(input, gradOutput);
    }

    @Override
    public final synchronized ConvGradients backwardInto(Tensor4D input, Tensor4D gradOutput,
                                                         ConvGradients gradients) {
        checkOperands(input, gradOutput);
        PreparedBackwardCalls.checkGradients(shape, gradients);
        return backwardIntoChecked(input, gradOutput, gradients);
    }

    @Override
    public final synchronized Tensor4D inputGradient(Tensor4D gradOutput) {
        checkOpen();
        PreparedBackwardCalls.checkGradOutput(shape, gradOutput);
        return inputGradientChecked(gradOutput);
    }

    @Override
    public final synchronized Tensor4D inputGradientInto(Tensor4D gradOutput, Tensor4D inputGradient) {
        checkOpen();
        PreparedBackwardCalls.checkGradOutput(shape, gradOutput);
        PreparedBackwardCalls.checkInputGradient(shape, inputGradient);
        return inputGradientIntoChecked(gradOutput, inputGradient);
    }

    @Override
    public final synchronized Tensor4D weightGradient(Tensor4D input, Tensor4D gradOutput) {
        checkOperands(input, gradOutput);
        return weightGradientChecked(input, gradOutput);
    }

    @Override
    public final synchronized Tensor4D weightGradientInto(Tensor4D input, Tensor4D gradOutput,
                                                          Tensor4D weightGradient) {
        checkOperands(input, gradOutput);
        PreparedBackwardCalls.checkWeightGradient(shape, weightGradient);
        return weightGradientIntoChecked(input, gradOutput, weightGradient);
    }

    /** Fails if closed, or unless {@code input} and {@code gradOutput} fit the geometry. */
    private void checkOperands(Tensor4D input, Tensor4D gradOutput) {
        checkOpen();
        PreparedCalls.checkInput(shape, input);
        PreparedBackwardCalls.checkGradOutput(shape, gradOutput);
    }

    @Override
    public final synchronized void setWeights(Tensor4D weight) {
        checkOpen();
        PreparedBackwardCalls.checkWeight(shape, weight);
        loadWeights(weight);
        this.form = WeightForm.of(weight);
    }

    /**
     * The gradients of checked operands, allocated: by default into {@link PreparedBackwardCalls#newGradients}.
     *
     * @param input the input
     * @param gradOutput {@code dL/dy}
     * @return the gradients
     */
    protected ConvGradients backwardChecked(Tensor4D input, Tensor4D gradOutput) {
        return backwardIntoChecked(input, gradOutput, PreparedBackwardCalls.newGradients(shape, input, form));
    }

    /**
     * {@code dL/dx} of a checked {@code dL/dy}, allocated: by default into
     * {@link PreparedBackwardCalls#newInputGradient}, in {@code dL/dy}'s storage and layout.
     *
     * @param gradOutput {@code dL/dy}
     * @return {@code dL/dx}
     */
    protected Tensor4D inputGradientChecked(Tensor4D gradOutput) {
        return inputGradientIntoChecked(gradOutput, PreparedBackwardCalls.newInputGradient(shape, gradOutput));
    }

    /**
     * {@code dL/dw} of checked operands, allocated: by default into a new tensor in the weight's form.
     *
     * @param input the input
     * @param gradOutput {@code dL/dy}
     * @return {@code dL/dw}
     */
    protected Tensor4D weightGradientChecked(Tensor4D input, Tensor4D gradOutput) {
        return weightGradientIntoChecked(input, gradOutput, form.newWeightGradient(shape));
    }

    /**
     * The gradients of checked operands into checked {@code gradients}.
     *
     * @param input the input
     * @param gradOutput {@code dL/dy}
     * @param gradients where they go
     * @return {@code gradients}
     */
    protected abstract ConvGradients backwardIntoChecked(Tensor4D input, Tensor4D gradOutput, ConvGradients gradients);

    /**
     * {@code dL/dx} of a checked {@code dL/dy} into a checked {@code inputGradient}.
     *
     * @param gradOutput {@code dL/dy}
     * @param inputGradient where it goes
     * @return {@code inputGradient}
     */
    protected abstract Tensor4D inputGradientIntoChecked(Tensor4D gradOutput, Tensor4D inputGradient);

    /**
     * {@code dL/dw} of checked operands into a checked {@code weightGradient}.
     *
     * @param input the input
     * @param gradOutput {@code dL/dy}
     * @param weightGradient where it goes
     * @return {@code weightGradient}
     */
    protected abstract Tensor4D weightGradientIntoChecked(Tensor4D input, Tensor4D gradOutput,
                                                          Tensor4D weightGradient);

    /**
     * Takes a new weight, checked against the geometry; the subclass copies what it keeps (the caller's may change).
     * The weight's form is recorded after it returns.
     *
     * @param weight the weight, any storage and layout
     */
    protected abstract void loadWeights(Tensor4D weight);
}
