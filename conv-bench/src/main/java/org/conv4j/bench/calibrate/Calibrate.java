package org.conv4j.bench.calibrate;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.conv4j.spi.CpuInfo;
import org.conv4j.bench.SgemmProbe;

/**
 * {@code java -jar conv-bench.jar calibrate [--out FILE]}: measures the machine figures of the {@link
 * org.conv4j.spi.CostProfile} (GEMM rate, Java multiply-add rate, copy time per float) and writes them into
 * {@code FILE} (default {@value ProfileFile#DEFAULT_NAME}), keeping the models a {@code fit} wrote there. Run it
 * alone on the machine; pass the file with {@code -Dconv4j.costProfile=FILE}. About ten seconds.
 */
public final class Calibrate {

    /** Warm-up before each figure is timed, and the number of timed repetitions (the fastest counts). */
    private static final long WARM_UP_NANOS = 1_000_000_000L;
    private static final int REPS = 15;

    private Calibrate() {
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(ProfileFile.DEFAULT_NAME);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else {
                System.err.println("calibrate: unknown argument " + args[i] + "; usage: calibrate [--out FILE]");
                System.exit(2);
            }
        }
        Map<String, String> figures = measure();
        figures.forEach((k, v) -> System.out.println(k + "=" + v));
        Map<String, String> all = ProfileFile.read(out);
        all.putAll(figures);
        ProfileFile.write(out, all, "machine figures by conv-bench calibrate");
        System.out.println("written to " + out.toAbsolutePath() + "; use it with -D" + org.conv4j.api.Settings.COST_PROFILE
                + "=" + out.toAbsolutePath());
    }

    /** The machine figures, as profile lines. */
    static Map<String, String> measure() {
        Map<String, String> m = new TreeMap<>();
        m.put("machine.host", host());
        m.put("machine.measured", LocalDate.now().toString());
        m.put("machine.threads", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("machine.gemmMacsPerNs", format(gemmMacsPerNs()));
        m.put("machine.javaMacsPerNs", format(javaMacsPerNs()));
        m.put("machine.copyNsPerFloat", format(copyNsPerFloat()));
        return m;
    }

    /** The processor and whether it runs AVX-512, the distinction that changes the kernels most. */
    static String host() {
        CpuInfo cpu = CpuInfo.current();
        return (cpu.model().isEmpty() ? "unknown" : cpu.model()) + ", avx512f=" + cpu.flags().contains("avx512f");
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** A 2048^3 OpenBLAS sgemm on all cores: {@code n^3} multiply-adds over its fastest time. */
    static double gemmMacsPerNs() {
        SgemmProbe probe = new SgemmProbe(SgemmProbe.DEFAULT_SIZE, 1);
        double n = probe.size();
        return n * n * n / fastest(probe::run);
    }

    /** Floats per array of the Java loop: two arrays of 16 KiB stay in the first-level cache of any x86 core. */
    private static final int JAVA_LOOP_FLOATS = 4096;
    private static final int JAVA_LOOP_PASSES = 20_000;

    /**
     * {@code y[i] += a * x[i]} over arrays in cache, one thread per core, all started together: the rate of the
     * vectorised multiply-add loops the Java kernels are made of. C2 vectorises this loop to the widest vectors the
     * CPU has, so the figure moves with the instruction set as the Java kernels do.
     */
    static double javaMacsPerNs() {
        int threads = Runtime.getRuntime().availableProcessors();
        double macs = (double) threads * JAVA_LOOP_FLOATS * JAVA_LOOP_PASSES;
        float[][] xs = new float[threads][JAVA_LOOP_FLOATS];
        float[][] ys = new float[threads][JAVA_LOOP_FLOATS];
        for (float[] x : xs) {
            java.util.Arrays.fill(x, 1e-3f);
        }
        // One pool for every run: thread start-up is not the loop's speed.
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            return macs / fastest(() -> {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    float[] x = xs[t];
                    float[] y = ys[t];
                    done.add(pool.submit(() -> {
                        for (int p = 0; p < JAVA_LOOP_PASSES; p++) {
                            multiplyAdd(0.999f, x, y);
                        }
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    try {
                        f.get();
                    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
        } finally {
            pool.shutdown();
        }
    }

    private static void multiplyAdd(float a, float[] x, float[] y) {
        for (int i = 0; i < y.length; i++) {
            y[i] += a * x[i];
        }
    }

    /** Floats of the copy: 64 MiB, larger than any cache, already touched (fresh pages are slow in VMs). */
    private static final int COPY_FLOATS = 16 << 20;

    /** One thread copying an array larger than the caches: ns per float (read and written once). */
    static double copyNsPerFloat() {
        float[] from = new float[COPY_FLOATS];
        float[] to = new float[COPY_FLOATS];
        java.util.Arrays.fill(from, 1f);
        java.util.Arrays.fill(to, 2f);
        return fastest(() -> System.arraycopy(from, 0, to, 0, COPY_FLOATS)) / COPY_FLOATS;
    }

    /** The fastest of {@link #REPS} timed runs after at least {@link #WARM_UP_NANOS} of untimed ones. */
    static double fastest(Runnable work) {
        long end = System.nanoTime() + WARM_UP_NANOS;
        do {
            work.run();
        } while (System.nanoTime() < end);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < REPS; i++) {
            long t0 = System.nanoTime();
            work.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }
}
