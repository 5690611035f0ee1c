package org.conv4j.onednn;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The shared conformance kit, with the tolerance documented in {@link OnednnBackend#TOLERANCE}. */
class OnednnConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new OnednnBackend();
    }

    @Override
    protected float tolerance() {
        return OnednnBackend.TOLERANCE;
    }
}
