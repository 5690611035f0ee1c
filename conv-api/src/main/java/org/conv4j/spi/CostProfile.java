package org.conv4j.spi;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The data behind the backends' {@linkplain ConvBackend#estimateNanos estimates}: the machine's own figures and,
 * per named model, a backend's efficiency relative to them. Nothing in it is a constant of the code: the shipped
 * values were measured on one host, and {@code java -jar conv-bench.jar calibrate} and {@code fit} measure them on
 * the machine at hand and write a file that {@value Settings#COST_PROFILE} points to (docs/architecture.md,
 * "Choosing a backend").
 *
 * <p><b>Machine figures</b> ({@code machine.*}): {@code gemmMacsPerNs}, the multiply-adds per nanosecond of a large
 * single-precision GEMM on all cores (OpenBLAS); {@code javaMacsPerNs}, of a vectorised Java multiply-add loop on
 * all cores over data in cache; {@code copyNsPerFloat}, the time to copy one float between arrays larger than the
 * caches. A model's rate is its {@code efficiency} times the figure of its {@code basis}, so a machine twice as
 * fast at GEMMs doubles the rate of every GEMM-based model without refitting them.
 *
 * <p><b>Models</b> ({@code <name>.*}, read by {@link #model(String)} as a {@link CostModel}):
 * <pre>
 *   fixedNs, fixedBackwardNs     per call, absolute (fixedBackwardNs defaults to fixedNs)
 *   copyFactor                   copy ns per lowered float = copyFactor * machine.copyNsPerFloat (default 0)
 *   stagingFactor                ns per float of input and output moved = stagingFactor * machine.copyNsPerFloat
 *                                (default 0)
 *   basis = gemm | java          which machine rate the multiply-adds run at
 *   efficiency                   macsPerNs = efficiency * machine.&lt;basis&gt;MacsPerNs
 *   halfM, halfK, halfN          the sides at which the product runs at half speed (default 0: never slower)
 *   identityInPlace              whether a 1x1 unstrided kernel is used without lowering (default false)
 * </pre>
 *
 * <p><b>Where values come from.</b> Each module ships its own models in {@value #RESOURCE} (conv-api ships the
 * machine figures of the host they were fitted on), and models fitted on an AVX-512 host in {@value
 * #AVX512_RESOURCE}, used where the processor has AVX-512; all such resources on the class path are merged. A file named by {@value Settings#COST_PROFILE}
 * then overrides any of them. A file that cannot be read or holds a value that is not a number is ignored with one
 * logged warning, and the shipped values serve. The profile is read once, when the first estimate needs it.
 */
public final class CostProfile {

    /** The class-path resource each module ships its values in. */
    public static final String RESOURCE = "META-INF/conv4j/cost-profile.properties";

    /**
     * The resource of models fitted on a host with AVX-512, applied over {@link #RESOURCE} where the processor
     * reports {@code avx512f}: the kernels of oneDNN, OpenBLAS and C2 differ most between the two instruction sets.
     * Their efficiencies are relative to {@link #RESOURCE}'s machine figures.
     */
    public static final String AVX512_RESOURCE = "META-INF/conv4j/cost-profile-avx512.properties";

    private static final System.Logger LOG = System.getLogger(CostProfile.class.getName());

    private final Properties values;
    private final String source;

    private CostProfile(Properties values, String source) {
        this.values = values;
        this.source = source;
    }

    /** The profile of this process: shipped values, overridden by the {@value Settings#COST_PROFILE} file. */
    private static final class Current {
        static final CostProfile PROFILE = load(shipped(CpuInfo.current()), Settings.value(Settings.COST_PROFILE));
    }

    /**
     * This process's profile, read once (see the class comment).
     *
     * @return the profile
     */
    public static CostProfile current() {
        return Current.PROFILE;
    }

    /**
     * The shipped values for {@code cpu}: every {@value #RESOURCE} on the class path, merged; if {@code cpu} has
     * AVX-512, every backend that ships an {@value #AVX512_RESOURCE} has its models from there instead.
     *
     * @param cpu the processor
     * @return the values
     */
    public static Properties shipped(CpuInfo cpu) {
        Properties p = new Properties();
        loadAll(RESOURCE, p);
        if (cpu.flags().contains("avx512f")) {
            Properties overlay = new Properties();
            loadAll(AVX512_RESOURCE, overlay);
            // An overlay replaces its backends' base models whole: a model fitted on one kind of host mixed with
            // parameters fitted on another would match neither.
            java.util.Set<String> replaced = new java.util.HashSet<>();
            for (String k : overlay.stringPropertyNames()) {
                replaced.add(k.substring(0, Math.max(0, k.indexOf('.'))));
            }
            p.stringPropertyNames().stream().filter(k -> replaced.contains(k.substring(0, Math.max(0, k.indexOf('.')))))
                    .forEach(p::remove);
            p.putAll(overlay);
        }
        return p;
    }

    private static void loadAll(String resource, Properties into) {
        try {
            Enumeration<URL> urls = CostProfile.class.getClassLoader().getResources(resource);
            while (urls.hasMoreElements()) {
                try (InputStream in = urls.nextElement().openStream()) {
                    into.load(in);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("conv4j: cannot read the shipped cost profile " + resource, e);
        }
    }

    /**
     * {@code shipped}, overridden by the values in {@code file} if it is given, readable and all numbers or
     * names where numbers or names are expected; otherwise {@code shipped} alone, with one logged warning.
     *
     * @param shipped the shipped values
     * @param file a profile file's path, or null or blank for none
     * @return the profile
     */
    public static CostProfile load(Properties shipped, String file) {
        Properties merged = new Properties();
        merged.putAll(shipped);
        if (file == null || file.isBlank()) {
            return new CostProfile(merged, "shipped");
        }
        Path path = Path.of(file.trim());
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            Properties own = new Properties();
            own.load(in);
            for (String key : own.stringPropertyNames()) {
                checkValue(key, own.getProperty(key));
            }
            merged.putAll(own);
            return new CostProfile(merged, path.toString());
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "conv4j: cost profile " + path + " ignored (" + e
                    + "); the shipped profile serves");
            Properties fallback = new Properties();
            fallback.putAll(shipped);
            return new CostProfile(fallback, "shipped");
        }
    }

    /**
     * This profile with some values replaced, e.g. a model's trial parameters while they are fitted.
     *
     * @param replaced keys and their new values
     * @return the new profile
     * @throws IllegalArgumentException if a value is not what its key takes
     */
    public CostProfile with(java.util.Map<String, String> replaced) {
        Properties merged = new Properties();
        merged.putAll(values);
        replaced.forEach((k, v) -> {
            checkValue(k, v);
            merged.setProperty(k, v);
        });
        return new CostProfile(merged, source + " with " + replaced.size() + " values replaced");
    }

    /**
     * The value of {@code key} as text, or null.
     *
     * @param key the key
     * @return its value, or null
     */
    public String text(String key) {
        return values.getProperty(key);
    }

    /** A value must be a finite non-negative number, except the names and flags that are words. */
    private static void checkValue(String key, String value) {
        if (key.endsWith(".basis") || key.endsWith(".identityInPlace") || key.equals("machine.host")
                || key.equals("machine.measured")) {
            return;
        }
        double v;
        try {
            v = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": expected a number, got \"" + value + "\"");
        }
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + ": expected a finite number >= 0, got " + value);
        }
    }

    /**
     * Where the values came from: {@code shipped} or the file's path.
     *
     * @return the source
     */
    public String source() {
        return source;
    }

    /**
     * A machine figure, e.g. {@code gemmMacsPerNs}.
     *
     * @param figure the figure's name, without {@code machine.}
     * @return its value
     * @throws IllegalStateException if no value is given for it
     */
    public double machine(String figure) {
        return number("machine." + figure);
    }

    /**
     * The multiply-adds per nanosecond of model {@code name}: its efficiency times its basis's machine rate.
     *
     * @param name the model's name, e.g. {@code im2col}
     * @return the rate
     * @throws IllegalStateException if neither the model nor a parent gives an efficiency
     */
    public double rate(String name) {
        String basis = inheritedOr(name, "basis", "gemm").trim().toLowerCase(Locale.ROOT);
        if (!basis.equals("gemm") && !basis.equals("java")) {
            throw new IllegalStateException(name + ".basis: expected gemm or java, got " + basis);
        }
        return inheritedNumber(name, "efficiency") * machine(basis + "MacsPerNs");
    }

    /**
     * The model named {@code name} (see the class comment for its keys). Names are paths: a value the model does
     * not give is its parent's ({@code onednn.forward.brgconv_1x1} inherits from {@code onednn.forward}, then
     * {@code onednn}), so a backend can name models as finely as it can tell its kernels apart, and the profile
     * gives values only where they differ.
     *
     * @param name the model's name
     * @return the model
     * @throws IllegalStateException if neither the model nor a parent gives a required value
     */
    public CostModel model(String name) {
        return models.computeIfAbsent(name, this::build);
    }

    /** The models read so far, by name: a profile is immutable, so each is built once. */
    private final java.util.concurrent.ConcurrentHashMap<String, CostModel> models =
            new java.util.concurrent.ConcurrentHashMap<>();

    private CostModel build(String name) {
        double fixed = inheritedNumber(name, "fixedNs");
        String fixedBackward = inherited(name, "fixedBackwardNs");
        return new CostModel(fixed, fixedBackward == null ? fixed : Double.parseDouble(fixedBackward.trim()),
                Double.parseDouble(inheritedOr(name, "copyFactor", "0").trim()) * machine("copyNsPerFloat"),
                rate(name), Double.parseDouble(inheritedOr(name, "halfM", "0").trim()),
                Double.parseDouble(inheritedOr(name, "halfK", "0").trim()),
                Double.parseDouble(inheritedOr(name, "halfN", "0").trim()),
                Boolean.parseBoolean(inheritedOr(name, "identityInPlace", "false").trim()),
                Double.parseDouble(inheritedOr(name, "stagingFactor", "0").trim()) * machine("copyNsPerFloat"));
    }

    /**
     * The value of {@code field} of model {@code name}, or of its nearest parent that gives one (see {@link
     * #model}); null if none does.
     *
     * @param name the model's name
     * @param field the field, e.g. {@code efficiency}
     * @return the value, or null
     */
    public String inherited(String name, String field) {
        for (String n = name; ; n = n.substring(0, n.lastIndexOf('.'))) {
            String v = values.getProperty(n + "." + field);
            if (v != null) {
                return v;
            }
            if (n.lastIndexOf('.') < 0) {
                return null;
            }
        }
    }

    private String inheritedOr(String name, String field, String otherwise) {
        String v = inherited(name, field);
        return v == null ? otherwise : v;
    }

    private double inheritedNumber(String name, String field) {
        String v = inherited(name, field);
        if (v == null) {
            throw new IllegalStateException("conv4j cost profile (" + source + "): no value for " + name + "."
                    + field + " nor for a parent model (shipped in " + RESOURCE + " by the module that uses it)");
        }
        return Double.parseDouble(v.trim());
    }

    /**
     * {@code backend}'s estimate of a basic pass as {@link Conv2d} uses it: {@code offset + scale * estimate}, with
     * {@code <name>.forwardScale}, {@code <name>.forwardOffsetNs} (and {@code backward...}) where the profile gives
     * them (default 1 and 0). {@code conv-bench fit} measures them for the backends whose estimate is their own
     * kind of model (an FFT's transform counts, Winograd's stages) rather than a {@link #model} they name ({@link
     * ConvBackend#costModel}), whose values it fits directly; this is how such a backend is calibrated on a machine
     * without its author's help.
     *
     * @param backend the backend
     * @param shape the validated geometry
     * @param pass {@link ConvPass#FORWARD} or {@link ConvPass#BACKWARD}
     * @return the estimate in nanoseconds, NaN where the backend gives none
     */
    public double estimate(ConvBackend backend, ConvShape shape, ConvPass pass) {
        double[] c = corrections.computeIfAbsent(backend.name() + (pass == ConvPass.FORWARD ? ".forward"
                : ".backward"), k -> new double[] {numberOr(k + "Scale", 1), numberOr(k + "OffsetNs", 0)});
        return c[1] + c[0] * backend.estimateNanos(shape, pass);
    }

    /** Per backend and pass: the scale and offset of {@link #estimate}. */
    private final java.util.concurrent.ConcurrentHashMap<String, double[]> corrections =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A number the profile must give.
     *
     * @param key the key
     * @return its value
     * @throws IllegalStateException if the profile has no value for {@code key}
     */
    public double number(String key) {
        String v = values.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("conv4j cost profile (" + source + "): no value for " + key
                    + " (shipped in " + RESOURCE + " by the module that uses it)");
        }
        return Double.parseDouble(v.trim());
    }

    /**
     * A number, or {@code otherwise} where the profile has none.
     *
     * @param key the key
     * @param otherwise the value when absent
     * @return the value
     */
    public double numberOr(String key, double otherwise) {
        String v = values.getProperty(key);
        return v == null ? otherwise : Double.parseDouble(v.trim());
    }

    /**
     * The values, sorted by key, as the lines of a profile file.
     *
     * @return {@code key=value} lines
     */
    public java.util.List<String> lines() {
        java.util.List<String> out = new java.util.ArrayList<>();
        new TreeMap<>(values).forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }
}
