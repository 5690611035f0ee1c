package org.conv4j.bench.memory;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.WorkspaceBudget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The stress run, in a child JVM started by {@link MemoryUnderLoadTest} with a small budget: for
 * {@code seconds}, rounds of a random number of threads (1 to 12), each round a random mix of calls over
 * several shapes, every backend and both passes. Each result is compared with the same backend's serial
 * result computed before the rounds; the budget's peak must stay within its total (every shape's smallest
 * piece fits in it), and after the rounds no grant is held and {@link Workspace#releaseIdle()} empties the
 * pools. Prints a summary line, then {@code PASS} or the failures.
 *
 * <p>Arguments: {@code seconds seed backend...}.
 */
public final class StressScenario {

    /** One layer: input and weight shapes, stride and padding. */
    private record Layer(int n, int c, int h, int w, int k, int kernel, int stride) {
        ConvParams params() {
            return ConvParams.builder().stride(stride).padding(kernel / 2).build();
        }

        int out(int size) {
            return (size + 2 * (kernel / 2) - kernel) / stride + 1;
        }
    }

    private static final List<Layer> LAYERS = List.of(
            new Layer(2, 16, 64, 64, 16, 3, 1),
            new Layer(1, 32, 96, 96, 8, 5, 1),
            new Layer(4, 8, 48, 48, 32, 3, 2),
            new Layer(1, 64, 56, 56, 64, 1, 1),
            new Layer(1, 16, 128, 128, 16, 7, 1));

    private StressScenario() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        long seed = Long.parseLong(args[1]);
        Map<String, ConvBackend> all = new TreeMap<>();
        for (ConvBackend b : ServiceLoader.load(ConvBackend.class)) {
            all.put(b.name(), b);
        }
        List<ConvBackend> backends = new ArrayList<>();
        for (int a = 2; a < args.length; a++) {
            if (all.containsKey(args[a])) {
                backends.add(all.get(args[a]));
            }
        }
        List<Task> tasks = new ArrayList<>();
        for (int l = 0; l < LAYERS.size(); l++) {
            Layer layer = LAYERS.get(l);
            Tensor4D x = Tensor4D.random(10 + l, layer.n, layer.c, layer.h, layer.w);
            Tensor4D w = Tensor4D.random(20 + l, layer.k, layer.c, layer.kernel, layer.kernel);
            float[] bias = Tensor4D.random(30 + l, 1, 1, 1, layer.k).data();
            Tensor4D dy = Tensor4D.random(40 + l, layer.n, layer.k, layer.out(layer.h), layer.out(layer.w));
            for (ConvBackend b : backends) {
                for (boolean backward : new boolean[] {false, true}) {
                    tasks.add(new Task(b, backward, x, w, bias, layer.params(), dy));
                }
            }
        }
        WorkspaceBudget budget = WorkspaceBudget.global();
        budget.resetPeak();
        Random random = new Random(seed);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        int rounds = 0;
        int calls = 0;
        double worst = 0;
        List<String> failures = new ArrayList<>();
        while (System.nanoTime() < end && failures.isEmpty()) {
            int threads = 1 + random.nextInt(12);
            int count = threads + random.nextInt(2 * threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<double[]>> results = new ArrayList<>();
                List<Task> picked = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    Task t = tasks.get(random.nextInt(tasks.size()));
                    picked.add(t);
                    results.add(pool.submit(() -> LoadScenario.compare(t.serial, t.call())));
                }
                for (int i = 0; i < count; i++) {
                    double d = results.get(i).get()[0];
                    worst = Math.max(worst, d);
                    if (d > LoadScenario.TOLERANCE) {
                        failures.add(picked.get(i) + ": differs from serial by " + d);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            rounds++;
            calls += count;
        }
        if (budget.peakBytes() > budget.totalBytes()) {
            failures.add("peak workspace " + budget.peakBytes() + " above the budget " + budget.totalBytes());
        }
        if (budget.grantedBytes() != 0 || budget.waiting() != 0) {
            failures.add("after the rounds: " + budget.grantedBytes() + " bytes granted, " + budget.waiting()
                    + " waiting");
        }
        Workspace.releaseIdle();
        if (budget.idleBytes() != 0) {
            failures.add("releaseIdle left " + budget.idleBytes() + " idle bytes");
        }
        System.out.printf("stress: %d rounds, %d calls over %d layers and %d backends, worst relative difference "
                        + "%.2e, peak workspace %d KiB of %d KiB%n", rounds, calls, LAYERS.size(), backends.size(),
                worst, budget.peakBytes() >> 10, budget.totalBytes() >> 10);
        System.out.println(failures.isEmpty() ? "PASS" : "FAIL " + failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** One kind of call, with its serial result. */
    private static final class Task {
        final ConvBackend backend;
        final boolean backward;
        final Tensor4D x;
        final Tensor4D w;
        final float[] bias;
        final ConvParams p;
        final Tensor4D dy;
        final float[][] serial;

        Task(ConvBackend backend, boolean backward, Tensor4D x, Tensor4D w, float[] bias, ConvParams p,
             Tensor4D dy) {
            this.backend = backend;
            this.backward = backward;
            this.x = x;
            this.w = w;
            this.bias = bias;
            this.p = p;
            this.dy = dy;
            this.serial = call();
        }

        float[][] call() {
            return LoadScenario.call(backend, backward, x, w, bias, p, dy);
        }

        @Override
        public String toString() {
            return backend.name() + (backward ? " backward " : " forward ") + x + " * " + w + ", " + p;
        }
    }
}
