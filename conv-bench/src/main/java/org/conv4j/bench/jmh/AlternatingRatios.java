package org.conv4j.bench.jmh;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Network;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;

/**
 * Ratios of contenders to the first one on every layer of a network, timed in alternation:
 * {@code benchmarks.jar ratios NETWORK CONTENDER,CONTENDER,... [forward|backward] [rounds]}, e.g.
 * {@code ratios mobilenet-net-b1 onednn-limit,conv2d-prepared-native-nhwc,conv2d}, or for the backward pass (dL/dx,
 * dL/dw and dL/db) {@code ratios resnet50-net-b8 onednn-limit,conv2d-prepared-native-nhwc,conv2d-native-nhwc backward}.
 *
 * <p>Why not separate JMH forks: on a shared VM the machine's speed drifts by tens of percent over the minutes
 * between forks, which swamps a ratio of 1.1. Here every layer's contenders are prepared once
 * ({@link Contender#prepare}), warmed up ({@link #WARM_UP_NANOS}), then timed in turn, round after round (each
 * time the mean of {@value #CALLS} calls), so a drift hits all of them alike; each contender's time for a layer is
 * its best round. A layer's cases are closed before the next layer's are prepared ({@link Contender.Run#close}), so
 * that a network at batch 8 does not hold every layer's native buffers at once. Network totals weight each layer by
 * its occurrence count. Prints one line per layer and the totals.
 */
final class AlternatingRatios {

    /** Calls per timed round of one contender. */
    static final int CALLS = 3;

    /**
     * Warm-up per contender and layer: at least {@value #CALLS} calls and this long. A program that runs a network
     * calls the same Java code thousands of times, so the JIT has compiled it; a few calls would time the facade's
     * interpreted code (tens of microseconds a call more on small layers, none of it the kernel's).
     */
    static final long WARM_UP_NANOS = 200_000_000L;

    private AlternatingRatios() {
    }

    static void main(String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException("arguments: expected NETWORK CONTENDERS [forward|backward] [rounds], got "
                    + Arrays.toString(args));
        }
        Network net = ShapeCatalog.network(args[0]);
        List<Contender> contenders = new ArrayList<>();
        for (String name : args[1].split(",")) {
            contenders.add(Contenders.byName(name.trim()));
        }
        ConvPass pass = args.length > 2 ? MeasuredPasses.parse(args[2]) : ConvPass.FORWARD;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        run(net, contenders, pass, rounds, System.out);
    }

    /**
     * Times {@code contenders} on every layer of {@code net} in alternation, {@code rounds} rounds, and prints one
     * line per layer and the totals to {@code out}.
     */
    static void run(Network net, List<Contender> contenders, ConvPass pass, int rounds, PrintStream out) {
        int k = contenders.size();
        double[] totals = new double[k];
        boolean[] complete = new boolean[k];
        Arrays.fill(complete, true);
        for (Network.Layer layer : net.layers()) {
            Problem problem = Problem.of(layer.shape(), pass, Problem.DEFAULT_SEED);
            Contender.Run[] runs = new Contender.Run[k];
            for (int i = 0; i < k; i++) {
                Contender c = contenders.get(i);
                runs[i] = c.skipReason(layer.shape(), pass) == null ? c.prepare(problem, pass) : null;
                complete[i] &= runs[i] != null;
            }
            long[] best = new long[k];
            Arrays.fill(best, Long.MAX_VALUE);
            for (int i = 0; i < k; i++) {
                long start = System.nanoTime();
                for (int w = 0; runs[i] != null && (w < CALLS || System.nanoTime() - start < WARM_UP_NANOS); w++) {
                    runs[i].run();
                }
            }
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < k; i++) {
                    if (runs[i] == null) {
                        continue;
                    }
                    long t0 = System.nanoTime();
                    for (int c = 0; c < CALLS; c++) {
                        runs[i].run();
                    }
                    best[i] = Math.min(best[i], (System.nanoTime() - t0) / CALLS);
                }
            }
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-40s x%-3d", layer.shape().name(),
                    layer.count()));
            for (int i = 0; i < k; i++) {
                if (runs[i] == null) {
                    line.append(String.format(Locale.ROOT, " %10s %-8s", "skipped", ""));
                    continue;
                }
                totals[i] += best[i] / 1e6 * layer.count();
                line.append(String.format(Locale.ROOT, " %10.3f", best[i] / 1e6));
                line.append(i == 0 || runs[0] == null ? String.format(Locale.ROOT, " %-8s", "ms")
                        : String.format(Locale.ROOT, " (%.2fx) ", (double) best[i] / best[0]));
            }
            out.println(line);
            for (Contender.Run run : runs) {
                if (run != null) {
                    run.close();
                }
            }
        }
        out.printf(Locale.ROOT, "%s %s, total ms (ratio to %s):%n", net.name(), pass.name().toLowerCase(Locale.ROOT),
                contenders.get(0).name());
        for (int i = 0; i < k; i++) {
            out.printf(Locale.ROOT, "  %-32s %10.2f  %5.2fx%s%n", contenders.get(i).name(), totals[i],
                    totals[i] / totals[0], complete[i] ? "" : "  (skipped some layers)");
        }
    }
}
