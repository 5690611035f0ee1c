package org.conv4j.openblas;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.openblas.AbstractGemmBackend.Band;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link AbstractGemmBackend#backwardLoop}: the bands in order, and only the steps of the wanted gradients. */
class BackwardLoopTest {

    /** Batch 5, 7 output rows of 6, 2 groups. */
    private static final ConvShape SHAPE = ConvShape.forward(Tensor4D.zeros(5, 4, 7, 6), Tensor4D.zeros(6, 2, 1, 1),
            null, ConvParams.builder().groups(2).build());

    @Test
    void bandsCoverTheCallInOrder() {
        List<Band> bands = new ArrayList<>();
        AbstractGemmBackend.forEachBand(SHAPE, 2, 3, bands::add);
        assertEquals(List.of(new Band(0, 2, 0, 3, 18), new Band(0, 2, 3, 6, 18), new Band(0, 2, 6, 7, 6),
                new Band(2, 2, 0, 3, 18), new Band(2, 2, 3, 6, 18), new Band(2, 2, 6, 7, 6),
                new Band(4, 1, 0, 3, 18), new Band(4, 1, 3, 6, 18), new Band(4, 1, 6, 7, 6)), bands);
        assertEquals(List.of(true, false, false, false, false, false, false, false, false),
                bands.stream().map(Band::first).toList());
    }

    @Test
    void runsOnlyTheStepsOfTheWantedGradients() {
        assertEquals("s w0 i0 w1 i1 f s w0 i0 w1 i1 f s w0 i0 w1 i1 f", trace(true, true));
        assertEquals("s i0 i1 f s i0 i1 f s i0 i1 f", trace(false, true));
        assertEquals("s w0 w1 f s w0 w1 f s w0 w1 f", trace(true, false));
    }

    private static String trace(boolean weight, boolean input) {
        List<String> steps = new ArrayList<>();
        AbstractGemmBackend.backwardLoop(SHAPE, 5, 3, weight, input, b -> steps.add("s"),
                (b, g) -> steps.add("w" + g), (b, g) -> steps.add("i" + g), b -> steps.add("f"));
        return String.join(" ", steps);
    }
}
