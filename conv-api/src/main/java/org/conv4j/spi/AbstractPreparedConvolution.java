package org.conv4j.spi;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;

/**
 * The calls of a backend's prepared forward pass ({@link PreparedConvolution}), each checked here once: the pass is
 * open, the tensors and weights fit the prepared geometry ({@link PreparedCalls#checkInput},
 * {@link ConvShape#checkOutput}, {@link PreparedCalls#checkWeights}), and
 * {@link #forward} allocates the output like its input and runs as {@link #forwardInto}. A subclass supplies the
 * computation on operands already checked ({@link #forwardChecked}), the loading of new weights
 * ({@link #loadWeights}) and what {@link #close()} frees ({@link #release()}).
 *
 * <p>Thread-safety: as {@link PreparedConvolution}; every call is {@code synchronized} on this object, so the hooks
 * run one at a time with its lock held.
 *
 * @param <B> the backend's type
 */
public abstract class AbstractPreparedConvolution<B extends ConvBackend> extends AbstractPrepared<B>
        implements PreparedConvolution {

    /** Whether the pass was prepared with a bias; every {@link #setWeights} must give one exactly then. */
    protected final boolean hasBias;

    /**
     * For subclasses, which load the first weights with {@link #setWeights} once their own fields are set.
     *
     * @param backend the backend
     * @param shape the validated geometry
     * @param hasBias whether the pass has a bias
     */
    protected AbstractPreparedConvolution(B backend, ConvShape shape, boolean hasBias) {
        super(backend, shape, "prepared convolution");
        this.hasBias = hasBias;
    }

    @Override
    public final synchronized Tensor4D forward(Tensor4D input) {
        checkOpen();
        PreparedCalls.checkInput(shape, input);
        return forwardInto(input, shape.newOutputLike(input));
    }

    @Override
    public final synchronized Tensor4D forwardInto(Tensor4D input, Tensor4D output) {
        checkOpen();
        PreparedCalls.checkInput(shape, input);
        shape.checkOutput(output);
        return forwardChecked(input, output);
    }

    @Override
    public final synchronized void setWeights(Tensor4D weight, float[] bias) {
        checkOpen();
        PreparedCalls.checkWeights(shape, weight, bias, hasBias);
        loadWeights(weight, bias);
    }

    /**
     * The forward pass into {@code output}, both checked against the geometry.
     *
     * @param input the input, of the prepared input shape, any storage and layout
     * @param output the output, of the prepared output shape, any storage and layout
     * @return {@code output}
     */
    protected abstract Tensor4D forwardChecked(Tensor4D input, Tensor4D output);

    /**
     * Takes new weights, checked against the geometry; the subclass copies what it keeps (the caller's may change).
     *
     * @param weight the weight, any storage and layout
     * @param bias the bias, or null exactly if the pass has none
     */
    protected abstract void loadWeights(Tensor4D weight, float[] bias);
}
