package org.conv4j.strided;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The shared conformance kit. Tolerance: the kit's default float32-GEMM bound, 1e-5 of the reference's scale. */
class StridedConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new StridedBackend();
    }
}
