package org.conv4j.bench.jmh;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.KernelLimit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The trial of a kernel-limit benchmark ({@link KernelLimitBench} in 2D, {@link KernelLimit3dBench} in 3D): the
 * {@link KernelLimit} a subclass makes for the pass of the benchmark method, made in {@code @Setup} (its kernels
 * printed once, {@code # kernel: ...}) and closed in {@code @TearDown}. {@code forward} is the
 * {@code forward_inference} primitive with bias; {@code backward} is backward-data then backward-weights with the
 * bias gradient; the measured method is {@code execute} and {@code wait}.
 */
public abstract class KernelLimitTrial extends MillisecondBench {

    private KernelLimit limit;

    /** {@return the kernel limit of {@code pass} for the subclass's parameters} */
    abstract KernelLimit create(ConvPass pass);

    @Setup
    public void setup(BenchmarkParams params) {
        setup(params.getBenchmark().endsWith(".backward"));
        System.out.println("# kernel: " + limit.implementation());
    }

    /** The set-up of {@link #forward} ({@code backward == false}) or {@link #backward}. */
    void setup(boolean backward) {
        limit = create(backward ? ConvPass.BACKWARD : ConvPass.FORWARD);
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
