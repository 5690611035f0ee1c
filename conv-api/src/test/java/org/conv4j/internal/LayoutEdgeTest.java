package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.WorkspaceBudget;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conversions at a call's edge: held against the workspace budget, and priced in the estimates. */
class LayoutEdgeTest {

    /**
     * A backend that records the budget's granted bytes while it runs, fills its output with its id, and says it
     * takes native operands in place when asked to.
     */
    private static final class Probe extends AbstractConvBackend {
        private final String name;
        private final double estimate;
        private final boolean inPlace;
        long grantedDuringCall = -1;

        Probe(String name, double estimate, boolean inPlace) {
            this.name = name;
            this.estimate = estimate;
            this.inPlace = inPlace;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double estimateNanos(ConvShape shape, ConvPass pass) {
            return estimate;
        }

        @Override
        protected boolean forwardsInPlace(ConvShape s, Tensor4D input, Tensor4D output) {
            return inPlace && input.isNative() && output.isNative();
        }

        @Override
        protected double backwardInPlaceSavingsNanos(ConvShape s, ConvPass pass, MemoryLayout layout) {
            return inPlace ? 0 : Double.NaN;
        }

        @Override
        protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
            grantedDuringCall = WorkspaceBudget.global().grantedBytes();
            return output.fill(1);
        }

        @Override
        protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
            grantedDuringCall = WorkspaceBudget.global().grantedBytes();
            return new ConvGradients(Tensor4D.zeros(input.n(), input.c(), input.h(), input.w()),
                    Tensor4D.zeros(weight.n(), weight.c(), weight.h(), weight.w()), new float[weight.n()]);
        }
    }

    private static final ConvParams SAME = ConvParams.builder().padding(1).build();

    @Test
    void aForwardCallHoldsItsStagedCopiesAgainstTheBudget() {
        Probe probe = new Probe("probe", 1, false);
        Tensor4D input = Tensor4D.random(1, 2, 3, 8, 8).toLayout(MemoryLayout.NHWC);
        Tensor4D weight = Tensor4D.random(2, 4, 3, 3, 3);
        long before = WorkspaceBudget.global().grantedBytes();
        Tensor4D y = probe.forward(input, weight, null, SAME);
        // the input's heap NCHW copy and the output's, before it is written into the NHWC result
        assertEquals(before + 4L * (input.size() + y.size()), probe.grantedDuringCall);
        assertEquals(before, WorkspaceBudget.global().grantedBytes());
        assertEquals(MemoryLayout.NHWC, y.layout());

        probe.forward(input.toLayout(MemoryLayout.NCHW), weight, null, SAME);
        assertEquals(before, probe.grantedDuringCall, "heap NCHW operands stage nothing");
    }

    @Test
    void aBackwardCallHoldsItsOperandsAndResultsAgainstTheBudget() {
        Probe probe = new Probe("probe", 1, false);
        try (Tensor4D input = Tensor4D.random(3, 2, 3, 8, 8).toNative(MemoryLayout.NCHW)) {
            Tensor4D weight = Tensor4D.random(4, 4, 3, 3, 3);
            Tensor4D gradOutput = Tensor4D.random(5, 2, 4, 8, 8);
            long before = WorkspaceBudget.global().grantedBytes();
            probe.backward(input, weight, gradOutput, SAME);
            // the input's copy and dL/dx's before it is written into native memory
            assertEquals(before + 4L * 2 * input.size(), probe.grantedDuringCall);
            assertEquals(before, WorkspaceBudget.global().grantedBytes());
        }
    }

    @Test
    void theConversionPriceCanTipTheChoiceToABackendThatTakesOperandsInPlace() {
        Tensor4D weight = Tensor4D.random(6, 16, 16, 3, 3);
        try (Tensor4D input = Tensor4D.allocateNative(MemoryLayout.NHWC, 8, 16, 56, 56);
             Tensor4D output = Tensor4D.allocateNative(MemoryLayout.NHWC, 8, 16, 56, 56)) {
            ConvShape s = ConvShape.forward(input, weight, null, SAME);
            double conversions = LayoutEdge.nanos(input, weight, output);
            assertTrue(conversions > 0);
            // copying is cheaper by half the conversions' price: chosen on heap NCHW, not on native NHWC
            Probe copying = new Probe("copying", 1000, false);
            Probe inPlace = new Probe("in-place", 1000 + conversions / 2, true);
            List<ConvBackend> both = List.of(copying, inPlace);
            assertSame(copying, BackendSelector.choose(both, s, ConvPass.FORWARD).backend());
            assertSame(inPlace, BackendSelector.choose(both, s, ConvPass.FORWARD,
                    LayoutEdge.forwardNanos(s, input, weight, output)).backend());
            // a transpose costs more per float than a bulk copy
            try (Tensor4D nchw = Tensor4D.allocateNative(MemoryLayout.NCHW, 8, 16, 56, 56)) {
                assertTrue(LayoutEdge.nanos(nchw) < LayoutEdge.nanos(input));
            }
        }
    }

    /**
     * For a prepared backward pass, a backend whose prepared pass takes native activations of one layout in place
     * pays no conversion for them; with activations in mixed forms every backend pays for converting them.
     */
    @Test
    void aPreparedBackwardPassCreditsABackendThatTakesNativeActivationsInPlace() {
        Tensor4D weightGradient = Tensor4D.zeros(16, 16, 3, 3);
        try (Tensor4D input = Tensor4D.allocateNative(MemoryLayout.NHWC, 8, 16, 56, 56);
             Tensor4D gradOutput = Tensor4D.allocateNative(MemoryLayout.NHWC, 8, 16, 56, 56);
             Tensor4D inputGradient = Tensor4D.allocateNative(MemoryLayout.NHWC, 8, 16, 56, 56)) {
            ConvShape s = ConvShape.backward(input, weightGradient, gradOutput, SAME);
            double conversions = LayoutEdge.nanos(input, gradOutput, inputGradient);
            Probe copying = new Probe("copying", 1000, false);
            Probe inPlace = new Probe("in-place", 1000 + conversions / 2, true);
            List<ConvBackend> both = List.of(copying, inPlace);
            assertEquals(conversions, LayoutEdge.backwardNanos(s, ConvPass.BACKWARD, weightGradient, input,
                    gradOutput, inputGradient).applyAsDouble(copying));
            assertEquals(0, LayoutEdge.backwardNanos(s, ConvPass.BACKWARD, weightGradient, input,
                    gradOutput, inputGradient).applyAsDouble(inPlace), "nothing converted, no staging skipped");
            assertSame(inPlace, BackendSelector.choose(both, s, ConvPass.BACKWARD, LayoutEdge.backwardNanos(
                    s, ConvPass.BACKWARD, weightGradient, input, gradOutput, inputGradient)).backend());
            Tensor4D heapGradOutput = gradOutput.toHeapNchw();
            assertSame(copying, BackendSelector.choose(both, s, ConvPass.BACKWARD, LayoutEdge.backwardNanos(
                    s, ConvPass.BACKWARD, weightGradient, input, heapGradOutput, inputGradient)).backend(),
                    "mixed forms: both convert");
        }
    }

    @Test
    void formsCountANullAsHeapNchw() {
        Tensor4D nhwc = Tensor4D.zeros(MemoryLayout.NHWC, 1, 2, 3, 3);
        assertEquals(LayoutEdge.forms(nhwc, Tensor4D.zeros(1, 1, 1, 1), nhwc), LayoutEdge.forms(nhwc, null, nhwc));
        assertEquals(2 | 2 << 4, LayoutEdge.forms(nhwc, null, nhwc));
    }
}
