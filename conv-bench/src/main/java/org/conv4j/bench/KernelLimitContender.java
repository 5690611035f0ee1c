package org.conv4j.bench;

import java.lang.ref.Cleaner;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

/**
 * The kernel limit ({@link KernelLimit}, layout {@code any}) as a contender named {@value #NAME}: a peer, not a
 * backend the facade could choose, shown beside the others so that every time in a table can be read as a
 * ratio to it. Its results are read back (reordered to conv4j's layouts) only when asked for, outside the timed
 * call.
 */
public final class KernelLimitContender implements Contender {

    /** The name in tables and in JMH's {@code backend} parameter. */
    public static final String NAME = "onednn-limit";

    /** Frees a run's native objects at its {@code close()}, or when the run is no longer reachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        PaddingMode mode = shape.params().paddingMode();
        return mode == PaddingMode.ZEROS ? null : "oneDNN pads with zeros only; this shape pads with " + mode;
    }

    @Override
    public Run prepare(Problem problem, ConvPass pass) {
        KernelLimit limit = KernelLimit.create(problem, pass, "any");
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
