package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.CostProfile;
import org.conv4j.api.Tensor4D;
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

    private static final OnednnBackend BACKEND = new OnednnBackend();

    /** The backend's estimate of {@code s} for {@code pass} is the profile's {@code model}'s. */
    private static void assertEstimate(String model, ConvShape s, ConvPass pass) {
        assertEquals(model, BACKEND.costModel(s, pass), pass + " " + s);
        assertEquals(CostProfile.current().model(model).nanos(s, pass), BACKEND.estimateNanos(s, pass),
                pass + " " + s);
    }

    private static ConvShape stride2(int c, int h, int k, int kernel) {
        return ConvShape.forward(Tensor4D.zeros(2, c, h, h), Tensor4D.zeros(k, c, kernel, kernel), null,
                ConvParams.builder().stride(2).padding(kernel / 2).build());
    }

    /**
     * The backward estimate follows oneDNN's kernel choice: the direct nhwc kernels (a 3x3 layer) get the
     * {@code onednn.nhwcBackward} model; a 21x21 kernel, whose gradients oneDNN computes with its GEMM kernels, and
     * strided layers (blocked activations) keep {@code onednn.dense}. The forward estimate of the 3x3 layer is the
     * mid-size kernels' one, of the 21x21 layer the dense one.
     */
    @Test
    void theBackwardEstimateFollowsTheKernelsOnednnChose() {
        ConvShape direct = same(4, 32, 64, 32, 3);
        assertTrue(OnednnBackend.directNhwcBackward(direct));
        assertEstimate("onednn.nhwcBackward", direct, ConvPass.BACKWARD);
        assertEstimate("onednn.midKernelForward", direct, ConvPass.FORWARD);

        ConvShape gemm = same(4, 32, 64, 32, 21);
        assertFalse(OnednnBackend.directNhwcBackward(gemm));
        assertEstimate("onednn.dense", gemm, ConvPass.BACKWARD);
        assertEstimate("onednn.dense", gemm, ConvPass.FORWARD);

        assertFalse(OnednnBackend.directNhwcBackward(stride2(64, 28, 64, 3)));
    }

    /** A strided 3-channel stem's backward estimate is the stem model's; its forward and wider layers' are dense. */
    @Test
    void stridedStemsHaveTheirOwnBackwardEstimate() {
        ConvShape stem = stride2(3, 64, 16, 7);
        assertTrue(OnednnBackend.isStem(stem));
        assertEstimate("onednn.stemBackward", stem, ConvPass.BACKWARD);
        assertEstimate("onednn.dense", stem, ConvPass.FORWARD);
        ConvShape wide = stride2(64, 28, 64, 3);
        assertFalse(OnednnBackend.isStem(wide));
        assertEstimate("onednn.dense", wide, ConvPass.BACKWARD);
    }

    /**
     * The backward estimate's kind of kernel is the one oneDNN reports: for every kernel size, the direct nhwc model
     * exactly where oneDNN's weight gradient is not GEMM-based (on any instruction set).
     */
    @Test
    void theBackwardModelFollowsTheKernelOnednnReports() {
        for (int kernel = 2; kernel <= 21; kernel++) {
            ConvShape s = same(4, 32, 64, 32, kernel);
            String chosen = OnednnBackend.implementations(s, true);
            String weights = chosen.substring(chosen.lastIndexOf(" / ") + 3);
            assertEquals(!weights.contains("gemm"), OnednnBackend.directNhwcBackward(s), kernel + "x" + kernel + ": "
                    + chosen);
        }
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
