package org.conv4j.openblas;

import org.conv4j.api.Settings;
import org.conv4j.openblas.OpenBlasSetup.Decision;
import org.conv4j.openblas.OpenBlasSetup.Source;
import org.conv4j.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenBlasSetupTest {

    static final CpuFeatures ZEN5_AVX512 = CpuFeatures.parse(CpuFeaturesTest.cpuinfo("AuthenticAMD",
            CpuFeaturesTest.AVX512 + " avx512_bf16"));
    static final CpuFeatures ZEN_AVX2_ONLY = CpuFeatures.parse(CpuFeaturesTest.cpuinfo("AuthenticAMD", "avx avx2 fma"));

    @Test
    void userEnvironmentVariableWins() {
        Decision d = OpenBlasSetup.decide("SkylakeX", "Haswell", ZEN5_AVX512);
        assertNull(d.core());
        assertEquals(Source.ENVIRONMENT, d.source());
    }

    @Test
    void autoForcesTheRecommendedCore() {
        Decision d = OpenBlasSetup.decide(null, null, ZEN5_AVX512);
        assertEquals("Cooperlake", d.core());
        assertEquals(Source.AUTO, d.source());
        assertEquals("Cooperlake", OpenBlasSetup.decide(" AUTO ", "", ZEN5_AVX512).core());
    }

    @Test
    void autoLeavesOtherCpusToOpenBlas() {
        Decision d = OpenBlasSetup.decide("auto", null, ZEN_AVX2_ONLY);
        assertNull(d.core());
        assertEquals(Source.OPENBLAS, d.source());
    }

    @Test
    void offNeverForces() {
        Decision d = OpenBlasSetup.decide("off", null, ZEN5_AVX512);
        assertNull(d.core());
        assertEquals(Source.OPENBLAS, d.source());
    }

    @Test
    void explicitCoreIsForcedWithItsCanonicalName() {
        Decision d = OpenBlasSetup.decide("haswell", null, ZEN_AVX2_ONLY);
        assertEquals("Haswell", d.core());
        assertEquals(Source.PROPERTY, d.source());
    }

    @Test
    void avx512CoreIsRefusedWhereTheKernelHidesAvx512() {
        Decision d = OpenBlasSetup.decide("SkylakeX", null, ZEN_AVX2_ONLY);
        assertNull(d.core(), "forcing SkylakeX without AVX-512 would kill the JVM with SIGILL");
        assertEquals(Source.OPENBLAS, d.source());
        assertTrue(d.detail().contains("refused"), d.detail());
        assertNull(OpenBlasSetup.decide("Cooperlake", null,
                CpuFeatures.parse(CpuFeaturesTest.cpuinfo("AuthenticAMD", CpuFeaturesTest.AVX512))).core(),
                "Cooperlake needs avx512_bf16");
    }

    @Test
    void unknownCoreNameIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenBlasSetup.decide("Zen5", null, ZEN5_AVX512));
        assertTrue(e.getMessage().contains(OpenBlasSetup.CORETYPE_PROPERTY), e.getMessage());
        assertTrue(e.getMessage().contains("expected") && e.getMessage().contains("got \"Zen5\""), e.getMessage());
    }

    @Test
    void loadsAndReportsTheCoreInUse() {
        OpenBlasSetup.Status s = OpenBlasSetup.ensureLoaded();
        assertTrue(OpenBlasSetup.CORE_NAMES.contains(s.core()), "core: " + s);
        assertTrue(s == OpenBlasSetup.ensureLoaded(), "idempotent");
        assertTrue(OpenBlasSetup.threads() >= 1);
        if (CpuFeatures.current().recommendedOpenBlasCore().isEmpty() && System.getenv("OPENBLAS_CORETYPE") == null
                && System.getProperty(OpenBlasSetup.CORETYPE_PROPERTY) == null) {
            assertEquals(Source.OPENBLAS, s.source(), s.toString());
        }
    }

    @Test
    void threadTimeoutDefaultsToTheNamedConstantAndTheUserWins() {
        assertEquals(Integer.toString(OpenBlasSetup.DEFAULT_THREAD_TIMEOUT), OpenBlasSetup.threadTimeout(null, null));
        assertEquals("10", OpenBlasSetup.threadTimeout("auto", ""));
        assertEquals("16", OpenBlasSetup.threadTimeout(" 16 ", null));
        assertNull(OpenBlasSetup.threadTimeout("off", null));
        assertEquals("28", OpenBlasSetup.threadTimeout("off", "28"), "the user's environment variable wins");
        for (String bad : new String[] {"3", "31", "fast"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OpenBlasSetup.threadTimeout(bad, null));
            assertTrue(e.getMessage().startsWith(OpenBlasSetup.THREAD_TIMEOUT_PROPERTY + ": expected"), e.getMessage());
            assertTrue(e.getMessage().contains("got \"" + bad + "\""), e.getMessage());
        }
    }

    /** The defaults {@link Settings} lists (and the README shows) are the ones this class applies. */
    @Test
    void settingsListTheseDefaults() {
        assertEquals(OpenBlasSetup.AUTO, Settings.setting(OpenBlasSetup.CORETYPE_PROPERTY).defaultValue());
        assertEquals(OpenBlasSetup.threadTimeout(null, null),
                Settings.setting(OpenBlasSetup.THREAD_TIMEOUT_PROPERTY).defaultValue());
    }

    // ---- in a fresh JVM: the setting must reach OpenBLAS before it loads

    /** Runs {@link SetupProbe} in a new JVM; returns its output lines. */
    static List<String> runProbe(List<String> jvmArgs, Map<String, String> env) throws IOException, InterruptedException {
        ChildJvm child = ChildJvm.of(SetupProbe.class).jvmOptions(jvmArgs)
                .environment("OPENBLAS_CORETYPE", null)
                .environment(OpenBlasSetup.THREAD_TIMEOUT_VARIABLE, null);
        env.forEach(child::environment);
        return child.run().lines().toList();
    }

    static String line(List<String> lines, String key) {
        return lines.stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in " + lines));
    }

    @Test
    void propertyForcesTheCoreInProcess() throws Exception {
        // Prescott (SSE3) runs on every x86-64 CPU, and no CPU detects as it, so seeing it proves the forcing.
        List<String> out = runProbe(List.of("-D" + OpenBlasSetup.CORETYPE_PROPERTY + "=prescott"), Map.of());
        assertEquals("Prescott", line(out, "core"), String.join("\n", out));
        assertEquals("PROPERTY", line(out, "source"));
        assertEquals("ok", line(out, "gemm"));
        assertEquals(Integer.toString(OpenBlasSetup.DEFAULT_THREAD_TIMEOUT), line(out, "timeout"));
        assertEquals(Integer.toString(OpenBlasSetup.DEFAULT_THREAD_TIMEOUT), line(out, "timeoutEnv"),
                "the timeout must be in the native environment OpenBLAS reads");
    }

    @Test
    void threadTimeoutCanBeLeftToOpenBlasOrSetByTheUser() throws Exception {
        List<String> off = runProbe(List.of("-D" + OpenBlasSetup.THREAD_TIMEOUT_PROPERTY + "=off"), Map.of());
        assertEquals("null", line(off, "timeoutEnv"), String.join("\n", off));
        List<String> user = runProbe(List.of(), Map.of(OpenBlasSetup.THREAD_TIMEOUT_VARIABLE, "20"));
        assertEquals("20", line(user, "timeout"), String.join("\n", user));
        assertEquals("20", line(user, "timeoutEnv"));
    }

    @Test
    void environmentVariableIsRespected() throws Exception {
        List<String> out = runProbe(List.of("-D" + OpenBlasSetup.CORETYPE_PROPERTY + "=Haswell"),
                Map.of("OPENBLAS_CORETYPE", "Prescott"));
        assertEquals("Prescott", line(out, "core"), String.join("\n", out));
        assertEquals("ENVIRONMENT", line(out, "source"));
    }

    @Test
    void tooLateIsReported() throws Exception {
        List<String> out = runProbe(List.of("-Dprobe.loadFirst=true", "-D" + OpenBlasSetup.CORETYPE_PROPERTY + "=prescott"),
                Map.of());
        assertEquals("ALREADY_LOADED", line(out, "source"), String.join("\n", out));
    }
}
