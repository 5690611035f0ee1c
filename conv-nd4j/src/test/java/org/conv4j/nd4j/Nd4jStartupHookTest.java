package org.conv4j.nd4j;

import org.conv4j.openblas.OpenBlasSetup;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-D" + OpenBlasSetup.CORETYPE_PROPERTY + "=prescott",
                Nd4jStartupHookTest.class.getName()).redirectErrorStream(true);
        pb.environment().remove(OpenBlasSetup.ENVIRONMENT_VARIABLE);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe JVM timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.lines().anyMatch("Prescott PROPERTY"::equals), out);
    }
}
