package org.conv4j.openblas;

import java.util.Collections;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.conv4j.spi.CpuInfo;

/**
 * What the operating system says about the processor: its vendor and the feature flags the kernel has
 * enabled, read from the first processor entry of {@code /proc/cpuinfo} ({@link CpuInfo}), and the OpenBLAS
 * kernels they allow.
 *
 * <p>Why the kernel's flags and not CPUID: a flag such as {@code avx512f} appears in {@code /proc/cpuinfo}
 * only when the CPU has the instructions <em>and</em> the kernel saves their register state (XCR0); a
 * hypervisor may also hide them. Executing AVX-512 code when either is missing kills the process with
 * SIGILL (seen on this project's 2-core VM, where CPUID and XCR0 hide AVX-512). So this is the safe
 * source for deciding whether an AVX-512 OpenBLAS kernel may be forced.
 *
 * @param vendor the {@code vendor_id}, e.g. {@code AuthenticAMD}, {@code GenuineIntel}; empty if unknown
 * @param flags  the lower-case feature flags; empty if unknown
 */
public record CpuFeatures(String vendor, Set<String> flags) {

    /** Nothing known (non-Linux systems, unreadable {@code /proc/cpuinfo}). */
    public static final CpuFeatures UNKNOWN = new CpuFeatures("", Set.of());

    /** The AVX-512 subsets OpenBLAS's SkylakeX kernels use (F, CD, BW, DQ, VL: the Skylake-SP set). */
    static final Set<String> AVX512_SKYLAKEX = Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    /**
     * The features of one processor.
     *
     * @param vendor the vendor id, e.g. {@code AuthenticAMD}
     * @param flags the flags the kernel reports, e.g. {@code avx512f}
     */
    public CpuFeatures {
        Objects.requireNonNull(vendor, "vendor must not be null");
        flags = Collections.unmodifiableSet(new HashSet<>(Objects.requireNonNull(flags, "flags must not be null")));
    }

    /**
     * The features of this machine, or {@link #UNKNOWN}.
     *
     * @return the features
     */
    public static CpuFeatures current() {
        return of(CpuInfo.current());
    }

    /**
     * Parses the text of {@code /proc/cpuinfo}; only the first processor's entry is read.
     *
     * @param cpuinfo the text of {@code /proc/cpuinfo}
     * @return the features
     */
    public static CpuFeatures parse(String cpuinfo) {
        return of(CpuInfo.parse(cpuinfo));
    }

    private static CpuFeatures of(CpuInfo cpu) {
        return new CpuFeatures(cpu.vendor(), cpu.flags());
    }

    /** {@return whether the vendor is AMD} */
    public boolean isAmd() {
        return vendor.equals("AuthenticAMD");
    }

    /**
     * True if the kernel has enabled every AVX-512 subset that OpenBLAS's SkylakeX kernels need.
     *
     * @return whether SkylakeX kernels can run
     */
    public boolean hasAvx512() {
        return flags.containsAll(AVX512_SKYLAKEX);
    }

    /**
     * True if AVX-512 with the BF16 extension is enabled (what OpenBLAS's Cooperlake kernels need).
     *
     * @return whether Cooperlake kernels can run
     */
    public boolean hasAvx512Bf16() {
        return hasAvx512() && flags.contains("avx512_bf16");
    }

    /**
     * The OpenBLAS core type conv4j forces on this CPU, or empty to let OpenBLAS choose.
     *
     * <p>Only AMD processors with AVX-512 get one: OpenBLAS releases up to at least 0.3.30 take AMD Zen 5
     * (family 0x1A) for a plain AVX2 core ({@code Haswell} in 0.3.19, 61 GFLOP/s on 2048x2048 sgemm, versus
     * 186 with {@code SkylakeX}; 0.3.30 reaches 130-145 alone and about 210 with {@code Cooperlake}; see
     * docs/im2col.md). Intel processors are left to OpenBLAS, whose detection knows them.
     * Without AVX-512 (or when the kernel hides it) nothing is forced: OpenBLAS's own choice is then the
     * AVX2 kernel, which is the best such a machine can run.
     *
     * @return the core type, or empty
     */
    public Optional<String> recommendedOpenBlasCore() {
        if (!isAmd() || !hasAvx512()) {
            return Optional.empty();
        }
        return Optional.of(hasAvx512Bf16() ? "Cooperlake" : "SkylakeX");
    }
}
