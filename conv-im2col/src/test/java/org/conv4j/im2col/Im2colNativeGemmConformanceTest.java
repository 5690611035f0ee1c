package org.conv4j.im2col;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The kit again with every pass, forward and backward, on OpenBLAS: the kit's cases are small, so the default
 * backend sends most of them to the Java GEMMs for small convolutions ({@link Im2colBackend#SMALL_MACS}).
 */
class Im2colNativeGemmConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new Im2colBackend(Workspace.DEFAULT_LIMIT_BYTES, 0);
    }
}
