package org.conv4j.bench.jmh;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Forward and backward pass of every contender (each conv4j backend and the ND4J peer) on the named
 * shapes of {@link ShapeCatalog}: {@code -p backend=im2col,nd4j -p shape=resnet50-3x3-64-b8}.
 * {@link BenchMain} fills {@code backend} with every backend on the classpath when it is not given, and
 * expands catalogue groups in {@code shape} (e.g. {@code -p shape=resnet50}).
 *
 * <p>Data comes from a fixed seed ({@link Problem#DEFAULT_SEED}) and every buffer is made in the trial
 * {@code @Setup}; the measured method is one pass. A combination the skip rule excludes
 * ({@link org.conv4j.bench.SkipRule}: naive on big passes; ND4J on layouts it cannot express), or a
 * backend not on the classpath, fails in {@code @Setup} with the reason, and JMH goes on with the next
 * combination (unless {@code -foe true}).
 *
 * <p>Defaults for a 2-core machine ({@link MillisecondBench}): 1 fork, 3 warm-up and 5 measured iterations of 2 s
 * each.
 */
public class ConvBench extends MillisecondBench {

    /** A contender name ({@link Contenders#availableNames()}). */
    @Param({"naive", "im2col", "strided", "fft", "onednn", "direct", "conv2d", "conv2d-autotune", "nd4j"})
    public String backend;

    /** A shape name from {@link ShapeCatalog}; the default is the headline pair. */
    @Param({ShapeCatalog.RESNET50_3X3_64_B8, ShapeCatalog.LARGE_31X31_B1})
    public String shape;

    private Contender.Run run;

    @Setup
    public void setup(BenchmarkParams params) {
        ConvPass pass = params.getBenchmark().endsWith(".backward") ? ConvPass.BACKWARD : ConvPass.FORWARD;
        BenchShape s = ShapeCatalog.byName(shape);
        Contender c = SkippedCombination.contender(backend);
        String skip = c.skipReason(s, pass);
        if (skip != null) {
            throw new SkippedCombination("SKIPPED " + backend + " " + pass.label() + " on " + shape + ": " + skip);
        }
        run = c.prepare(Problem.of(s, pass, Problem.DEFAULT_SEED), pass);
    }

    /**
     * One forward pass. The result lands in the contender's preallocated output (a conv4j tensor, or ND4J's
     * native buffer), which stays reachable from this state, so the work cannot be optimised away; copying
     * it out here would add time to the measurement.
     */
    @Benchmark
    public void forward(Blackhole bh) {
        run.run();
        bh.consume(run);
    }

    /** One backward pass (dL/dx, dL/dw, dL/db). */
    @Benchmark
    public ConvGradients backward() {
        run.run();
        return run.gradients();
    }
}
