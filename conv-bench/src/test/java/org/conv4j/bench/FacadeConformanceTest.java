package org.conv4j.bench;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The shared kit on the facade in its default mode, with every backend on the classpath: its choice per call and
 * per form of operands (storage and layout), its conversions at the edge and its prepared convolutions
 * ({@code PreparedByForm}) agree with the reference. The tolerance is the loosest of the backends it may choose
 * (winograd's, 5e-5).
 */
class FacadeConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return Conv2d.selecting();
    }

    @Override
    protected float tolerance() {
        return 5e-5f;
    }
}
