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
 * The JMH settings of the benchmarks that time memory copies ({@link LayoutBench}, {@link MemoryBandwidthBench}),
 * which JMH takes from this superclass: one state per thread, average time in µs, 1 fork with a fixed 2 GB heap
 * touched at start-up ({@code -Xms2g -Xmx2g -XX:+AlwaysPreTouch}, so that neither heap growth nor first-touch page
 * faults land in a copy), 3 warm-up and 5 measured iterations of 1 s each.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class MemoryCopyBench {
}
