package org.conv4j.examples;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

class LearnKernelTest {

    @Test
    void gradientDescentRecoversTheHiddenFilter() {
        LearnKernel.Result r = LearnKernel.run(30, 2, 11L, false);
        double[] loss = r.losses();
        assertTrue(loss[0] > 0.1, "the zero filter starts far off: " + loss[0]);
        for (int i = 1; i <= 10; i++) {
            assertTrue(loss[i] < loss[i - 1], "loss rose at step " + i + ": " + loss[i - 1] + " -> " + loss[i]);
        }
        assertTrue(loss[loss.length - 1] < 1e-8 * loss[0], "final loss " + loss[loss.length - 1]);
        assertTrue(r.maxError() < 1e-3, "learned filter off by " + r.maxError());
    }
}
