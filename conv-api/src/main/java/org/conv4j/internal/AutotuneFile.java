package org.conv4j.internal;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.spi.CpuInfo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The autotune cache file ({@value Conv2d#AUTOTUNE_CACHE_PROPERTY}): UTF-8 text, one decision per line,
 * <pre>
 * conv4j-autotune 1
 * fingerprint conv4j=0.1.0 arch=amd64 cpus=2 cpu=AMD EPYC ... avx512f=true backends=fft,im2col,naive
 * forward input [8, 64, 56, 56] * weight [...] -> [...], ConvParams{...} threads=2	im2col	im2col=2100000,strided=2600000
 * </pre>
 * Each decision line is the key, a tab, the chosen backend's name, a tab, and the measured nanoseconds of
 * every timed backend. A file whose fingerprint differs from this JVM's (another machine, CPU, library
 * version or set of backends) is ignored with one logged line, and so is a file that cannot be read or
 * parsed: a cache never breaks a convolution, it is only rebuilt. Writes go to a temporary file in the same
 * directory, then replace the cache in one move, so a reader never sees half a file; a failed write is
 * logged once and autotuning goes on in memory.
 */
public final class AutotuneFile {

    static final String MAGIC = "conv4j-autotune 1";
    private static final System.Logger LOG = System.getLogger("org.conv4j");
    private static volatile boolean writeFailureLogged;

    /** One decision: the chosen backend and the measured time of each backend timed. */
    static final class Entry {
        private final String backend;
        private final Map<String, Long> measuredNanos;

        Entry(String backend, Map<String, Long> measuredNanos) {
            this.backend = backend;
            this.measuredNanos = Collections.unmodifiableMap(new LinkedHashMap<>(measuredNanos));
        }

        String backend() {
            return backend;
        }

        Map<String, Long> measuredNanos() {
            return measuredNanos;
        }
    }

    private AutotuneFile() {
    }

    /**
     * What makes measurements comparable: library version, processor and the backends available. A JDK
     * upgrade does not invalidate the cache; delete the file to re-measure.
     */
    static String fingerprint(List<ConvBackend> backends) {
        TreeSet<String> names = new TreeSet<>(BackendSelector.names(backends));
        return "conv4j=" + version() + " arch=" + System.getProperty("os.arch") + " cpus="
                + Runtime.getRuntime().availableProcessors() + " cpu=" + Cpu.DESCRIPTION + " backends="
                + String.join(",", names);
    }

    /** The decisions in {@code path}, or none (with one logged line) if it is absent, foreign or corrupt. */
    static Map<String, Entry> load(Path path, List<ConvBackend> backends) {
        if (!Files.exists(path)) {
            return Map.of();
        }
        try {
            List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
            if (lines.size() < 2 || !lines.get(0).equals(MAGIC) || !lines.get(1).startsWith("fingerprint ")) {
                LOG.log(System.Logger.Level.WARNING, "conv4j: ignoring autotune cache " + path
                        + ": not a conv4j autotune cache file; it will be rewritten");
                return Map.of();
            }
            String expected = fingerprint(backends);
            String found = lines.get(1).substring("fingerprint ".length());
            if (!found.equals(expected)) {
                LOG.log(System.Logger.Level.INFO, "conv4j: ignoring autotune cache " + path + ": written for \""
                        + found + "\", this is \"" + expected + "\"; re-measuring");
                return Map.of();
            }
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (String line : lines.subList(2, lines.size())) {
                if (!line.isEmpty()) {
                    parse(line, entries);
                }
            }
            return entries;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "conv4j: ignoring autotune cache " + path + ": " + e);
            return Map.of();
        }
    }

    private static void parse(String line, Map<String, Entry> entries) {
        String[] f = line.split("\t", -1);
        if (f.length != 3 || f[0].isEmpty() || f[1].isEmpty()) {
            throw new IllegalArgumentException("expected key<TAB>backend<TAB>times, got \"" + line + "\"");
        }
        Map<String, Long> times = new LinkedHashMap<>();
        if (!f[2].isEmpty()) {
            for (String t : f[2].split(",")) {
                int eq = t.indexOf('=');
                times.put(t.substring(0, eq), Long.parseLong(t.substring(eq + 1)));
            }
        }
        entries.put(f[0], new Entry(f[1], times));
    }

    /** Replaces {@code path} with these decisions; logs (once per JVM) and returns if it cannot. */
    static synchronized void save(Path path, List<ConvBackend> backends, Map<String, Entry> entries) {
        List<String> lines = new ArrayList<>();
        lines.add(MAGIC);
        lines.add("fingerprint " + fingerprint(backends));
        entries.forEach((key, e) -> {
            StringBuilder sb = new StringBuilder(key).append('\t').append(e.backend()).append('\t');
            e.measuredNanos().forEach((name, ns) -> sb.append(name).append('=').append(ns).append(','));
            if (!e.measuredNanos().isEmpty()) {
                sb.setLength(sb.length() - 1);
            }
            lines.add(sb.toString());
        });
        try {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
            try {
                Files.write(tmp, lines, StandardCharsets.UTF_8);
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            if (!writeFailureLogged) {
                writeFailureLogged = true;
                LOG.log(System.Logger.Level.WARNING, "conv4j: cannot write autotune cache " + path + ": " + e
                        + "; autotuning goes on in memory");
            }
        }
    }

    /** The library version, from the properties the build writes into conv-api's jar. */
    static String version() {
        try (InputStream in = AutotuneFile.class.getResourceAsStream("conv4j.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The processor ("unknown" where {@code /proc/cpuinfo} cannot be read). */
    private static final class Cpu {
        static final CpuInfo INFO = CpuInfo.current();
        static final String DESCRIPTION = (INFO.model().isEmpty() ? "unknown" : INFO.model()) + " avx512f="
                + INFO.flags().contains("avx512f");
    }
}
