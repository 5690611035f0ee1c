package org.conv4j.naive;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The reference runs the kit too: its bad-input, locality and concurrency checks are independent of it. */
class NaiveConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new NaiveBackend();
    }
}
