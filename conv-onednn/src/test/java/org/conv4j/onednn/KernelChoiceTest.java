package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.CostModel;
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

    /** The backend's estimate of {@code s} for {@code pass} is {@code model}'s. */
    private static void assertEstimate(CostModel model, ConvShape s, ConvPass pass) {
        assertEquals(model.nanos(s, pass), BACKEND.estimateNanos(s, pass), pass + " " + s);
    }

    private static ConvShape stride2(int c, int h, int k, int kernel) {
        return ConvShape.forward(Tensor4D.zeros(2, c, h, h), Tensor4D.zeros(k, c, kernel, kernel), null,
                ConvParams.builder().stride(2).padding(kernel / 2).build());
    }

    /**
     * The backward estimate follows oneDNN's kernel choice: the direct nhwc kernels (the kernel sweep's 7x7 layer)
     * get {@link OnednnBackend#NHWC_BACKWARD_COST}; a 21x21 kernel, whose gradients oneDNN computes with its GEMM
     * kernels, and strided layers (blocked activations) keep {@link OnednnBackend#DENSE_COST}. The forward
     * estimate of the 7x7 layer is the mid-size kernels' one, of the 21x21 layer the dense one.
     */
    @Test
    void theBackwardEstimateFollowsTheKernelsOnednnChose() {
        ConvShape direct = same(4, 32, 64, 32, 7);
        assertTrue(OnednnBackend.directNhwcBackward(direct));
        assertEstimate(OnednnBackend.NHWC_BACKWARD_COST, direct, ConvPass.BACKWARD);
        assertEstimate(OnednnBackend.MID_KERNEL_FORWARD_COST, direct, ConvPass.FORWARD);

        ConvShape gemm = same(4, 32, 64, 32, 21);
        assertFalse(OnednnBackend.directNhwcBackward(gemm));
        assertEstimate(OnednnBackend.DENSE_COST, gemm, ConvPass.BACKWARD);
        assertEstimate(OnednnBackend.DENSE_COST, gemm, ConvPass.FORWARD);

        assertFalse(OnednnBackend.directNhwcBackward(stride2(64, 28, 64, 3)));
    }

    /** A strided 3-channel stem's backward estimate is the stem model's; its forward and wider layers' are dense. */
    @Test
    void stridedStemsHaveTheirOwnBackwardEstimate() {
        ConvShape stem = stride2(3, 64, 16, 7);
        assertTrue(OnednnBackend.isStem(stem));
        assertEstimate(OnednnBackend.STEM_BACKWARD_COST, stem, ConvPass.BACKWARD);
        assertEstimate(OnednnBackend.DENSE_COST, stem, ConvPass.FORWARD);
        ConvShape wide = stride2(64, 28, 64, 3);
        assertFalse(OnednnBackend.isStem(wide));
        assertEstimate(OnednnBackend.DENSE_COST, wide, ConvPass.BACKWARD);
    }

    /** The rule's largest kernel is where oneDNN itself switches the weight gradient to its GEMM kernels. */
    @Test
    void theLargestDirectKernelIsWhereOnednnSwitchesToGemm() {
        int largest = OnednnBackend.NHWC_BACKWARD_MAX_KERNEL;
        String atLimit = OnednnBackend.implementations(same(4, 32, 64, 32, largest), true);
        String beyond = OnednnBackend.implementations(same(4, 32, 64, 32, largest + 1), true);
        assertFalse(atLimit.contains("gemm"), atLimit);
        assertTrue(beyond.contains("gemm"), beyond);
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
