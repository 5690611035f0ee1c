package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.PreparedCalls;

/**
 * The facade's prepared forward pass ({@link Conv2d#prepareForward}): per form of input and output, the backend
 * chosen at the first call with that form ({@link PreparedForms}: timed among the candidates by the estimate with the
 * conversions priced, {@link LayoutEdge#forwardNanos}), prepared with {@link ConvBackend#prepareForward}. A
 * geometry sees at most 16 forms (two bits of storage and layout for each of input and output); the weights are held
 * as a heap NCHW copy, so they add none.
 *
 * <p>Thread-safety: as {@link PreparedConvolution}; the choices are guarded by this object, and each call runs on its
 * form's prepared convolution, which serialises its own calls.
 */
public final class PreparedByForm extends PreparedForms<PreparedConvolution> implements PreparedConvolution {

    private Tensor4D weight;
    private float[] bias;
    private final boolean hasBias;

    /**
     * A prepared forward pass on {@code shape}, its weights copied.
     *
     * @param shape the validated geometry
     * @param weight the weight, any storage and layout
     * @param bias the bias, or null
     */
    public PreparedByForm(ConvShape shape, Tensor4D weight, float[] bias) {
        super("prepared convolution", shape, PreparedConvolution::backend,
                PreparedConvolution::close);
        this.hasBias = bias != null;
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
        prepareNow(Conv2d.plan(shape, ConvPass.FORWARD).backend());
    }

    @Override
    protected PreparedConvolution prepare(ConvBackend backend) {
        return backend.prepareForward(shape(), weight, bias);
    }

    /** The backend of the most recent call's form (before the first call, {@link Conv2d#plan}'s for heap NCHW). */
    @Override
    public ConvBackend backend() {
        return lastBackend(ConvPass.FORWARD);
    }

    @Override
    public Tensor4D forward(Tensor4D input) {
        checkOpen();
        PreparedCalls.checkInput(shape(), input);
        return forwardInto(input, shape().newOutputLike(input));
    }

    @Override
    public Tensor4D forwardInto(Tensor4D input, Tensor4D output) {
        PreparedCalls.checkInput(shape(), input);
        shape().checkOutput(output);
        // the weight is a heap NCHW copy: form 0, no conversion
        return forForm(ConvPass.FORWARD, LayoutEdge.forms(input, null, output),
                LayoutEdge.forwardNanos(shape(), input, null, output), p -> p.forwardInto(input, output))
                .forwardInto(input, output);
    }

    @Override
    public synchronized void setWeights(Tensor4D weight, float[] bias) {
        checkOpen();
        PreparedCalls.checkWeights(shape(), weight, bias, hasBias);
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
        forEachPrepared(p -> p.setWeights(this.weight, this.bias));
    }
}
