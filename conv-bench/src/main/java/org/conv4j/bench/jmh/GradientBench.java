package org.conv4j.bench.jmh;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * A conv4j backend's single gradients next to its whole backward pass, in the same run and with
 * {@link ConvBench}'s settings and parameters: {@code backward} ({@code dL/dx}, {@code dL/dw}, {@code dL/db}),
 * {@code inputGradient} ({@code dL/dx} alone, what a frozen layer needs) and {@code weightGradient}
 * ({@code dL/dw} alone, what the first layer of a network needs), each returning new tensors as the backend's
 * API does: {@code GradientBench -p backend=im2col,strided -p shape=resnet50-3x3-64-b8}. Contenders that are not
 * a conv4j backend (the facade, ND4J) are skipped for the single gradients.
 */
public class GradientBench extends ConvBench {

    private ConvBackend single;
    private Tensor4D x;
    private Tensor4D w;
    private Tensor4D dy;
    private ConvParams p;

    @Setup
    public void setupSingle() {
        BenchShape s = ShapeCatalog.byName(shape);
        try {
            single = Conv2d.backend(backend);
        } catch (IllegalArgumentException e) {
            throw new SkippedCombination("SKIPPED: \"" + backend + "\" is not a conv4j backend (" + e.getMessage() + ")");
        }
        x = s.input(Problem.DEFAULT_SEED);
        w = s.weight(Problem.DEFAULT_SEED);
        dy = s.gradOutput(Problem.DEFAULT_SEED);
        p = s.params();
    }

    @Benchmark
    public Tensor4D inputGradient() {
        return single.inputGradient(x, w, dy, p);
    }

    @Benchmark
    public Tensor4D weightGradient() {
        return single.weightGradient(x, w, dy, p);
    }
}
