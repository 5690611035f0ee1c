package org.conv4j.onednn;

import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

/** {@link PreparedGradientsFuzz} in a child JVM: random layers through onednn's prepared backward pass agree with naive. */
class PreparedGradientsFuzzTest {

    @Test
    void randomLayersAgreeWithTheReference() throws Exception {
        String seed = System.getProperty("conv4j.preparedFuzz.seed", "5000");
        String count = System.getProperty("conv4j.preparedFuzz.count", "400");
        String out = ChildJvm.of(PreparedGradientsFuzz.class, seed, count).jvmOptions("-XX:ErrorFile=/dev/null")
                .timeoutSeconds(600).run();
        System.out.println(out.substring(out.lastIndexOf("layers=")));
    }
}
