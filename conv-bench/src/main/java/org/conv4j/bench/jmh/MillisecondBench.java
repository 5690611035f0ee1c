package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JMH settings of the benchmarks whose calls take milliseconds (a convolution, a network, a GEMM), which
 * JMH takes from this superclass: one state per benchmark, average time in ms, 1 fork with
 * {@code --enable-native-access=ALL-UNNAMED} (for OpenBLAS and oneDNN through the FFM API), 3 warm-up and 5 measured
 * iterations of 2 s each, sized for a 2-core machine. A subclass annotated with its own {@code @Warmup} or
 * {@code @Measurement} replaces that setting.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public abstract class MillisecondBench {
}
