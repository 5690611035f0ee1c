package org.conv4j.im2col;

import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A convolution whose full column matrix would take 4 GiB runs in a JVM with a 1 GiB heap
 * ({@link LargeColumnMatrixMain}, in a fresh JVM started with {@code -Xmx1g}): the workspace limit bounds
 * it, and spot checks against direct sums hold.
 */
class LargeColumnMatrixTest {

    @Test
    void fourGibColumnMatrixFitsInAOneGibHeap() throws Exception {
        String out = ChildJvm.of(LargeColumnMatrixMain.class).jvmOptions("-Xmx1g").timeoutSeconds(300).run();
        assertTrue(out.contains("column matrix 4096 MiB"), out);
        assertTrue(out.contains("spot checks passed"), out);
        System.out.println(out.lines().filter(l -> !l.contains("SLF4J")).reduce("", (a, b) -> a + b + "\n"));
    }
}
