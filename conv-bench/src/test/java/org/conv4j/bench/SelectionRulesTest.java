package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.ConvShape;
import org.junit.jupiter.api.Test;

/**
 * The estimate rules, each on a catalogue shape where the measurements (docs/benchmarks.md, "Choosing a
 * backend") decide by a wide margin, so each test breaks if its rule is deleted or inverted.
 */
class SelectionRulesTest {

    private static ConvShape shape(String name) {
        return ShapeCatalog.byName(name).geometry();
    }

    private static double estimate(String backend, String shape, ConvPass pass) {
        return Conv2d.backend(backend).estimateNanos(shape(shape), pass);
    }

    @Test
    void largeUnstridedKernelsGoToTheFft() {
        for (ConvPass pass : ConvPass.values()) {
            ConvPlan plan = Conv2d.plan(shape(ShapeCatalog.LARGE_31X31_B1), pass);
            assertEquals("fft", plan.backend().name(), plan.toString());
            assertEquals(ConvPlan.Reason.ESTIMATED, plan.reason());
        }
    }

    @Test
    void theFftIsNotChosenForSmallOrStridedKernels() {
        for (String s : new String[] {ShapeCatalog.ALEXNET_CONV1_B1, ShapeCatalog.RESNET50_3X3_64_B1,
            "resnet50-1x1-256to64-b1", ShapeCatalog.SMALL_6X6X10_B1}) {
            for (ConvPass pass : ConvPass.values()) {
                assertTrue(estimate("fft", s, pass) > 2 * estimate("im2col", s, pass), s + " " + pass);
            }
        }
    }

    @Test
    void im2colUsesA1x1KernelInPlaceSoItBeatsTheWindowCopy() {
        String s = "resnet50-1x1-256to64-b1";
        for (ConvPass pass : ConvPass.values()) {
            assertTrue(estimate("im2col", s, pass) < estimate("strided", s, pass), pass.toString());
        }
    }

    @Test
    void theSingleChannelScalingCaseGoesToTheDirectKernels() {
        for (String s : new String[] {"single-channel-2x2-25", ShapeCatalog.SINGLE_CHANNEL_2X2_100, "single-channel-2x2-500"}) {
            for (ConvPass pass : ConvPass.values()) {
                assertEquals("direct", Conv2d.plan(shape(s), pass).backend().name(), s + " " + pass);
            }
        }
    }

    @Test
    void denseLayersGoToOnednnAndItsFixedCostKeepsItOffTinyOnes() {
        for (ConvPass pass : ConvPass.values()) {
            String layer = ShapeCatalog.RESNET50_3X3_64_B8;
            assertTrue(estimate("onednn", layer, pass) < estimate("im2col", layer, pass), pass.toString());
            assertTrue(estimate("onednn", layer, pass) < estimate("strided", layer, pass), pass.toString());
            String tiny = ShapeCatalog.SMALL_6X6X10_B1;
            assertTrue(estimate("onednn", tiny, pass) > 3 * estimate("strided", tiny, pass), pass.toString());
        }
    }

    /**
     * oneDNN's direct nhwc kernels run the kernel sweep's 7x7 backward about 3x faster than the FFT (measured
     * 16.1 against 48.6 ms); its 21x21 backward, on oneDNN's GEMM kernels, stays with the FFT (596 against 94 ms).
     */
    @Test
    void theBackwardOfMidSizeKernelsGoesToOnednnAndOfLargeOnesToTheFft() {
        assertEquals("onednn", Conv2d.plan(shape("ksweep-k7"), ConvPass.BACKWARD).backend().name());
        assertEquals("fft", Conv2d.plan(shape("ksweep-k21"), ConvPass.BACKWARD).backend().name());
    }

    /**
     * The kernel sweep's 11x11 forward pass ran faster on onednn than on the FFT in three quiet runs (17.6, 22.8 and
     * 19.9 ms against 25.0, 25.2 and 28.1 ms).
     */
    @Test
    void theForwardOfMidSizeKernelsGoesToOnednn() {
        assertEquals("onednn", Conv2d.plan(shape("ksweep-k11"), ConvPass.FORWARD).backend().name());
    }

    /**
     * AlexNet's 3-channel, stride-4 stem: oneDNN's backward ran 1.3-1.4x slower than im2col at batch 8 (61.2
     * against 47.3 ms and 75.9 against 55.9 ms in two quiet runs), so its backward goes to a GEMM backend; its
     * forward, 1.6x faster on oneDNN, stays there.
     */
    @Test
    void theBackwardOfAStridedStemGoesToAGemmBackend() {
        String stem = "alexnet-conv1-b8";
        String backward = Conv2d.plan(shape(stem), ConvPass.BACKWARD).backend().name();
        assertTrue(backward.equals("im2col") || backward.equals("strided"), backward);
        assertEquals("onednn", Conv2d.plan(shape(stem), ConvPass.FORWARD).backend().name());
    }

    @Test
    void everyCatalogueShapeGetsASupportingNonReferenceBackendWithAReason() {
        for (BenchShape b : ShapeCatalog.all()) {
            for (ConvPass pass : ConvPass.values()) {
                ConvPlan plan = Conv2d.plan(b.geometry(), pass);
                ConvBackend chosen = plan.backend();
                assertTrue(!chosen.isReference() && chosen.supports(b.geometry(), pass), plan.toString());
                long supporting = Conv2d.backends().stream().filter(c -> c.supports(b.geometry(), pass.basis())).count();
                assertEquals(supporting, plan.estimatedNanos().size(), plan.toString());
                for (double ns : plan.estimatedNanos().values()) {
                    assertTrue(ns > 0 && Double.isFinite(ns), plan.toString());
                }
            }
        }
    }
}
