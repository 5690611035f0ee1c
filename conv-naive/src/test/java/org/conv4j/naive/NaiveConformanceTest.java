package org.conv4j.naive;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The reference runs the kit too. The kit compares it with a second, independently written reference
 * (padding materialised, loops tap by tap) instead of with itself.
 */
class NaiveConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new NaiveBackend();
    }
}
