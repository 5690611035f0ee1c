package org.conv4j.openblas;

import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.conv4j.api.Settings;
import org.conv4j.nativeutil.NativeEnvironment;
import org.conv4j.nativeutil.NativePointers;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Loads OpenBLAS (the BLAS under ND4J and under {@link Gemm}) so that it runs the fastest kernels this CPU
 * can execute, with no environment variable and no JVM flag.
 *
 * <p><b>The problem.</b> OpenBLAS picks its kernels ("core type") once, when the library is loaded, from
 * CPUID or from the environment variable {@code OPENBLAS_CORETYPE}. The OpenBLAS that ND4J 1.0.0-M2.1 ships
 * (0.3.19) takes an AVX-512 AMD Zen 5 for a Haswell and loses 3x on GEMM; newer releases (0.3.30) still
 * leave a third of the speed unused there (docs/im2col.md).
 *
 * <p><b>What this class does</b>, once per JVM, in {@link #ensureLoaded()} (every conv4j class that uses
 * OpenBLAS or ND4J calls it first):
 * <ol>
 *   <li>If {@code OPENBLAS_CORETYPE} is already set in the process environment, it is respected.</li>
 *   <li>Otherwise the system property {@value #CORETYPE_PROPERTY} decides: {@value #AUTO} (the default)
 *       asks {@link CpuFeatures#recommendedOpenBlasCore()} (AVX-512 AMD processors: {@code Cooperlake} with
 *       BF16, else {@code SkylakeX}; everything else: OpenBLAS's own choice); {@value #OFF} never forces
 *       anything; a core name (e.g. {@code SkylakeX}, {@code Haswell}) forces that core, unless the kernel
 *       reports that this CPU cannot run it (forcing an AVX-512 core there would kill the JVM with SIGILL),
 *       in which case it is refused with a warning.</li>
 *   <li>A forced core is written into the <em>native</em> environment as {@code OPENBLAS_CORETYPE}
 *       ({@link NativeEnvironment}), then OpenBLAS is loaded and reads it.</li>
 *   <li>{@link Status#core()} then reports the core OpenBLAS really chose, read from OpenBLAS's exported
 *       {@code gotoblas} pointer (compared with the exported {@code gotoblas_<CORE>} tables).</li>
 * </ol>
 * The same way, unless the user set it, {@value #THREAD_TIMEOUT_VARIABLE} is set to
 * {@link #DEFAULT_THREAD_TIMEOUT} (property {@value #THREAD_TIMEOUT_PROPERTY}) so that idle OpenBLAS threads
 * do not spin on the cores the backends' parallel Java phases need.
 * If OpenBLAS was loaded before conv4j got a chance (the application used ND4J first), nothing can be
 * changed any more: {@link Status#source()} is {@link Source#ALREADY_LOADED} and a warning is logged. Such
 * applications call {@link #ensureLoaded()} first, or set {@code OPENBLAS_CORETYPE} themselves.
 */
public final class OpenBlasSetup {

    /** System property: {@value #AUTO} (default), {@value #OFF}, or an OpenBLAS core name. */
    public static final String CORETYPE_PROPERTY = Settings.OPENBLAS_CORETYPE;
    /** Property value: force a core only where conv4j knows OpenBLAS's own choice is slower. */
    public static final String AUTO = "auto";
    /** Property value: never force a core (OpenBLAS's own detection, or the user's environment variable). */
    public static final String OFF = "off";
    /** The environment variable OpenBLAS reads when it is loaded. */
    public static final String ENVIRONMENT_VARIABLE = "OPENBLAS_CORETYPE";

    /**
     * System property: how long (2^n CPU cycles, n in 4..30) idle OpenBLAS threads spin before they sleep,
     * passed to OpenBLAS as {@value #THREAD_TIMEOUT_VARIABLE}; {@value #AUTO} (default) means
     * {@link #DEFAULT_THREAD_TIMEOUT}, {@value #OFF} leaves OpenBLAS's own default (2^28 cycles, about 0.1 s).
     * An environment variable set by the user wins.
     */
    public static final String THREAD_TIMEOUT_PROPERTY = Settings.OPENBLAS_THREAD_TIMEOUT;
    /** The environment variable OpenBLAS reads for its idle-thread timeout. */
    public static final String THREAD_TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    /**
     * 2^10 cycles (well under a microsecond): idle OpenBLAS threads sleep almost at once instead of spinning
     * about 0.1 s after every call, taking a core from the GEMM backends' parallel Java phases between GEMMs;
     * the cost is a thread wake-up per multi-threaded BLAS call (docs/im2col.md, "Tuning constants").
     */
    public static final int DEFAULT_THREAD_TIMEOUT = 10;

    /** The core names OpenBLAS's dynamic x86-64 builds accept (case-insensitive), in OpenBLAS's order. */
    public static final List<String> CORE_NAMES = List.of("Katmai", "Coppermine", "Northwood", "Prescott",
            "Banias", "Atom", "Core2", "Penryn", "Dunnington", "Nehalem", "Athlon", "Opteron", "Opteron_SSE3",
            "Barcelona", "Nano", "Sandybridge", "Bobcat", "Bulldozer", "Piledriver", "Haswell", "Steamroller",
            "Excavator", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids");

    private static final Set<String> AVX512_CORES = Set.of("SkylakeX", "Cooperlake", "SapphireRapids");
    private static final Set<String> AVX2_CORES = Set.of("Haswell", "Zen");
    private static final Set<String> AVX_CORES = Set.of("Sandybridge", "Bulldozer", "Piledriver", "Steamroller",
            "Excavator");

    private static final System.Logger LOG = System.getLogger(OpenBlasSetup.class.getName());

    /** Where the core type came from. */
    public enum Source {
        /** {@code OPENBLAS_CORETYPE} was set by the user before the JVM started (or before loading). */
        ENVIRONMENT,
        /** Forced by an explicit core name in {@value OpenBlasSetup#CORETYPE_PROPERTY}. */
        PROPERTY,
        /** Forced by conv4j's CPU rule ({@link CpuFeatures#recommendedOpenBlasCore()}). */
        AUTO,
        /** OpenBLAS's own detection (nothing forced). */
        OPENBLAS,
        /** OpenBLAS had been loaded before {@link #ensureLoaded()} ran: whatever it chose stands. */
        ALREADY_LOADED
    }

    /**
     * The outcome of {@link #ensureLoaded()}.
     *
     * @param core      the core type OpenBLAS runs, e.g. {@code Zen}, {@code SkylakeX}; {@code unknown} if
     *                  it cannot be read (a non-dynamic OpenBLAS or another BLAS)
     * @param requested the core conv4j asked for, or null if it asked for none
     * @param source    where the core type came from
     * @param detail    one human-readable sentence
     * @param threadTimeout the value of {@value #THREAD_TIMEOUT_VARIABLE} OpenBLAS was loaded with (set by
     *                  the user or by conv4j), or null if none (OpenBLAS's default)
     */
    public record Status(String core, String requested, Source source, String detail, String threadTimeout) {
        @Override
        public String toString() {
            return "OpenBLAS core " + core + " (" + source + (requested == null ? "" : ", requested " + requested)
                    + "): " + detail + (threadTimeout == null ? "" : "; " + THREAD_TIMEOUT_VARIABLE + "=" + threadTimeout);
        }
    }

    /** What to do before loading. Pure, so it can be tested without loading anything. */
    record Decision(String core, Source source, String detail) {
    }

    private static Status status;

    private OpenBlasSetup() {
    }

    /**
     * Loads OpenBLAS once, with the core type chosen as described in the class comment, and returns what
     * happened. Idempotent and thread-safe; cheap after the first call.
     *
     * @return what happened
     * @throws IllegalArgumentException if {@value #CORETYPE_PROPERTY} is neither {@value #AUTO},
     *         {@value #OFF} nor a core name of {@link #CORE_NAMES}
     */
    public static synchronized Status ensureLoaded() {
        if (status != null) {
            return status;
        }
        String before = loadedCore();
        if (before != null) {
            status = new Status(before, null, Source.ALREADY_LOADED, "OpenBLAS was loaded before conv4j set it up"
                    + " (ND4J used first?); call OpenBlasSetup.ensureLoaded() earlier or set "
                    + ENVIRONMENT_VARIABLE + " to change the core type", NativeEnvironment.get(THREAD_TIMEOUT_VARIABLE));
            LOG.log(System.Logger.Level.WARNING, status.toString());
            return status;
        }
        Decision d = decide(Settings.value(CORETYPE_PROPERTY), NativeEnvironment.get(ENVIRONMENT_VARIABLE),
                CpuFeatures.current());
        Source source = d.source();
        String detail = d.detail();
        if (d.core() != null && !NativeEnvironment.put(ENVIRONMENT_VARIABLE, d.core())) {
            source = Source.OPENBLAS;
            detail = "could not set " + ENVIRONMENT_VARIABLE + "=" + d.core()
                    + " in the native environment on this system; OpenBLAS chose by itself";
            LOG.log(System.Logger.Level.WARNING, detail);
        }
        String timeout = threadTimeout(Settings.value(THREAD_TIMEOUT_PROPERTY),
                NativeEnvironment.get(THREAD_TIMEOUT_VARIABLE));
        if (timeout != null && NativeEnvironment.get(THREAD_TIMEOUT_VARIABLE) == null
                && !NativeEnvironment.put(THREAD_TIMEOUT_VARIABLE, timeout)) {
            timeout = null;
        }
        Loader.load(openblas_nolapack.class);
        String core = loadedCore();
        status = new Status(core == null ? "unknown" : core, d.core(), source, detail, timeout);
        LOG.log(System.Logger.Level.DEBUG, status.toString());
        return status;
    }

    /**
     * The status of the first {@link #ensureLoaded()}, loading OpenBLAS if that has not happened yet.
     *
     * @return the status
     */
    public static Status status() {
        return ensureLoaded();
    }

    /**
     * OpenBLAS's thread count for GEMM (defaults to the number of cores).
     *
     * @return the thread count
     */
    public static int threads() {
        ensureLoaded();
        // OpenBLAS's own count, the exported int blas_cpu_number: JavaCPP's blas_get_num_threads() only
        // returns what was last set through blas_set_num_threads, and -1 before any such call.
        Pointer cpus = NativePointers.symbol("blas_cpu_number");
        return cpus == null ? openblas_nolapack.blas_get_num_threads() : new IntPointer(cpus).get(0);
    }

    /**
     * Sets OpenBLAS's thread count (at least 1). Affects every later GEMM in this JVM.
     *
     * @param threads the thread count
     */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1, got " + threads);
        }
        ensureLoaded();
        openblas_nolapack.blas_set_num_threads(threads);
        cachedThreads = threads;
    }

    /** {@link #threads()} as of loading or the last {@link #setThreads}, without a native call (-1: not read yet). */
    private static volatile int cachedThreads = -1;

    /** {@link #threads()}, read once and then kept up to date by {@link #setThreads}; cheap enough for every GEMM. */
    static int cachedThreads() {
        int t = cachedThreads;
        if (t < 0) {
            t = threads();
            cachedThreads = t;
        }
        return t;
    }

    static Decision decide(String property, String environmentValue, CpuFeatures cpu) {
        Objects.requireNonNull(cpu, "cpu must not be null");
        if (environmentValue != null && !environmentValue.isBlank()) {
            return new Decision(null, Source.ENVIRONMENT, ENVIRONMENT_VARIABLE + "=" + environmentValue
                    + " was set by the user and is respected");
        }
        String p = property == null ? AUTO : property.trim();
        if (p.isEmpty() || p.equalsIgnoreCase(AUTO)) {
            return cpu.recommendedOpenBlasCore()
                    .map(core -> new Decision(core, Source.AUTO, "AVX-512 AMD processor: forcing " + core
                            + " (OpenBLAS's own detection uses slower AVX2 kernels here)"))
                    .orElseGet(() -> new Decision(null, Source.OPENBLAS, "no rule for this CPU ("
                            + (cpu.vendor().isEmpty() ? "unknown vendor" : cpu.vendor())
                            + (cpu.hasAvx512() ? ", AVX-512" : ", no AVX-512 enabled") + "): OpenBLAS chose"));
        }
        if (p.equalsIgnoreCase(OFF)) {
            return new Decision(null, Source.OPENBLAS, CORETYPE_PROPERTY + "=" + OFF + ": OpenBLAS chose");
        }
        String core = canonicalCore(p);
        if (core == null) {
            throw new IllegalArgumentException(CORETYPE_PROPERTY + ": expected " + AUTO + ", " + OFF
                    + " or one of " + CORE_NAMES + ", got \"" + property + "\"");
        }
        String missing = missingFeature(core, cpu);
        if (missing != null) {
            String detail = CORETYPE_PROPERTY + "=" + core + " refused: the kernel does not report " + missing
                    + " on this CPU, and OpenBLAS would crash the JVM with an illegal instruction; OpenBLAS chose";
            LOG.log(System.Logger.Level.WARNING, detail);
            return new Decision(null, Source.OPENBLAS, detail);
        }
        return new Decision(core, Source.PROPERTY, CORETYPE_PROPERTY + "=" + core + " forced");
    }

    /**
     * The idle-thread timeout OpenBLAS will be loaded with: the user's environment value if set, else the
     * property's ({@value #AUTO}: {@link #DEFAULT_THREAD_TIMEOUT}; {@value #OFF}: none, i.e. null).
     *
     * @throws IllegalArgumentException if the property is not auto, off or an integer in 4..30
     */
    static String threadTimeout(String property, String environmentValue) {
        if (environmentValue != null && !environmentValue.isBlank()) {
            return environmentValue;
        }
        String p = property == null ? AUTO : property.trim();
        if (p.isEmpty() || p.equalsIgnoreCase(AUTO)) {
            return Integer.toString(DEFAULT_THREAD_TIMEOUT);
        }
        if (p.equalsIgnoreCase(OFF)) {
            return null;
        }
        try {
            int n = Integer.parseInt(p);
            if (n >= 4 && n <= 30) {
                return Integer.toString(n);
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException(THREAD_TIMEOUT_PROPERTY + ": expected " + AUTO + ", " + OFF
                + " or an integer from 4 to 30 (log2 of CPU cycles), got \"" + property + "\"");
    }

    /** The spelling of {@link #CORE_NAMES} matching {@code name} case-insensitively, or null. */
    static String canonicalCore(String name) {
        for (String c : CORE_NAMES) {
            if (c.equalsIgnoreCase(name)) {
                return c;
            }
        }
        return null;
    }

    /**
     * The instruction-set flag {@code core} needs that {@code cpu} lacks, or null. With unknown features
     * (no {@code /proc/cpuinfo}) nothing is refused: the user asked explicitly.
     */
    static String missingFeature(String core, CpuFeatures cpu) {
        if (cpu.flags().isEmpty()) {
            return null;
        }
        if (AVX512_CORES.contains(core) && !cpu.hasAvx512()) {
            return "AVX-512 (" + String.join(", ", CpuFeatures.AVX512_SKYLAKEX) + ")";
        }
        if (core.equals("Cooperlake") && !cpu.hasAvx512Bf16()) {
            return "avx512_bf16";
        }
        if (core.equals("SapphireRapids") && !cpu.flags().contains("amx_bf16")) {
            return "amx_bf16";
        }
        if (AVX2_CORES.contains(core) && !(cpu.flags().contains("avx2") && cpu.flags().contains("fma"))) {
            return "avx2 and fma";
        }
        if (AVX_CORES.contains(core) && !cpu.flags().contains("avx")) {
            return "avx";
        }
        return null;
    }

    /**
     * The core type of the loaded OpenBLAS, read from its exported {@code gotoblas} pointer; null if
     * OpenBLAS is not loaded, {@code unknown} if the pointer matches no known table.
     */
    static String loadedCore() {
        Pointer gotoblas = NativePointers.symbol("gotoblas");
        if (gotoblas == null) {
            return null;
        }
        long table = new LongPointer(gotoblas).get(0);
        for (String c : CORE_NAMES) {
            Pointer p = NativePointers.symbol("gotoblas_" + c.toUpperCase(Locale.ROOT));
            if (p != null && p.address() == table) {
                return c;
            }
        }
        return "unknown";
    }

}
