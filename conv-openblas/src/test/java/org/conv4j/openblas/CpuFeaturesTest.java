package org.conv4j.openblas;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CpuFeaturesTest {

    static final String AVX512 = "avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl";

    static String cpuinfo(String vendor, String flags) {
        return "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: 26\nflags\t\t: fpu sse2 " + flags
                + "\n\nprocessor\t: 1\nvendor_id\t: SomethingElse\nflags\t\t: fpu\n";
    }

    @Test
    void parsesTheFirstProcessorOnly() {
        CpuFeatures f = CpuFeatures.parse(cpuinfo("AuthenticAMD", AVX512 + " avx512_bf16"));
        assertEquals("AuthenticAMD", f.vendor());
        assertTrue(f.isAmd());
        assertTrue(f.flags().contains("avx512_bf16"));
        assertTrue(f.flags().contains("fpu"));
        assertTrue(f.hasAvx512());
        assertTrue(f.hasAvx512Bf16());
    }

    @Test
    void amdWithAvx512AndBf16GetsCooperlake() {
        assertEquals(Optional.of("Cooperlake"),
                CpuFeatures.parse(cpuinfo("AuthenticAMD", AVX512 + " avx512_bf16")).recommendedOpenBlasCore());
    }

    @Test
    void amdWithAvx512WithoutBf16GetsSkylakeX() {
        assertEquals(Optional.of("SkylakeX"),
                CpuFeatures.parse(cpuinfo("AuthenticAMD", AVX512)).recommendedOpenBlasCore());
    }

    @Test
    void amdWithoutAvx512IsLeftToOpenBlas() {
        // this project's VM: a Zen 5 whose hypervisor hides AVX-512 (no avx512* flags at all)
        CpuFeatures f = CpuFeatures.parse(cpuinfo("AuthenticAMD", "avx avx2 fma sse4_2"));
        assertFalse(f.hasAvx512());
        assertEquals(Optional.empty(), f.recommendedOpenBlasCore());
        // a partial AVX-512 set (no VL) is not enough for OpenBLAS's SkylakeX kernels
        assertEquals(Optional.empty(), CpuFeatures.parse(cpuinfo("AuthenticAMD",
                "avx2 avx512f avx512cd avx512bw avx512dq avx512_bf16")).recommendedOpenBlasCore());
    }

    @Test
    void intelIsLeftToOpenBlas() {
        assertEquals(Optional.empty(),
                CpuFeatures.parse(cpuinfo("GenuineIntel", AVX512 + " avx512_bf16")).recommendedOpenBlasCore());
    }

    @Test
    void unknownFeaturesRecommendNothing() {
        assertEquals(Optional.empty(), CpuFeatures.UNKNOWN.recommendedOpenBlasCore());
        assertEquals(Optional.empty(), CpuFeatures.parse("garbage without colons").recommendedOpenBlasCore());
    }

    @Test
    void currentMachineIsReadable() {
        CpuFeatures f = CpuFeatures.current();
        assertNotNull(f.vendor());
        if (System.getProperty("os.name").toLowerCase().contains("linux")) {
            assertFalse(f.flags().isEmpty(), "expected /proc/cpuinfo flags on Linux");
        }
    }
}
