package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.KernelLimit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The kernel limit ({@link KernelLimit}: oneDNN's convolution primitives alone, on native memory already in the
 * layouts they chose, weights laid out once, primitives made in {@code @Setup}) on one catalogue shape:
 * {@code KernelLimitBench -p shape=networks-b1 -p layout=any,nhwc} (a group expands to its shapes, see
 * {@link BenchMain}). {@code forward} is the {@code forward_inference} primitive with bias; {@code backward} is
 * backward-data then backward-weights with the bias gradient. The measured method is {@code execute} and
 * {@code wait}; the kernels oneDNN chose are printed once per trial ({@code # kernel: ...}). What a call
 * through conv4j can at best approach on this machine: compare with {@link ConvBench} on the same shapes in the
 * same run ({@code benchmarks.jar totals}, {@link NetworkTotals}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class KernelLimitBench {

    /** A shape name from {@link ShapeCatalog} (groups expand in {@link BenchMain}). */
    @Param({"resnet50-net-res2a-branch2b-b1", "mobilenet-dw-net-conv2-1-dw-b1"})
    public String shape;

    /** The activations' layout: {@code any} or {@code nhwc}. */
    @Param({"any"})
    public String layout;

    private KernelLimit limit;

    @Setup
    public void setup(BenchmarkParams params) {
        setup(params.getBenchmark().endsWith(".backward"));
        System.out.println("# kernel: " + limit.implementation());
    }

    /** The set-up of {@link #forward} ({@code backward == false}) or {@link #backward}. */
    void setup(boolean backward) {
        ConvPass pass = backward ? ConvPass.BACKWARD : ConvPass.FORWARD;
        limit = KernelLimit.create(Problem.of(ShapeCatalog.byName(shape), pass, Problem.DEFAULT_SEED), pass, layout);
    }

    /** The limit of the trial, for tests. */
    KernelLimit limit() {
        return limit;
    }

    /** One forward primitive call. */
    @Benchmark
    public void forward() {
        limit.run();
    }

    /** Backward-data, then backward-weights (with the bias gradient). */
    @Benchmark
    public void backward() {
        limit.run();
    }

    @TearDown
    public void tearDown() {
        limit.close();
    }
}
