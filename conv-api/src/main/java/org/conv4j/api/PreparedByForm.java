package org.conv4j.api;

import java.util.HashMap;
import java.util.Map;

/**
 * The facade's prepared convolution ({@link Conv2d#prepareForward}): the best backend for a call depends on the
 * storage and layout of its input and output (a backend that reads native channels-last tensors in place beats
 * one that converts them), which are known only at the call. So the first call with each form of input and output
 * chooses the backend by the estimate that prices the conversions ({@link LayoutEdge#forwardNanos}) and prepares it;
 * later calls with that form go straight to that prepared convolution. A geometry sees at most 16 forms (two bits
 * of storage and layout for each of input and output).
 *
 * <p>Thread-safety: as {@link PreparedConvolution}; the map of forms is guarded by this object, and each call runs
 * on its form's prepared convolution, which serialises its own calls.
 */
final class PreparedByForm implements PreparedConvolution {

    private final ConvShape shape;
    private final Map<Integer, PreparedConvolution> byForm = new HashMap<>();
    private Tensor4D weight;
    private float[] bias;
    private final boolean hasBias;
    private PreparedConvolution last;
    private boolean closed;

    PreparedByForm(ConvShape shape, Tensor4D weight, float[] bias) {
        this.shape = shape;
        this.hasBias = bias != null;
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
        // the heap NCHW form, prepared at once so that preparing does its work (and its failures) up front
        last = prepared(null, null, 0);
    }

    @Override
    public ConvShape shape() {
        return shape;
    }

    /** The backend of the most recent call's form (heap NCHW's before the first call). */
    @Override
    public synchronized ConvBackend backend() {
        checkOpen();
        return last.backend();
    }

    @Override
    public Tensor4D forward(Tensor4D input) {
        PreparedCalls.checkInput(shape, input);
        return forwardInto(input, shape.newOutputLike(input));
    }

    @Override
    public Tensor4D forwardInto(Tensor4D input, Tensor4D output) {
        PreparedCalls.checkInput(shape, input);
        shape.checkOutput(output);
        return forForm(input, output).forwardInto(input, output);
    }

    @Override
    public synchronized void setWeights(Tensor4D weight, float[] bias) {
        checkOpen();
        PreparedCalls.checkWeights(shape, weight, bias, hasBias);
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
        for (PreparedConvolution p : byForm.values()) {
            p.setWeights(this.weight, this.bias);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (PreparedConvolution p : byForm.values()) {
            p.close();
        }
        byForm.clear();
        weight = null;
    }

    private synchronized PreparedConvolution forForm(Tensor4D input, Tensor4D output) {
        checkOpen();
        last = prepared(input, output, Conv2d.forms(input, output));
        return last;
    }

    /**
     * The prepared convolution for {@code form}, chosen and prepared on first use: for heap NCHW (form 0) as
     * {@link Conv2d#plan} chooses, else by the estimate with the conversions of this input and output.
     */
    private PreparedConvolution prepared(Tensor4D input, Tensor4D output, int form) {
        PreparedConvolution p = byForm.get(form);
        if (p == null) {
            ConvBackend b = form == 0 ? Conv2d.plan(shape, ConvPass.FORWARD).backend()
                    : Conv2d.estimated(shape, input, weight, output);
            p = b.prepareForward(shape, weight, bias);
            byForm.put(form, p);
        }
        return p;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("prepared convolution " + shape + ": closed");
        }
    }
}
