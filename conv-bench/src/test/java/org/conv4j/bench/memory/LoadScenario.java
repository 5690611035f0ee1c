package org.conv4j.bench.memory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.bytedeco.javacpp.Pointer;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.WorkspaceBudget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The concurrent-load scenario, run in a child JVM by {@link MemoryUnderLoadTest}: for each backend named in
 * the arguments, pinned in turn, and each pass (forward, backward), {@code calls} calls on {@code threads}
 * threads of one layer whose workspace does not fit the per-call limit many times over, all on one shared
 * input. Every result is compared with a serial call's; the budget's peak (granted plus idle bytes) is
 * checked against its total, and so is the growth of the native memory JavaCPP counts, sampled during the calls. Prints one line per backend and pass, then {@code PASS} or the failures, and
 * exits with 0 only if all passed.
 *
 * <p>Arguments: {@code threads calls N C H W K kernel backend...}.
 */
public final class LoadScenario {

    /**
     * Largest difference allowed, relative to the largest magnitude of the serial result. A call the budget
     * splits into other pieces than the serial call sums a weight gradient in another order: over the 10^5 terms
     * per element of the full-size layer, float32 rounding differs by about sqrt(10^5) * 2^-24 = 2e-5 of the
     * magnitude (measured: 1.2e-5 on onednn's backward pass).
     */
    static final double TOLERANCE = 1e-4;

    private LoadScenario() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int calls = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int c = Integer.parseInt(args[3]);
        int h = Integer.parseInt(args[4]);
        int w = Integer.parseInt(args[5]);
        int k = Integer.parseInt(args[6]);
        int kernel = Integer.parseInt(args[7]);
        Map<String, ConvBackend> backends = new TreeMap<>();
        for (ConvBackend b : ServiceLoader.load(ConvBackend.class)) {
            backends.put(b.name(), b);
        }
        Tensor4D x = Tensor4D.random(1, n, c, h, w);
        Tensor4D weight = Tensor4D.random(2, k, c, kernel, kernel);
        float[] bias = new float[k];
        ConvParams p = ConvParams.builder().padding(kernel / 2).build();
        Tensor4D dy = Tensor4D.random(3, n, k, h, w);
        WorkspaceBudget budget = WorkspaceBudget.global();
        System.out.printf("budget %d MiB, per-call limit %d MiB, max heap %d MiB%n", budget.totalBytes() >> 20,
                Workspace.defaultLimitBytes() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        List<String> failures = new ArrayList<>();
        for (int a = 8; a < args.length; a++) {
            ConvBackend backend = backends.get(args[a]);
            if (backend == null) {
                failures.add(args[a] + ": not available");
                continue;
            }
            for (boolean backward : new boolean[] {false, true}) {
                String label = backend.name() + (backward ? " backward" : " forward");
                try {
                    String line = run(backend, backward, x, weight, bias, p, dy, threads, calls, budget);
                    System.out.println(label + ": " + line);
                } catch (Throwable e) {
                    failures.add(label + ": " + e);
                    e.printStackTrace(System.out);
                }
            }
        }
        System.out.println(failures.isEmpty() ? "PASS" : "FAIL " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    private static String run(ConvBackend b, boolean backward, Tensor4D x, Tensor4D w, float[] bias, ConvParams p,
                              Tensor4D dy, int threads, int calls, WorkspaceBudget budget) throws Exception {
        float[][] serial = call(b, backward, x, w, bias, p, dy);
        budget.resetPeak();
        long nativeBefore = Pointer.totalBytes();
        AtomicLong nativePeak = new AtomicLong(nativeBefore);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                nativePeak.accumulateAndGet(Pointer.totalBytes(), Math::max);
                LockSupport.parkNanos(200_000);
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        double worst = 0;
        int identical = 0;
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(pool.submit(() -> compare(serial, call(b, backward, x, w, bias, p, dy))));
            }
            for (Future<double[]> f : results) {
                double[] r = f.get();
                worst = Math.max(worst, r[0]);
                identical += (int) r[1];
            }
        } finally {
            pool.shutdownNow();
            sampler.interrupt();
            sampler.join();
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        long peak = budget.peakBytes();
        // JavaCPP's count of the native memory it allocated (the GEMM backends' workspaces, oneDNN's buffers): what
        // the concurrent calls added to what was held before them (idle pools included) stays within the budget.
        long nativeAdded = nativePeak.get() - nativeBefore;
        if (nativeAdded > budget.totalBytes()) {
            throw new AssertionError("native memory grew by " + nativeAdded + " bytes, above the budget "
                    + budget.totalBytes());
        }
        if (worst > TOLERANCE) {
            throw new AssertionError("results differ from the serial call's by " + worst + " (relative)");
        }
        if (peak > budget.totalBytes()) {
            throw new AssertionError("peak workspace " + peak + " bytes above the budget " + budget.totalBytes());
        }
        return String.format("%d calls on %d threads in %d ms, %d bit-identical to serial, worst relative "
                + "difference %.2e, peak workspace %d MiB of %d MiB, native memory +%d MiB (JavaCPP's count)", calls,
                threads, ms, identical, worst, peak >> 20, budget.totalBytes() >> 20, nativeAdded >> 20);
    }

    /** The tensors of one call: the output, or the three gradients. */
    static float[][] call(ConvBackend b, boolean backward, Tensor4D x, Tensor4D w, float[] bias,
                                  ConvParams p, Tensor4D dy) {
        if (!backward) {
            return new float[][] {b.forward(x, w, bias, p).data()};
        }
        ConvGradients g = b.backward(x, w, dy, p);
        return new float[][] {g.input().data(), g.weight().data(), g.bias()};
    }

    /** {@code [largest difference relative to each tensor's largest magnitude, 1 if all bit-identical]}. */
    static double[] compare(float[][] expected, float[][] actual) {
        double worst = 0;
        boolean same = true;
        for (int t = 0; t < expected.length; t++) {
            double scale = 0;
            for (float v : expected[t]) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected[t].length; i++) {
                float e = expected[t][i];
                float a = actual[t][i];
                same &= Float.floatToIntBits(e) == Float.floatToIntBits(a);
                worst = Math.max(worst, Math.abs(e - a) / Math.max(scale, Float.MIN_NORMAL));
            }
        }
        return new double[] {worst, same ? 1 : 0};
    }
}
