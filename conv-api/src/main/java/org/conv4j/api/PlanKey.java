package org.conv4j.api;

/**
 * What a backend decision depends on: the geometry (every size and the parameters), the pass and, for measured
 * decisions, the thread count (0 for estimated ones, which do not depend on it). A cheap map key, so that a
 * repeated layer finds its decision in well under a microsecond.
 */
record PlanKey(ConvShape shape, ConvPass pass, int threads) {

    /** The key of an estimated decision. */
    PlanKey(ConvShape shape, ConvPass pass) {
        this(shape, pass, 0);
    }
}
