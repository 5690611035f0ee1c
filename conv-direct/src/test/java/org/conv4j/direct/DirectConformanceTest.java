package org.conv4j.direct;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The shared conformance kit, at its default tolerance (docs/direct.md#accuracy). */
class DirectConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new DirectBackend();
    }
}
