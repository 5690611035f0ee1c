package org.conv4j.im2col;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The shared kit with the default tolerance (1e-5 of the reference's largest value): float32 GEMM. */
class Im2colConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new Im2colBackend();
    }
}
