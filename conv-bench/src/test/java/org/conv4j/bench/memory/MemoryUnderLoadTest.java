package org.conv4j.bench.memory;

import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory under concurrent load, each run in a child JVM with its own heap and budget:
 * <ul>
 *   <li>{@link LoadScenario}: 16 threads, 32 calls per backend and pass, {@code -Xmx1g} and the default budget
 *       (a quarter of the heap), one layer (input 2x32x160x160, 16 filters 7x7, padding 3) whose im2col workspace
 *       wants 2 x 157 MiB per call, so 16 calls would want 16 x 256 MiB; every backend pinned in turn
 *       ({@code -Dconv4j.load.layer} for another layer, see {@link #LAYER});</li>
 *   <li>{@link StressScenario}: mixed layers, backends and passes on random thread counts for a bounded time,
 *       with a 48 MiB budget and a 32 MiB per-call limit. {@code -Dconv4j.stress.seconds=N} runs it for
 *       {@code N} seconds instead of the CI's {@value #STRESS_SECONDS} (e.g. 600 for a manual soak).</li>
 * </ul>
 * The load scenario runs with OpenBLAS's default threads (the GEMM backends then run their native calls one at a
 * time, docs/architecture.md "Concurrent calls"); the stress scenario with {@code OPENBLAS_NUM_THREADS=1}, so
 * that their calls also run side by side.
 */
class MemoryUnderLoadTest {

    static final int STRESS_SECONDS = 5;

    /**
     * The load scenario's layer, {@code N,C,H,W,K,kernel}: sized for CI. {@code -Dconv4j.load.layer=4,64,160,160,64,7}
     * runs the full-size layer of a service's burst (minutes on 2 cores).
     */
    static final String LAYER = "2,32,160,160,16,7";

    private static final String[] BACKENDS = {"im2col", "strided", "fft", "direct", "onednn"};

    private static String runChild(long timeoutSeconds, List<String> jvmOptions, Class<?> main, List<String> args,
                                   boolean oneOpenBlasThread) throws Exception {
        ChildJvm child = ChildJvm.of(main, args.toArray(new String[0])).jvmOptions(jvmOptions)
                .timeoutSeconds(timeoutSeconds);
        if (oneOpenBlasThread) {
            child.environment("OPENBLAS_NUM_THREADS", "1");
        }
        String out = child.run();
        System.out.println(out);
        return out;
    }

    @Test
    void sixteenThreadsInAOneGigabyteHeapCompleteWithSerialResultsWithinTheBudget() throws Exception {
        List<String> args = new ArrayList<>(List.of("16", "32"));
        args.addAll(List.of(System.getProperty("conv4j.load.layer", LAYER).split(",")));
        args.addAll(List.of(BACKENDS));
        String out = runChild(1800, List.of("-Xmx1g", "--enable-native-access=ALL-UNNAMED"), LoadScenario.class,
                args, false);
        assertTrue(out.contains("PASS"), out);
        for (String b : BACKENDS) {
            assertTrue(out.contains(b + " forward: 32 calls") && out.contains(b + " backward: 32 calls"), out);
        }
    }

    @Test
    void mixedShapesBackendsAndThreadCountsUnderATightBudget() throws Exception {
        long seconds = Long.getLong("conv4j.stress.seconds", STRESS_SECONDS);
        List<String> args = new ArrayList<>(List.of(Long.toString(seconds), Long.toString(System.nanoTime())));
        args.addAll(List.of(BACKENDS));
        String out = runChild(seconds + 300, List.of("-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-Dconv4j.workspace.total=48m", "-Dconv4j.workspace.limit=32m"), StressScenario.class, args, true);
        assertTrue(out.contains("PASS"), out);
    }
}
