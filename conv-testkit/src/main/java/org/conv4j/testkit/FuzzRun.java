package org.conv4j.testkit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the differential {@link Fuzzer} in child JVMs ({@link ChildJvm}) for a time budget, so that a native crash
 * or a hang is a reported failure with its case rather than a dead build: when a child dies, the case and backend
 * it was running are read from its progress file, reported with the crash's first lines, and a new child goes on
 * from the next case.
 *
 * <p>Settings (system properties of the test JVM): {@value #SECONDS_PROPERTY} (the budget, default given by the
 * caller), {@value #SEED_PROPERTY} (the run's seed; every case's own seed is printed with its failure and replays
 * it with {@code new Fuzzer().check(FuzzCase.of(seed), null)}), {@value #BACKENDS_PROPERTY} (which contenders).
 */
public final class FuzzRun {

    /** Seconds to fuzz for. */
    public static final String SECONDS_PROPERTY = "conv4j.fuzz.seconds";
    /** The contenders, comma-separated: backend names and {@code facade} (default: all of them). */
    public static final String BACKENDS_PROPERTY = "conv4j.fuzz.backends";
    /** The run's seed. */
    public static final String SEED_PROPERTY = "conv4j.fuzz.seed";
    /** Bytes of the progress file: the case number (long) and the contender's position (int). */
    static final int PROGRESS_BYTES = 16;

    private FuzzRun() {
    }

    /**
     * What a run found.
     *
     * @param layers   cases run
     * @param calls    contender calls made
     * @param failures wrong results, wrong exceptions and modified inputs, one line each
     * @param crashes  children that died or hung, with the case and backend, one entry each
     * @param counts   the children's summary lines
     */
    public record Report(long layers, long calls, List<String> failures, List<String> crashes, List<String> counts) {

        /**
         * Whether nothing went wrong.
         *
         * @return whether nothing went wrong
         */
        public boolean clean() {
            return failures.isEmpty() && crashes.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("fuzzed " + layers + " layers, " + calls + " backend calls: "
                    + failures.size() + " failures, " + crashes.size() + " crashes");
            crashes.forEach(c -> b.append("\n  CRASH ").append(c));
            failures.stream().limit(50).forEach(f -> b.append("\n  ").append(f));
            if (failures.size() > 50) {
                b.append("\n  ... ").append(failures.size() - 50).append(" more");
            }
            return b.toString();
        }
    }

    /**
     * Fuzzes for {@code seconds} from case 0 of {@code runSeed}, in as many children as crashes need, each started
     * with {@code jvmOptions}.
     *
     * @param runSeed the run's seed
     * @param seconds the time budget, in seconds
     * @param jvmOptions options of each child JVM
     * @return what the run found
     * @throws IOException if a child cannot be started or its files read
     * @throws InterruptedException if this thread is interrupted while it waits
     */
    public static Report run(long runSeed, double seconds, List<String> jvmOptions)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("conv4j-fuzz");
        Path progressFile = dir.resolve("progress");
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long next = 0;
        long layers = 0;
        long calls = 0;
        List<String> failures = new ArrayList<>();
        List<String> crashes = new ArrayList<>();
        List<String> counts = new ArrayList<>();
        try {
            double remaining;
            while ((remaining = (deadline - System.nanoTime()) / 1e9) > 1) {
                // before the child's first case the progress file says "no case yet"
                Files.write(progressFile, ByteBuffer.allocate(PROGRESS_BYTES).putLong(0, Long.MIN_VALUE).array());
                List<String> options = new ArrayList<>(jvmOptions);
                String backends = System.getProperty(BACKENDS_PROPERTY);
                if (backends != null) {
                    options.add("-D" + BACKENDS_PROPERTY + "=" + backends);
                }
                options.add("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"));
                ChildJvm.Result r = ChildJvm.of(Fuzzer.class, Long.toString(runSeed), Long.toString(next),
                                Double.toString(remaining), Long.toString(Long.MAX_VALUE / 2), progressFile.toString())
                        .jvmOptions(options).timeoutSeconds((long) remaining + 120).execute();
                List<String> lines = Arrays.asList(r.output().split("\n"));
                List<String> contenders = lines.stream().filter(l -> l.startsWith("FUZZ CONTENDERS "))
                        .map(l -> l.substring("FUZZ CONTENDERS ".length())).findFirst()
                        .map(l -> List.of(l.split(","))).orElse(List.of());
                lines.stream().filter(l -> l.startsWith(Fuzzer.FAILURE))
                        .forEach(l -> failures.add(l.substring(Fuzzer.FAILURE.length())));
                String summary = lines.stream().filter(l -> l.startsWith(Fuzzer.SUMMARY)).findFirst().orElse(null);
                if (summary != null && r.exited() && r.exitCode() == 0) {
                    counts.add(summary);
                    long end = field(summary, "next");
                    layers += end - next;
                    calls += field(summary, "calls");
                    next = end;
                    continue;
                }
                // the child died or hung: which case and contender it was on
                ByteBuffer progress = ByteBuffer.allocate(PROGRESS_BYTES);
                try (FileChannel ch = FileChannel.open(progressFile, StandardOpenOption.READ)) {
                    ch.read(progress, 0);
                }
                long index = progress.getLong(0);
                int contender = progress.getInt(8);
                String who = contender >= 0 && contender < contenders.size() ? contenders.get(contender)
                        : "contender #" + contender;
                String how = !r.exited() ? "hung (killed after the timeout)" : "died with exit status " + r.exitCode();
                String frame = lines.stream().filter(l -> l.startsWith("# C  [") || l.startsWith("# J ")
                        || l.contains("SIGSEGV") || l.contains("SIGBUS") || l.contains("SIGILL")).limit(3)
                        .map(String::trim).reduce((a, b) -> a + " | " + b).orElse(tail(lines));
                if (index < next) { // it died before its first case: nothing to skip, so stop rather than loop
                    crashes.add("child " + how + " before its first case: " + tail(lines));
                    break;
                }
                crashes.add(who + " " + how + " on case " + index + ": " + FuzzCase.of(Fuzzer.caseSeed(runSeed, index))
                        + " -- " + frame);
                layers += index + 1 - next;
                next = index + 1;
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
        return new Report(layers, calls, failures, crashes, counts);
    }

    /** The value of {@code name=...} in a summary line. */
    private static long field(String summary, String name) {
        for (String part : summary.split(" ")) {
            if (part.startsWith(name + "=")) {
                return Long.parseLong(part.substring(name.length() + 1));
            }
        }
        throw new IllegalStateException("no " + name + " in " + summary);
    }

    private static String tail(List<String> lines) {
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }
}
