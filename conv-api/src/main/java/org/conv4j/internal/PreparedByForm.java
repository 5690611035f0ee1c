package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.PreparedCalls;

import java.util.HashMap;
import java.util.Map;

/**
 * The facade's prepared convolution ({@link Conv2d#prepareForward}): the best backend for a call depends on the
 * storage and layout of its input and output (a backend that reads native channels-last tensors in place beats
 * one that converts them), which are known only at the call. So the first call with each form of input and output
 * chooses the backend and prepares it; later calls with that form go straight to that prepared convolution. A
 * geometry sees at most 16 forms (two bits of storage and layout for each of input and output).
 *
 * <p>The choice: by default, the smallest estimate with the conversions priced ({@link LayoutEdge#forwardNanos});
 * with {@code timed} (autotune mode), the candidates autotuning would time ({@link BackendSelector#autotuneCandidates},
 * by those estimates) are each prepared and timed on the call's own tensors (one warm-up call, then the best of
 * {@value #TIMED_CALLS}), and the fastest is kept: a prepared convolution serves many calls, so a few calls of each
 * candidate at the first one are cheap beside them.
 *
 * <p>Thread-safety: as {@link PreparedConvolution}; the map of forms is guarded by this object, and each call runs
 * on its form's prepared convolution, which serialises its own calls.
 */
public final class PreparedByForm implements PreparedConvolution {

    /** Timed calls per candidate when the choice is timed. */
    static final int TIMED_CALLS = 3;

    /** The facade's estimated choice of a backend for a forward call on these operands (Conv2d's, cached). */
    @FunctionalInterface
    public interface Chooser {
        /**
         * The backend by estimate, the conversions of these operands priced in.
         *
         * @param shape the validated geometry
         * @param input the input, as the caller gave it
         * @param weight the weight
         * @param output the output, as it will be written
         * @return the backend
         */
        ConvBackend choose(ConvShape shape, Tensor4D input, Tensor4D weight, Tensor4D output);
    }

    private final ConvShape shape;
    private final Map<Integer, PreparedConvolution> byForm = new HashMap<>();
    private Tensor4D weight;
    private float[] bias;
    private final boolean hasBias;
    private final boolean timed;
    private final Chooser estimated;
    private PreparedConvolution last;
    private boolean closed;

    /**
     * A prepared forward pass on {@code shape}, its weights copied.
     *
     * @param shape the validated geometry
     * @param weight the weight, any storage and layout
     * @param bias the bias, or null
     * @param timed whether each form's backend is chosen by timing (autotune mode) rather than by estimate
     * @param estimated the facade's estimated choice, for the forms not timed
     */
    public PreparedByForm(ConvShape shape, Tensor4D weight, float[] bias, boolean timed, Chooser estimated) {
        this.shape = shape;
        this.timed = timed;
        this.estimated = estimated;
        this.hasBias = bias != null;
        this.weight = weight.toHeapNchw().copy();
        this.bias = bias == null ? null : bias.clone();
        if (!timed) {
            // the heap NCHW form, chosen by estimate and prepared at once, so that preparing does its work (and its
            // failures) up front; when timed, each form's first call chooses and prepares
            last = Conv2d.plan(shape, ConvPass.FORWARD).backend().prepareForward(shape, this.weight, this.bias);
            byForm.put(0, last);
        }
    }

    @Override
    public ConvShape shape() {
        return shape;
    }

    /** The backend of the most recent call's form (before the first call, {@link Conv2d#plan}'s for heap NCHW). */
    @Override
    public synchronized ConvBackend backend() {
        checkOpen();
        return last != null ? last.backend() : Conv2d.plan(shape, ConvPass.FORWARD).backend();
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
        last = prepared(input, output, LayoutEdge.forms(input, output));
        return last;
    }

    /**
     * The prepared convolution for {@code form}, chosen and prepared on first use: timed, or by the estimate with
     * the conversions of this input and output (heap NCHW's is prepared at construction when not timed).
     */
    private PreparedConvolution prepared(Tensor4D input, Tensor4D output, int form) {
        PreparedConvolution p = byForm.get(form);
        if (p == null) {
            p = timed ? fastest(input, output)
                    : estimated.choose(shape, input, weight, output).prepareForward(shape, weight, bias);
            byForm.put(form, p);
        }
        return p;
    }

    /** Each autotune candidate prepared and timed on {@code input} and {@code output}; the fastest, the others closed. */
    private PreparedConvolution fastest(Tensor4D input, Tensor4D output) {
        PreparedConvolution best = null;
        long bestNanos = Long.MAX_VALUE;
        for (ConvBackend b : BackendSelector.autotuneCandidates(BackendSelector.estimates(Conv2d.backends(), shape,
                ConvPass.FORWARD, LayoutEdge.forwardNanos(shape, input, weight, output)))) {
            PreparedConvolution p = b.prepareForward(shape, weight, bias);
            p.forwardInto(input, output);
            long nanos = Long.MAX_VALUE;
            for (int i = 0; i < TIMED_CALLS; i++) {
                long t0 = System.nanoTime();
                p.forwardInto(input, output);
                nanos = Math.min(nanos, System.nanoTime() - t0);
            }
            if (nanos < bestNanos) {
                if (best != null) {
                    best.close();
                }
                best = p;
                bestNanos = nanos;
            } else {
                p.close();
            }
        }
        return best;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("prepared convolution " + shape + ": closed");
        }
    }
}
