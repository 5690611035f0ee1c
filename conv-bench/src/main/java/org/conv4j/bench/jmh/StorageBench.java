package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One forward pass of a backend (default {@code onednn}, or the facade as {@code conv2d}) into a preallocated
 * output, called as usual or through a prepared convolution ({@code mode}), with input and output in one storage and layout: {@code heap-nchw} (today's arrays), {@code native-nchw},
 * {@code native-nhwc}. Where a backend reads native operands in place the difference to {@code heap-nchw} is the
 * transfers it saves; where it does not, the price of the conversions at the edge.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class StorageBench {

    @Param({ShapeCatalog.RESNET50_3X3_64_B1, ShapeCatalog.RESNET50_3X3_64_B8, ShapeCatalog.RESNET50_1X1_256_64_B8})
    public String shape;

    @Param({"heap-nchw", "native-nchw", "native-nhwc"})
    public String storage;

    /** A backend's name, or {@code conv2d} for the facade. */
    @Param({"onednn"})
    public String backend;

    /** {@code call}: {@code forwardInto} on each call; {@code prepared}: a {@link PreparedConvolution}'s. */
    @Param({"call", "prepared"})
    public String mode;

    private PreparedConvolution prepared;

    private ConvBackend conv;
    private Tensor4D input;
    private Tensor4D weight;
    private float[] bias;
    private ConvParams params;
    private Tensor4D output;

    @Setup(Level.Trial)
    public void setup() {
        BenchShape s = ShapeCatalog.byName(shape);
        ConvShape g = s.geometry();
        Tensor4D x = s.input(42);
        weight = s.weight(42);
        bias = s.bias(42);
        params = g.params();
        conv = backend.equals("conv2d") ? Conv2d.selecting() : Conv2d.backend(backend);
        Tensor4D y = Tensor4D.zeros(g.batch(), g.outChannels(), g.outH(), g.outW());
        switch (storage) {
            case "heap-nchw" -> {
                input = x;
                output = y;
            }
            case "native-nchw" -> {
                input = x.toNative(MemoryLayout.NCHW);
                output = y.toNative(MemoryLayout.NCHW);
            }
            case "native-nhwc" -> {
                input = x.toNative(MemoryLayout.NHWC);
                output = y.toNative(MemoryLayout.NHWC);
            }
            default -> throw new IllegalArgumentException("storage: expected heap-nchw, native-nchw or native-nhwc, got "
                    + storage);
        }
        prepared = mode.equals("prepared") ? conv.prepareForward(g, weight, bias) : null;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (prepared != null) {
            prepared.close();
        }
        input.close();
        output.close();
    }

    /** One forward pass into the preallocated output. */
    @Benchmark
    public Tensor4D forward() {
        return prepared != null ? prepared.forwardInto(input, output) : conv.forwardInto(input, weight, bias, params, output);
    }
}
