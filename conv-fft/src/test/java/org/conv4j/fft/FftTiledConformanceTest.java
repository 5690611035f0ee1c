package org.conv4j.fft;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The conformance kit again, on the paths the default settings rarely take on the kit's small shapes:
 * transforms capped at 24 per axis (so every image wider or taller than about 24 - e + 1 outputs is cut
 * into overlap-save tiles; the kit's largest dilated kernel is 17) and a 1-byte workspace (so the engine
 * keeps only two spectra at once: every block of the channel sum is split, and the partial outputs are
 * added in the spatial domain).
 */
class FftTiledConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new FftBackend(1, 24);
    }

    @Override
    protected float tolerance() {
        return FftBackend.TOLERANCE;
    }
}
