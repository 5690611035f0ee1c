package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
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
 * One backend's single gradients against its whole backward pass on one shape, in the same run:
 * {@code backward} ({@code dL/dx}, {@code dL/dw}, {@code dL/db}), {@code inputGradient} ({@code dL/dx} alone,
 * what a layer whose weights are frozen needs) and {@code weightGradient} ({@code dL/dw} alone, what the first
 * layer of a network needs). Every call returns new tensors, as the backend's API does:
 * {@code -p backend=im2col,strided -p shape=resnet50-3x3-64-b8}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GradientBench {

    /** A backend name ({@link Conv2d#backend}). */
    @Param({"im2col", "strided"})
    public String backend;

    /** A shape name from {@link ShapeCatalog}. */
    @Param({ShapeCatalog.RESNET50_3X3_64_B8})
    public String shape;

    private ConvBackend b;
    private Tensor4D x;
    private Tensor4D w;
    private Tensor4D dy;
    private ConvParams p;

    @Setup
    public void setup() {
        BenchShape s = ShapeCatalog.byName(shape);
        b = Conv2d.backend(backend);
        x = s.input(Problem.DEFAULT_SEED);
        w = s.weight(Problem.DEFAULT_SEED);
        dy = s.gradOutput(Problem.DEFAULT_SEED);
        p = s.params();
    }

    @Benchmark
    public ConvGradients backward() {
        return b.backward(x, w, dy, p);
    }

    @Benchmark
    public Tensor4D inputGradient() {
        return b.inputGradient(x, w, dy, p);
    }

    @Benchmark
    public Tensor4D weightGradient() {
        return b.weightGradient(x, w, dy, p);
    }
}
