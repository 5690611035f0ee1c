package org.conv4j.bench;

import org.conv4j.api.ConvPass;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The passes the benchmarks name: forward and backward, as the command line and JMH parameters spell them. */
class MeasuredPassesTest {

    @Test
    void theLabelsParseInAnyCaseAndNothingElseDoes() {
        assertEquals(List.of(ConvPass.FORWARD, ConvPass.BACKWARD), MeasuredPasses.ALL);
        for (ConvPass p : MeasuredPasses.ALL) {
            assertEquals(p, MeasuredPasses.parse(p.label()));
            assertEquals(p, MeasuredPasses.parse(" " + p.name() + " "));
        }
        assertThrows(IllegalArgumentException.class, () -> MeasuredPasses.parse("input-gradient"));
        assertThrows(IllegalArgumentException.class, () -> MeasuredPasses.parse("both"));
    }

    @Test
    void aProblemIsMadeForAMeasuredPassOnly() {
        BenchShape s = ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1);
        assertEquals(null, Problem.of(s, ConvPass.FORWARD, Problem.DEFAULT_SEED).gradOutput());
        assertThrows(IllegalArgumentException.class,
                () -> Problem.of(s, ConvPass.WEIGHT_GRADIENT, Problem.DEFAULT_SEED));
    }
}
