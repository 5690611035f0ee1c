package org.conv4j.nd4j;

import org.conv4j.openblas.OpenBlasSetup;
import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** An application that uses ND4J before any conv4j class still gets conv4j's OpenBLAS core type. */
class Nd4jStartupHookTest {

    /** Run in a fresh JVM: ND4J first (it loads OpenBLAS), then asks conv4j what OpenBLAS runs. */
    public static void main(String[] args) {
        org.nd4j.linalg.factory.Nd4j.create(2, 2);
        OpenBlasSetup.Status s = OpenBlasSetup.ensureLoaded();
        System.out.println(s.core() + " " + s.source());
    }

    @Test
    void nd4jUsedFirstStillGetsTheCore() throws Exception {
        // Prescott (SSE3) runs on every x86-64 CPU, and no CPU detects as it, so seeing it proves the forcing.
        String out = ChildJvm.of(Nd4jStartupHookTest.class)
                .jvmOptions("-D" + OpenBlasSetup.CORETYPE_PROPERTY + "=prescott")
                .environment(OpenBlasSetup.ENVIRONMENT_VARIABLE, null).run();
        assertTrue(out.lines().anyMatch("Prescott PROPERTY"::equals), out);
    }
}
