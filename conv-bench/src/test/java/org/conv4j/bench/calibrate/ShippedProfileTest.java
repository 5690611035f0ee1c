package org.conv4j.bench.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import java.util.Set;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.CpuInfo;
import org.junit.jupiter.api.Test;

/** The profiles every backend module ships, as a user's class path merges them. */
class ShippedProfileTest {

    private static final CpuInfo AVX2 = new CpuInfo("x", "y", Set.of("avx2"));
    private static final CpuInfo AVX512 = new CpuInfo("x", "y", Set.of("avx2", "avx512f"));

    /** Where the processor has AVX-512, a backend's AVX-512 models replace its base models whole. */
    @Test
    void anAvx512OverlayReplacesItsBackendsModelsWhole() {
        Properties base = CostProfile.shipped(AVX2);
        Properties avx512 = CostProfile.shipped(AVX512);
        assertNotNull(base.getProperty("im2col.stagingFactor"));
        assertNull(avx512.getProperty("im2col.stagingFactor"), "a base-only key survived the overlay");
        assertEquals("24400", avx512.getProperty("im2col.fixedNs"));
        assertEquals(base.getProperty("machine.gemmMacsPerNs"), avx512.getProperty("machine.gemmMacsPerNs"));
    }

    /** Every backend's estimate exists and is positive under both shipped profiles, forward and backward. */
    @Test
    void everyBackendEstimatesUnderBothProfiles() {
        ConvShape s = ConvShape.forward(Tensor4D.zeros(2, 16, 20, 20), Tensor4D.zeros(8, 16, 3, 3), null,
                ConvParams.builder().padding(1).build());
        for (CpuInfo cpu : new CpuInfo[] {AVX2, AVX512}) {
            CostProfile p = CostProfile.load(CostProfile.shipped(cpu), null);
            for (ConvBackend b : Conv2d.backends()) {
                for (ConvPass pass : new ConvPass[] {ConvPass.FORWARD, ConvPass.BACKWARD}) {
                    String model = b.costModel(s, pass);
                    double ns = model != null ? p.model(model).nanos(s, pass) : p.estimate(b, s, pass);
                    assertTrue(ns > 0 || (Double.isNaN(ns) && b.isReference()), b.name() + " " + pass + " " + ns);
                }
            }
        }
    }
}
