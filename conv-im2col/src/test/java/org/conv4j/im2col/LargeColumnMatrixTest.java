package org.conv4j.im2col;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A convolution whose full column matrix would take 4 GiB runs in a JVM with a 1 GiB heap
 * ({@link LargeColumnMatrixMain}, in a fresh JVM started with {@code -Xmx1g}): the workspace limit bounds
 * it, and spot checks against direct sums hold.
 */
class LargeColumnMatrixTest {

    @Test
    void fourGibColumnMatrixFitsInAOneGibHeap() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), LargeColumnMatrixMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("column matrix 4096 MiB"), out);
        assertTrue(out.contains("spot checks passed"), out);
        System.out.println(out.lines().filter(l -> !l.contains("SLF4J")).reduce("", (a, b) -> a + b + "\n"));
    }
}
