package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.CostProfile;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * oneDNN picks its optimised kernels, never a reference one, for the common layer kinds: the layouts are
 * left to oneDNN (format tag {@code any}). With plain layouts forced it falls back to {@code ref}
 * implementations hundreds of times slower, which no result check would notice.
 */
class KernelChoiceTest {

    private static ConvShape same(int n, int c, int h, int k, int kernel) {
        return ConvShape.forward(Tensor4D.zeros(n, c, h, h), Tensor4D.zeros(k, c, kernel, kernel), null,
                ConvParams.builder().samePadding(h, h, kernel, kernel).build());
    }

    private static ConvShape stride2(int c, int h, int k, int kernel) {
        return ConvShape.forward(Tensor4D.zeros(2, c, h, h), Tensor4D.zeros(k, c, kernel, kernel), null,
                ConvParams.builder().stride(2).padding(kernel / 2).build());
    }

    private static final OnednnBackend BACKEND = new OnednnBackend();

    /**
     * The estimate's model is named after the kernels oneDNN reports for the call, forward and backward, on any
     * instruction set (a strided forward call's model a child of its kernel's), and the estimate is that model's.
     */
    @Test
    void theModelIsNamedAfterTheKernelsOnednnReports() {
        ConvShape[] shapes = {same(4, 32, 64, 32, 3), same(4, 32, 64, 32, 21), same(2, 64, 28, 256, 1),
            stride2(3, 64, 16, 7), ConvShape.forward(Tensor4D.zeros(2, 32, 28, 28), Tensor4D.zeros(32, 1, 3, 3), null,
                    ConvParams.builder().padding(1).groups(32).build())};
        for (ConvShape s : shapes) {
            String[] reported = OnednnBackend.implementations(s, true).split(" \\| ");
            String[] backward = reported[1].split(" / ");
            assertEquals("onednn.forward." + OnednnBackend.kernelFamily(reported[0])
                    + (s.params().isStrided() ? ".strided" : ""),
                    BACKEND.costModel(s, ConvPass.FORWARD), s.toString());
            assertEquals("onednn.backward." + OnednnBackend.kernelFamily(backward[0]) + "."
                    + OnednnBackend.kernelFamily(backward[1]), BACKEND.costModel(s, ConvPass.BACKWARD), s.toString());
            for (ConvPass pass : new ConvPass[] {ConvPass.FORWARD, ConvPass.BACKWARD}) {
                assertEquals(CostProfile.current().model(BACKEND.costModel(s, pass)).nanos(s, pass),
                        BACKEND.estimateNanos(s, pass), pass + " " + s);
            }
        }
    }

    @Test
    void kernelFamiliesLeaveTheInstructionSetOut() {
        assertEquals("brg_conv_fwd", OnednnBackend.kernelFamily("brg_conv_fwd:avx2"));
        assertEquals("brg_conv_fwd", OnednnBackend.kernelFamily("brg_conv_fwd:avx512_core"));
        assertEquals("brg_conv_bwd_brg_conv_fwd", OnednnBackend.kernelFamily("brg_conv_bwd:avx2+brg_conv_fwd:avx2"));
        assertEquals("gemm_jit", OnednnBackend.kernelFamily("x64:gemm:jit"));
        assertEquals("unknown", OnednnBackend.kernelFamily(""));
    }

    private static void assertOptimised(int n, int c, int h, int k, int kernel, ConvParams p) {
        new OnednnBackend();
        ConvShape s = ConvShape.forward(Tensor4D.zeros(n, c, h, h), Tensor4D.zeros(k, c / p.groups(), kernel, kernel),
                null, p);
        String chosen = OnednnBackend.implementations(s, true);
        assertFalse(chosen.contains("ref"), "a reference kernel for " + s + ": " + chosen);
    }

    @Test
    void optimisedKernelsForTheCommonLayerKinds() {
        assertOptimised(2, 64, 28, 64, 3, ConvParams.builder().padding(1).build());
        assertOptimised(2, 3, 64, 16, 7, ConvParams.builder().stride(2).padding(3).build());
        assertOptimised(2, 64, 28, 32, 1, ConvParams.DEFAULT);
        assertOptimised(2, 32, 28, 32, 3, ConvParams.builder().padding(1).groups(32).build());
    }
}
