package org.conv4j.bench;

import java.lang.ref.Cleaner;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

/**
 * The kernel limit ({@link KernelLimit}) as a contender: a peer, not a backend the facade could choose, shown beside
 * the others so that every time in a table can be read as a ratio to it. {@value #NAME} has the activations in the
 * layout oneDNN chooses ({@code any}); {@value #NHWC_NAME} in {@code nhwc}, the kernels a caller's channels-last
 * tensors can reach with no reorder (where oneDNN's {@code nhwc} kernels are slower than its blocked ones, the gap
 * between the two limits is the layout's, not the call's). Its results are read back (reordered to conv4j's layouts)
 * only when asked for, outside the timed call.
 */
public final class KernelLimitContender implements Contender {

    /** The name in tables and in JMH's {@code backend} parameter. */
    public static final String NAME = "onednn-limit";
    /** The name of the limit with channels-last activations. */
    public static final String NHWC_NAME = "onednn-limit-nhwc";

    /** Frees a run's native objects at its {@code close()}, or when the run is no longer reachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final boolean nhwc;

    /**
     * The limit with activations in the layout oneDNN chooses ({@code nhwc} false) or in {@code nhwc}.
     *
     * @param nhwc whether the activations are channels-last
     */
    public KernelLimitContender(boolean nhwc) {
        this.nhwc = nhwc;
    }

    @Override
    public String name() {
        return nhwc ? NHWC_NAME : NAME;
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        PaddingMode mode = shape.params().paddingMode();
        return mode == PaddingMode.ZEROS ? null : "oneDNN pads with zeros only; this shape pads with " + mode;
    }

    @Override
    public Run prepare(Problem problem, ConvPass pass) {
        KernelLimit limit = KernelLimit.create(problem, pass, nhwc ? "nhwc" : "any");
        org.conv4j.api.ConvShape g = problem.shape().geometry();
        Cleaner.Cleanable[] cleanable = new Cleaner.Cleanable[1];
        Run run = new Run() {
            @Override
            public void run() {
                limit.run();
            }

            @Override
            public Tensor4D output() {
                return Tensor4D.wrap(limit.forwardOutput(), g.batch(), g.outChannels(), g.outH(), g.outW());
            }

            @Override
            public ConvGradients gradients() {
                return new ConvGradients(
                        Tensor4D.wrap(limit.inputGradient(), g.batch(), g.inChannels(), g.inH(), g.inW()),
                        Tensor4D.wrap(limit.weightGradient(), g.outChannels(), g.inChannels() / g.groups(),
                                g.kernelH(), g.kernelW()),
                        limit.biasGradient());
            }

            @Override
            public void close() {
                cleanable[0].clean();
            }
        };
        cleanable[0] = CLEANER.register(run, limit::close);
        return run;
    }
}
