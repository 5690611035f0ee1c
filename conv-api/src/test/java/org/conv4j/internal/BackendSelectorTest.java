package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heuristic rules of {@link BackendSelector}, each with backends that would win without it. */
class BackendSelectorTest {

    static final ConvShape SHAPE = ConvShape.forward(Tensor4D.zeros(1, 2, 8, 8), Tensor4D.zeros(3, 2, 3, 3), null,
            ConvParams.DEFAULT);

    private static String chosen(ConvBackend... backends) {
        return BackendSelector.choose(List.of(backends), SHAPE, ConvPass.FORWARD).backend().name();
    }

    @Test
    void smallestEstimateWinsWhateverTheOrderOrName() {
        assertEquals("b", chosen(FakeBackend.estimated("a", 300), FakeBackend.estimated("b", 100),
                FakeBackend.estimated("c", 200)));
        ConvPlan plan = BackendSelector.choose(List.of(FakeBackend.estimated("a", 300), FakeBackend.estimated("b", 100)),
                SHAPE, ConvPass.FORWARD);
        assertEquals(ConvPlan.Reason.ESTIMATED, plan.reason());
        assertEquals(List.of("b", "a"), List.copyOf(plan.estimatedNanos().keySet()));
        assertTrue(plan.toString().contains("b (estimated fastest; estimates b 0.000100 ms, a 0.000300 ms)"),
                plan.toString());
    }

    @Test
    void aBackendThatDoesNotSupportTheShapeIsNeverChosen() {
        FakeBackend fastButUnsupported = new FakeBackend("a", 1, false, false, 0, 0);
        assertEquals("b", chosen(fastButUnsupported, FakeBackend.estimated("b", 100)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> chosen(fastButUnsupported));
        assertTrue(e.getMessage().startsWith("shape: expected a forward pass that one of the available backends [a]"
                + " supports, got input [1, 2, 8, 8]"), e.getMessage());
    }

    @Test
    void theReferenceRunsOnlyWhenNothingElseSupportsTheShape() {
        FakeBackend cheapReference = new FakeBackend("naive", 1, true, true, 0, 0);
        assertEquals("slow", chosen(cheapReference, FakeBackend.estimated("slow", 1e9)));
        assertEquals("naive", chosen(cheapReference, new FakeBackend("slow", 1e9, false, false, 0, 0)));
    }

    @Test
    void backendsWithoutEstimateComeAfterEstimatedOnesAndTheReferenceLast() {
        FakeBackend unknown = FakeBackend.estimated("a", Double.NaN);
        FakeBackend reference = new FakeBackend("naive", Double.NaN, true, true, 0, 0);
        assertEquals("z", chosen(unknown, FakeBackend.estimated("z", 1e9)));
        assertEquals("a", chosen(reference, unknown));
        assertEquals(ConvPlan.Reason.ONLY_CANDIDATE,
                BackendSelector.choose(List.of(reference, unknown), SHAPE, ConvPass.FORWARD).reason());
        assertEquals("naive", chosen(reference));
    }

    @Test
    void autotuneTimesNonReferenceBackendsWithinTheEstimateRatio() {
        FakeBackend reference = new FakeBackend("naive", 50, true, true, 0, 0);
        FakeBackend best = FakeBackend.estimated("best", 100);
        FakeBackend close = FakeBackend.estimated("close", 100 * BackendSelector.AUTOTUNE_MAX_ESTIMATE_RATIO);
        FakeBackend far = FakeBackend.estimated("far", 101 * BackendSelector.AUTOTUNE_MAX_ESTIMATE_RATIO);
        FakeBackend unknown = FakeBackend.estimated("unknown", Double.NaN);
        List<ConvBackend> all = List.of(far, unknown, reference, close, best);
        List<ConvBackend> candidates = BackendSelector.autotuneCandidates(
                BackendSelector.estimates(all, SHAPE, ConvPass.FORWARD));
        assertEquals(List.of(best, close, unknown), candidates);
        assertEquals(List.of(reference), BackendSelector.autotuneCandidates(
                BackendSelector.estimates(List.of(reference), SHAPE, ConvPass.FORWARD)));
    }

    @Test
    void theChoiceIsStableUnderRepeatedCallsAndAnyOrderOfTheBackends() {
        FakeBackend a = FakeBackend.estimated("a", 100);
        FakeBackend b = FakeBackend.estimated("b", 100);
        FakeBackend c = FakeBackend.estimated("c", 300);
        List<List<ConvBackend>> orders = List.of(List.of(a, b, c), List.of(c, b, a), List.of(b, c, a));
        for (int round = 0; round < 3; round++) {
            for (List<ConvBackend> order : orders) {
                ConvPlan plan = BackendSelector.choose(order, SHAPE, ConvPass.FORWARD);
                assertEquals("a", plan.backend().name(), "an estimate tie goes to the first name: " + order);
                assertEquals(List.of("a", "b", "c"), List.copyOf(plan.estimatedNanos().keySet()));
            }
        }
    }
}
