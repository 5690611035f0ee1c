package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SgemmProbe;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * The GEMM yardstick: a {@code size x size} float matrix product through ND4J's mmul (OpenBLAS sgemm),
 * {@code 2*size^3} FLOPs per call. At the default 2048: GFLOP/s = 17.18 / (ms per call). Convolution
 * GFLOP/s from {@link ConvBench} divided by this reads as a fraction of the machine's GEMM speed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SgemmBench {

    @Param({"2048"})
    public int size;

    private SgemmProbe probe;

    @Setup
    public void setup() {
        probe = new SgemmProbe(size, Problem.DEFAULT_SEED);
    }

    @Benchmark
    public INDArray sgemm() {
        return probe.run();
    }
}
