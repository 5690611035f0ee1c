package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** conv-api has no backend on its own test classpath: these check the "nothing found" messages. */
class Conv2dTest {

    @Test
    void noBackendNamesTheArtifactToAdd() {
        assertTrue(Conv2d.backends().isEmpty());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Conv2d.forward(Tensor4D.zeros(1, 1, 2, 2), Tensor4D.zeros(1, 1, 1, 1), null, ConvParams.DEFAULT));
        assertTrue(e.getMessage().contains("org.conv4j:conv-im2col"), e.getMessage());
    }

    @Test
    void unknownNameListsTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.backend("cudnn"));
        assertTrue(e.getMessage().startsWith("name: expected one of the available backends [], got \"cudnn\""),
                e.getMessage());
    }
}
