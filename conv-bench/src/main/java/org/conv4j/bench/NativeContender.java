package org.conv4j.bench;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;

/**
 * The facade, or one backend, on tensors in native memory, channels-last (the weight stays heap NCHW, as users hold
 * it): {@value #FACADE} calls {@code Conv2d.selecting()} each time (forward into a native output, or backward);
 * {@value #PREPARED} runs a pass prepared once: forward with {@link Conv2d#prepareForward} into a native NHWC output,
 * backward with {@link Conv2d#prepareBackward} into gradients allocated once, {@code dL/dx} native NHWC like the
 * input and {@code dL/dw} heap NCHW like the weight. {@code NAME}{@value #FACADE_SUFFIX} and
 * {@code NAME}{@value #PREPARED_SUFFIX} do the same with the backend {@code NAME} alone, to compare the facade's choice
 * with each candidate on the same tensors. Chosen by name only (not part of {@code all}), for the fast-path
 * comparisons against the kernel limit ({@link KernelLimitContender}).
 */
final class NativeContender implements Contender {

    /** The name's ending for a call on native NHWC tensors. */
    static final String FACADE_SUFFIX = "-native-nhwc";
    /** The name's ending for a prepared call on native NHWC tensors. */
    static final String PREPARED_SUFFIX = "-prepared-native-nhwc";
    /** The facade's call on native NHWC tensors. */
    static final String FACADE = "conv2d" + FACADE_SUFFIX;
    /** A prepared call on native NHWC tensors. */
    static final String PREPARED = "conv2d" + PREPARED_SUFFIX;

    private final ConvBackend backend;
    private final boolean prepared;

    /**
     * @param backend the backend to call, {@code Conv2d.selecting()} for the facade
     * @param prepared whether calls go through a prepared pass
     */
    NativeContender(ConvBackend backend, boolean prepared) {
        this.backend = backend;
        this.prepared = prepared;
    }

    @Override
    public String name() {
        return backend.name() + (prepared ? PREPARED_SUFFIX : FACADE_SUFFIX);
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        String rule = SkipRule.skipReason(backend.name(), shape, pass);
        if (rule != null || backend == Conv2d.selecting()) {
            return rule;
        }
        return backend.supports(shape.geometry(), pass) ? null : backend.name() + " does not support this layer";
    }

    @Override
    public Run prepare(Problem p, ConvPass pass) {
        ConvShape g = p.shape().geometry();
        Tensor4D input = p.input().toNative(MemoryLayout.NHWC);
        Tensor4D output = g.newOutputLike(input);
        Tensor4D gradOutput = pass == ConvPass.FORWARD ? null : p.gradOutput().toNative(MemoryLayout.NHWC);
        PreparedConvolution conv = prepared && pass == ConvPass.FORWARD
                ? backend.prepareForward(g, p.weight(), p.bias()) : null;
        PreparedBackward back = prepared && pass != ConvPass.FORWARD ? backend.prepareBackward(g, p.weight()) : null;
        ConvGradients into = back == null ? null : new ConvGradients(
                Tensor4D.allocateNative(MemoryLayout.NHWC, g.batch(), g.inChannels(), g.inH(), g.inW()),
                g.newWeight(), new float[g.outChannels()]);
        return new Run() {
            private ConvGradients gradients;

            @Override
            public void run() {
                if (conv != null) {
                    conv.forwardInto(input, output);
                } else if (back != null) {
                    gradients = back.backwardInto(input, gradOutput, into);
                } else if (pass == ConvPass.FORWARD) {
                    backend.forwardInto(input, p.weight(), p.bias(), p.shape().params(), output);
                } else {
                    if (gradients != null) {
                        // the last call's dL/dx, native like the input: freed now, as a user of the call would,
                        // rather than left to the garbage collector (direct memory in use beyond the JVM's limit
                        // has every allocation wait for a collection)
                        gradients.input().close();
                    }
                    gradients = backend.backward(input, p.weight(), gradOutput, p.shape().params());
                }
            }

            @Override
            public Tensor4D output() {
                return output.toHeapNchw();
            }

            @Override
            public ConvGradients gradients() {
                return gradients;
            }

            @Override
            public void close() {
                if (conv != null) {
                    conv.close();
                }
                if (back != null) {
                    back.close();
                    into.input().close();
                }
                if (gradients != null && gradients != into) {
                    gradients.input().close(); // the facade's dL/dx, native like the input
                }
                input.close();
                output.close();
                if (gradOutput != null) {
                    gradOutput.close();
                }
            }
        };
    }
}
