package org.conv4j.api;

import org.conv4j.spi.CostProfile;
import org.conv4j.spi.WorkspaceBudget;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every system property the library reads, with its default and meaning ({@link #all()}), and the one place
 * that reads them ({@link #value(String)}). Each has a working default; set one with {@code -Dname=value} on the
 * command line, or with {@link System#setProperty} before it is read: {@link Conv2d} reads its own at each choice
 * of backend (the cache file once, when autotune first needs it), the workspace limit is read when a backend is
 * created and the total when the process-wide budget is, the OpenBLAS and oneDNN ones once, before their native
 * libraries load. The README's "Settings" table lists the same names and defaults (a test compares them).
 *
 * <p>Not listed here: the properties of the test tools in conv-testkit ({@code conv4j.kit.*} resize and reseed
 * the conformance kit's sweep, {@code conv4j.fuzz.*} steer the fuzzer). They configure a test run, not the
 * library, and are documented and read where the kit is.
 */
public final class Settings {

    /** Pins the backend {@link Conv2d} uses, by name. */
    public static final String BACKEND = "conv4j.backend";
    /** Switches {@link Conv2d}'s autotune mode on. */
    public static final String AUTOTUNE = "conv4j.autotune";
    /** The file that keeps autotune decisions across restarts. */
    public static final String AUTOTUNE_CACHE = "conv4j.autotune.cache";
    /** The file of measured machine figures and backend models behind the estimates ({@link CostProfile}). */
    public static final String COST_PROFILE = "conv4j.costProfile";
    /** The workspace one call may use ({@link Workspace}). */
    public static final String WORKSPACE_LIMIT = "conv4j.workspace.limit";
    /** The workspace all concurrent calls may use together ({@link WorkspaceBudget}). */
    public static final String WORKSPACE_TOTAL = "conv4j.workspace.total";
    /** The OpenBLAS kernels conv-openblas asks for before OpenBLAS loads. */
    public static final String OPENBLAS_CORETYPE = "conv4j.openblas.coretype";
    /** How soon idle OpenBLAS threads sleep. */
    public static final String OPENBLAS_THREAD_TIMEOUT = "conv4j.openblas.threadTimeout";
    /** oneDNN's OpenMP thread count. */
    public static final String ONEDNN_THREADS = "conv4j.onednn.threads";
    /** Whether oneDNN's idle OpenMP threads sleep or spin. */
    public static final String ONEDNN_WAIT_POLICY = "conv4j.onednn.waitPolicy";
    /** How long idle oneDNN OpenMP threads poll before they sleep, with the passive wait policy. */
    public static final String ONEDNN_SPIN_COUNT = "conv4j.onednn.spinCount";

    /**
     * One setting.
     *
     * @param name         the system property, e.g. {@code conv4j.workspace.limit}
     * @param defaultValue the value that behaves as leaving the property unset, as one would write it (e.g.
     *                     {@code 256m}); null when no single value does (nothing is pinned, or the default is
     *                     computed)
     * @param whenUnset    what applies when the property is unset, in words, when {@code defaultValue} is null
     *                     ({@code unset} when nothing applies); null otherwise
     * @param meaning      what the property changes and the values it takes
     */
    public record Setting(String name, String defaultValue, String whenUnset, String meaning) {

        /**
         * A setting; exactly one of {@code defaultValue} and {@code whenUnset} is given.
         *
         * @param name the system property
         * @param defaultValue the default as a value, or null
         * @param whenUnset the default in words, or null
         * @param meaning what the property changes
         */
        public Setting {
            if (name == null || !name.startsWith("conv4j.") || meaning == null || meaning.isBlank()) {
                throw new IllegalArgumentException("name, meaning: expected conv4j.* and a text, got " + name
                        + ", " + meaning);
            }
            if ((defaultValue == null) == (whenUnset == null)) {
                throw new IllegalArgumentException(name + ": expected exactly one of defaultValue and whenUnset, got "
                        + defaultValue + " and " + whenUnset);
            }
        }

        /**
         * The default as the README's table states it: {@code defaultValue}, else {@code whenUnset}.
         *
         * @return the default
         */
        public String defaultText() {
            return defaultValue != null ? defaultValue : whenUnset;
        }
    }

    private static final String UNSET = "unset";

    private static final List<Setting> ALL = List.of(
            new Setting(BACKEND, null, UNSET, "pins the backend Conv2d uses, by name (naive, im2col, strided, fft, "
                    + "onednn, direct, winograd); unset: Conv2d chooses per layer"),
            new Setting(AUTOTUNE, "false", null, "true: the first call of each new layer times every eligible "
                    + "backend on its data and keeps the fastest"),
            new Setting(AUTOTUNE_CACHE, null, UNSET, "a file that keeps autotune decisions across restarts (ignored, "
                    + "with one logged line, if written on another machine or version)"),
            new Setting(COST_PROFILE, null, "the shipped profile", "a file written by java -jar conv-bench.jar "
                    + "calibrate (machine figures) or fit (backend models) that overrides the shipped values behind "
                    + "Conv2d's estimates; ignored, with one logged line, if unreadable or not numbers"),
            new Setting(WORKSPACE_LIMIT, "256m", null, "memory one call may use for intermediate data (column "
                    + "matrices, spectra), e.g. 512m, 1g; larger convolutions are cut into pieces"),
            new Setting(WORKSPACE_TOTAL, null, "a quarter of the smaller of the max heap and JavaCPP's "
                    + "org.bytedeco.javacpp.maxBytes", "memory all concurrent calls together may use for "
                    + "intermediate data, idle pooled buffers included; under it a call works in smaller pieces or "
                    + "waits its turn"),
            new Setting(OPENBLAS_CORETYPE, "auto", null, "auto: conv4j picks OpenBLAS's fastest safe kernels before "
                    + "it loads; off: OpenBLAS's own detection; or a core name such as SkylakeX. An "
                    + "OPENBLAS_CORETYPE environment variable always wins"),
            new Setting(OPENBLAS_THREAD_TIMEOUT, "10", null, "OPENBLAS_THREAD_TIMEOUT (log2 of the CPU cycles idle "
                    + "OpenBLAS threads spin before they sleep, 4 to 30; auto: 10; off: OpenBLAS's own, about 0.1 s) "
                    + "unless that environment variable is set"),
            new Setting(ONEDNN_THREADS, null, UNSET, "oneDNN's OpenMP thread count, if OMP_NUM_THREADS is not set; "
                    + "unset: one per core"),
            new Setting(ONEDNN_WAIT_POLICY, "passive", null, "passive: idle OpenMP threads sleep (OMP_WAIT_POLICY="
                    + "PASSIVE unless that variable is set); active: they spin; off: libgomp's default"),
            new Setting(ONEDNN_SPIN_COUNT, "1000", null, "with the passive policy, GOMP_SPINCOUNT unless that "
                    + "variable is set: how many times an idle OpenMP thread polls (microseconds in all) before it "
                    + "sleeps, so that the next primitive of a call finds it awake; 0: sleep at once"));

    private static final Map<String, Setting> BY_NAME = new LinkedHashMap<>();

    static {
        for (Setting s : ALL) {
            BY_NAME.put(s.name(), s);
        }
    }

    private Settings() {
    }

    /**
     * Every setting, in the order of the README's table.
     *
     * @return the settings, an unmodifiable list
     */
    public static List<Setting> all() {
        return ALL;
    }

    /**
     * The setting named {@code name}.
     *
     * @param name the system property, one of {@link #all()}
     * @return the setting
     * @throws IllegalArgumentException if {@code name} is not one of {@link #all()}
     */
    public static Setting setting(String name) {
        Setting s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("name: expected one of " + BY_NAME.keySet() + ", got " + name);
        }
        return s;
    }

    /**
     * The value the property has now, trimmed; null if it is unset or blank (both mean: the default).
     *
     * @param name the system property, one of {@link #all()}
     * @return the value, or null
     * @throws IllegalArgumentException if {@code name} is not one of {@link #all()}
     */
    public static String value(String name) {
        setting(name);
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /**
     * {@link #value(String)}, or the setting's {@link Setting#defaultValue()} (null if it has none) when unset.
     *
     * @param name the system property, one of {@link #all()}
     * @return the value in effect, or null
     * @throws IllegalArgumentException if {@code name} is not one of {@link #all()}
     */
    public static String valueOrDefault(String name) {
        String value = value(name);
        return value != null ? value : setting(name).defaultValue();
    }

    /**
     * The settings in effect, one line each, for reports: {@code name=value} if set,
     * {@code name=value (default)} if unset with a default value, else {@code name unset} followed by what
     * applies in parentheses.
     *
     * @return one line per setting, in the order of {@link #all()}
     */
    public static List<String> inEffect() {
        List<String> lines = new ArrayList<>();
        for (Setting s : ALL) {
            String value = value(s.name());
            if (value != null) {
                lines.add(s.name() + "=" + value);
            } else if (s.defaultValue() != null) {
                lines.add(s.name() + "=" + s.defaultValue() + " (default)");
            } else {
                lines.add(s.name() + " unset" + (s.whenUnset().equals(UNSET) ? "" : " (" + s.whenUnset() + ")"));
            }
        }
        return lines;
    }
}
