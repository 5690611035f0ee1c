package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * oneDNN picks its optimised kernels, never a reference one, for the common layer kinds: the layouts are
 * left to oneDNN (format tag {@code any}). With plain layouts forced it falls back to {@code ref}
 * implementations hundreds of times slower, which no result check would notice.
 */
class KernelChoiceTest {

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
