package org.conv4j.onednn;

import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

/** {@link AwkwardLayers} in a child JVM: each layer oneDNN crashed on or miscomputed now agrees with the reference. */
class AwkwardLayersTest {

    @Test
    void theLayersOneDnnFailedOnAgreeWithTheReference() throws Exception {
        System.out.println(ChildJvm.of(AwkwardLayers.class).jvmOptions("-XX:ErrorFile=/dev/null").run());
    }
}
