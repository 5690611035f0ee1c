package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Pass;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One gradient alone against the whole backward pass, for one conv4j backend (not the facades or ND4J):
 * {@code inputGradient} ({@code dL/dx}), {@code weightGradient} ({@code dL/dw}) and {@code backward}
 * ({@code dL/dx}, {@code dL/dw}, {@code dL/db}), on the same data as {@link ConvBench}:
 * {@code GradientBench -p backend=onednn -p shape=resnet50-3x3-64-b8}. A backend without its own
 * single-gradient passes runs the whole backward pass and discards the rest.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GradientBench {

    /** A conv4j backend name ({@link Conv2d#backends()}). */
    @Param({"onednn"})
    public String backend;

    /** A shape name from {@link ShapeCatalog}. */
    @Param({ShapeCatalog.RESNET50_3X3_64_B8})
    public String shape;

    private ConvBackend b;
    private Problem p;

    @Setup
    public void setup() {
        BenchShape s = ShapeCatalog.byName(shape);
        b = Conv2d.backends().stream().filter(c -> c.name().equals(backend)).findFirst()
                .orElseThrow(() -> new SkippedCombination("SKIPPED: backend \"" + backend + "\" is not on the classpath"));
        p = Problem.of(s, Pass.BACKWARD, Problem.DEFAULT_SEED);
    }

    @Benchmark
    public ConvGradients backward() {
        return b.backward(p.input(), p.weight(), p.gradOutput(), p.shape().params());
    }

    @Benchmark
    public Tensor4D inputGradient() {
        return b.inputGradient(p.input(), p.weight(), p.gradOutput(), p.shape().params());
    }

    @Benchmark
    public Tensor4D weightGradient() {
        return b.weightGradient(p.input(), p.weight(), p.gradOutput(), p.shape().params());
    }
}
