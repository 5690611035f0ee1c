package org.conv4j.bench;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.Tensor4D;

/**
 * A conv4j backend as a contender. Forward uses {@link ConvBackend#forwardInto} with a preallocated
 * output (no allocation in the timed call beyond what the backend itself does); backward returns new
 * gradients, as the API does.
 */
public final class BackendContender implements Contender {

    private final ConvBackend backend;

    public BackendContender(ConvBackend backend) {
        this.backend = backend;
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public String skipReason(BenchShape shape, ConvPass pass) {
        return SkipRule.skipReason(backend.name(), shape, pass);
    }

    /** Calls of the autotuning facade in {@link #prepare}, at most, to let its decision settle. */
    static final int AUTOTUNE_SETTLE_CALLS = 40;

    @Override
    public Run prepare(Problem p, ConvPass pass) {
        Tensor4D out = p.shape().geometry().newOutput();
        Run run = run(p, pass, out);
        if (backend == Conv2d.autotuning()) {
            // The autotune contender is measured after its first calls, when its choice has settled (its first
            // call's cost is AutotuneBench's); a decision still sampling would mix several backends' times.
            for (int i = 0; i < AUTOTUNE_SETTLE_CALLS; i++) {
                ConvPlan plan = Conv2d.autotunedPlan(p.shape().geometry(), pass);
                if (plan != null && plan.isSettled()) {
                    break;
                }
                run.run();
            }
        }
        return run;
    }

    private Run run(Problem p, ConvPass pass, Tensor4D out) {
        return new Run() {
            private ConvGradients gradients;

            @Override
            public void run() {
                if (pass == ConvPass.FORWARD) {
                    backend.forwardInto(p.input(), p.weight(), p.bias(), p.shape().params(), out);
                } else {
                    gradients = backend.backward(p.input(), p.weight(), p.gradOutput(), p.shape().params());
                }
            }

            @Override
            public Tensor4D output() {
                return out;
            }

            @Override
            public ConvGradients gradients() {
                return gradients;
            }
        };
    }
}
