package org.conv4j.onednn;

import org.conv4j.spi.CpuInfo;
import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Whether the oneDNN on the class path still has the faults conv4j works around ({@link UpstreamRepro}, run in a
 * child JVM because one of them kills it). Both are expected with oneDNN 3.11: a failure here after an upgrade
 * means oneDNN fixed one, and the workaround ({@link OnednnBackend#padsExplicitly}, {@link SingleColumn}) can be
 * re-examined; until then it stays, at no cost to other layers. Both faults are in the kernels oneDNN picks with
 * AVX-512; on a processor without it oneDNN picks others and computes both reproductions right (the workarounds
 * then cost a copy on these rare layers and nothing else), so the checks run where AVX-512 is.
 */
class UpstreamReproTest {

    @BeforeEach
    void onlyWhereTheFaultyKernelsRun() {
        assumeTrue(CpuInfo.current().flags().contains("avx512f"), "oneDNN's faulty kernels are its AVX-512 ones");
    }

    @Test
    void oneDnnStillCrashesOnAnOutputWhollyInThePadding() throws Exception {
        ChildJvm.Result r = ChildJvm.of(UpstreamRepro.class, "crash").jvmOptions("-XX:ErrorFile=/dev/null")
                .timeoutSeconds(120).execute();
        System.out.println(r.output().lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n"));
        assertTrue(r.exited(), "the reproduction hung:\n" + r.output());
        assertNotEquals(0, r.exitCode(), "oneDNN no longer crashes on the reproduction: re-examine "
                + "OnednnBackend.padsExplicitly (docs/onednn.md)\n" + r.output());
        assertTrue(r.output().contains("SIGSEGV"), "expected a SIGSEGV, got:\n" + r.output());
    }

    @Test
    void oneDnnStillMiscomputesASingleStridedOutputColumn() throws Exception {
        String out = ChildJvm.of(UpstreamRepro.class, "column").timeoutSeconds(120).run();
        System.out.println(out);
        assertEquals(1, out.lines().filter(l -> l.endsWith(": wrong")).count(),
                "oneDNN now computes the single-column layer right: re-examine SingleColumn (docs/onednn.md)\n" + out);
    }
}
