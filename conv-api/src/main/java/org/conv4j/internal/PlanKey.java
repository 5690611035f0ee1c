package org.conv4j.internal;

import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;

/**
 * What a backend decision depends on: the geometry (every size and the parameters), the pass and, for measured
 * decisions, the thread count (0 for estimated ones, which do not depend on it). A cheap map key, so that a
 * repeated layer finds its decision in well under a microsecond.
 */
public record PlanKey(ConvShape shape, ConvPass pass, int threads) {

    /** The key of an estimated decision. */
    public PlanKey(ConvShape shape, ConvPass pass) {
        this(shape, pass, 0);
    }
}
