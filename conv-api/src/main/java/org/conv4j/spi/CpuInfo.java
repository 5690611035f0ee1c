package org.conv4j.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What the operating system says about the processor, from the first processor entry of {@code /proc/cpuinfo}:
 * its vendor, model name and the feature flags the kernel has enabled. The one reader of that file: the autotune
 * cache's fingerprint, conv-openblas's choice of OpenBLAS kernels and the benchmark reports use it.
 *
 * <p>A flag such as {@code avx512f} appears only when the CPU has the instructions <em>and</em> the kernel saves
 * their register state, so it says what code may safely run, which CPUID alone does not.
 *
 * @param vendor the {@code vendor_id}, e.g. {@code AuthenticAMD}, {@code GenuineIntel}; empty if unknown
 * @param model  the {@code model name}; empty if unknown
 * @param flags  the lower-case feature flags; empty if unknown
 */
public record CpuInfo(String vendor, String model, Set<String> flags) {

    /** Nothing known (non-Linux systems, unreadable {@code /proc/cpuinfo}). */
    public static final CpuInfo UNKNOWN = new CpuInfo("", "", Set.of());

    /**
     * The information of one processor.
     *
     * @param vendor the vendor id, empty if unknown
     * @param model the model name, empty if unknown
     * @param flags the flags the kernel reports, e.g. {@code avx512f}
     */
    public CpuInfo {
        Objects.requireNonNull(vendor, "vendor must not be null");
        Objects.requireNonNull(model, "model must not be null");
        flags = Collections.unmodifiableSet(new HashSet<>(Objects.requireNonNull(flags, "flags must not be null")));
    }

    /**
     * This machine's processor, read once, or {@link #UNKNOWN}.
     *
     * @return the processor's information
     */
    public static CpuInfo current() {
        return Current.INFO;
    }

    /** Read on first use; the file does not change while the JVM runs. */
    private static final class Current {
        static final CpuInfo INFO = read(Path.of("/proc/cpuinfo"));
    }

    /** The information in {@code file}, or {@link #UNKNOWN} if it cannot be read. */
    static CpuInfo read(Path file) {
        try {
            if (Files.isReadable(file)) {
                return parse(Files.readString(file, StandardCharsets.ISO_8859_1));
            }
        } catch (IOException | RuntimeException e) {
            // fall through: unknown features never enable anything
        }
        return UNKNOWN;
    }

    /**
     * Parses the text of {@code /proc/cpuinfo}: the first {@code vendor_id}, {@code model name} and
     * {@code flags} lines (those of the first processor).
     *
     * @param cpuinfo the text of {@code /proc/cpuinfo}
     * @return the information; fields absent from the text are empty
     */
    public static CpuInfo parse(String cpuinfo) {
        String vendor = null;
        String model = null;
        Set<String> flags = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            if (key.equals("vendor_id") && vendor == null) {
                vendor = value;
            } else if (key.equals("model name") && model == null) {
                model = value;
            } else if (key.equals("flags") && flags == null) {
                flags = new HashSet<>(Arrays.asList(value.toLowerCase(Locale.ROOT).split("\\s+")));
                flags.remove("");
            }
        }
        return new CpuInfo(vendor == null ? "" : vendor, model == null ? "" : model, flags == null ? Set.of() : flags);
    }
}
