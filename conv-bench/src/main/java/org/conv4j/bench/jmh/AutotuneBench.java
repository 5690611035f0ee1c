package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of autotune mode's first call on a new key: every iteration forgets the decisions
 * ({@link Conv2d#clearAutotune()}) and times one call of {@link Conv2d#autotuning()}, which times each
 * eligible backend once. Compare with the sum of those backends' {@link ConvBench} times in the same run:
 * the difference is what deciding costs beyond running each candidate once. Warm-up iterations leave every backend warm, as in a service after
 * its first layers.
 *
 * <pre>{@code java -jar conv-bench/target/benchmarks.jar 'AutotuneBench|ConvBench' -p shape=resnet50-3x3-64-b8}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 10)
@Measurement(iterations = 20)
public class AutotuneBench {

    /** A shape name from {@link ShapeCatalog}. */
    @Param({ShapeCatalog.RESNET50_3X3_64_B8})
    public String shape;

    private final ConvBackend autotuning = Conv2d.autotuning();
    private Problem forward;
    private Problem backward;

    @Setup
    public void setup() {
        BenchShape s = ShapeCatalog.byName(shape);
        forward = Problem.of(s, ConvPass.FORWARD, Problem.DEFAULT_SEED);
        backward = Problem.of(s, ConvPass.BACKWARD, Problem.DEFAULT_SEED);
    }

    /** Every iteration starts with no decision, so its one call is a first call. */
    @Setup(Level.Iteration)
    public void forget() {
        Conv2d.clearAutotune();
    }

    /** One first forward call: each eligible backend once. */
    @Benchmark
    public Object firstForward() {
        Problem p = forward;
        return autotuning.forward(p.input(), p.weight(), p.bias(), p.shape().params());
    }

    /** One first backward call: each eligible backend once. */
    @Benchmark
    public Object firstBackward() {
        Problem p = backward;
        return autotuning.backward(p.input(), p.weight(), p.gradOutput(), p.shape().params());
    }
}
