package org.conv4j.bench.fuzz;

import org.conv4j.testkit.FuzzRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The differential fuzz run over every backend on this module's class path and the facade, in child JVMs
 * ({@link FuzzRun}): random layers, each pass, against the {@code naive} reference. A native crash is a failure
 * naming the case and the backend. {@code -Dconv4j.fuzz.seconds=N} runs it longer, {@code -Dconv4j.fuzz.seed=S}
 * fuzzes other layers (docs/architecture.md, "The fuzz suite").
 */
class FuzzTest {

    /** The default budget: about a minute of CI with the children's start-up. */
    static final double DEFAULT_SECONDS = 45;
    static final long DEFAULT_SEED = 20261206L;

    @Test
    void everyBackendAgreesWithTheReferenceOnRandomLayers() throws Exception {
        double seconds = Double.parseDouble(System.getProperty(FuzzRun.SECONDS_PROPERTY, "" + DEFAULT_SECONDS));
        long seed = Long.parseLong(System.getProperty(FuzzRun.SEED_PROPERTY, "" + DEFAULT_SEED));
        FuzzRun.Report report = FuzzRun.run(seed, seconds, List.of("-Xmx1g", "--enable-native-access=ALL-UNNAMED"));
        System.out.println("seed " + seed + ": " + report);
        report.counts().forEach(System.out::println);
        assertTrue(report.layers() > 0, "no layer was fuzzed: " + report);
        assertTrue(report.clean(), "seed " + seed + ": " + report);
    }
}
