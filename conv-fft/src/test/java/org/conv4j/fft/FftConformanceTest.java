package org.conv4j.fft;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/** The shared conformance kit, with the tolerance documented in docs/fft.md (float32 FFT error). */
class FftConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new FftBackend();
    }

    @Override
    protected float tolerance() {
        return FftBackend.TOLERANCE;
    }
}
