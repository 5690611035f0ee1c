package org.conv4j.bench.jmh;

import java.util.Locale;
import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor5D;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SkipRule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * 3D convolution through {@link Conv3d#on(ConvBackend)} on named C3D and 3D U-Net layers ({@link RankLayers}),
 * scaled so that the naive reference runs one call in under a second: {@code forward} is {@code forwardInto} a
 * preallocated output, {@code backward} returns new gradients, as the API does. Every operand is made in the
 * trial {@code @Setup}.
 *
 * <p>Parameters: {@code layer} (a 3D name from {@link RankLayers}), {@code backend} (default {@code naive} and
 * {@code im2col}, {@code fft}, {@code onednn}, the 3D backends; a name that is not a backend implementing
 * {@link Conv3dBackend} is skipped, and so is naive above {@link SkipRule#NAIVE_MAX_FLOPS} per pass, with
 * {@link SkippedCombination}) and {@code storage}, the storage and layout of the activations (input, output,
 * {@code dL/dy}; the weight stays heap NCDHW): {@code heap-ncdhw} (default), {@code native-ncdhw} or
 * {@code native-ndhwc}, which {@code onednn} reads and writes in place. Compare {@code onednn} on native tensors
 * with {@link KernelLimit3dBench} on the same layers, in one run:
 * <pre>
 * java -jar conv-bench/target/benchmarks.jar 'Rank3dBench|KernelLimit3dBench' -p backend=onednn \
 *     -p storage=native-ndhwc,native-ncdhw -p layout=any,nhwc -p layer=unet3d-16-8x32x32,unet3d-down-16to32
 * </pre>
 *
 * <p>Settings: 1 fork, 2 warm-up and 3 measured iterations of 2 s each (at least one call each).
 */
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class Rank3dBench extends MillisecondBench {

    /**
     * A 3D layer's name ({@link RankLayers}); {@code unet3d-16-16x32x32} (the first default at twice the depth, about
     * a second per naive call) is there to be chosen with {@code -p}.
     */
    @Param({"unet3d-16-8x32x32", "unet3d-down-16to32", "c3d-conv1-8x40x40", "large3d-k7-4-32x32x32",
        "large3d-k9-4-24x24x24"})
    public String layer;

    /** The name of a backend that runs 3D convolutions. */
    @Param({"naive", "im2col", "fft", "onednn"})
    public String backend;

    /** The activations' storage and layout: {@code heap-ncdhw}, {@code native-ncdhw} or {@code native-ndhwc}. */
    @Param({"heap-ncdhw"})
    public String storage;

    private Conv3d.OnBackend conv;
    private Tensor5D input;
    private Tensor5D weight;
    private float[] bias;
    private Conv3dParams params;
    private Tensor5D output;
    private Tensor5D gradOutput;

    /**
     * Makes the operands of the layer and checks that the backend runs it.
     *
     * @param bench JMH's description of the trial (the method name gives the pass)
     * @throws SkippedCombination if the combination is left out (the message says why)
     */
    @Setup
    public void setup(BenchmarkParams bench) {
        setup(bench.getBenchmark().endsWith(".backward") ? ConvPass.BACKWARD : ConvPass.FORWARD);
    }

    /** The set-up of {@code pass}'s benchmark ({@link #forward} or {@link #backward}). */
    void setup(ConvPass pass) {
        RankLayers.Layer3d l = RankLayers.layer3d(layer);
        ConvBackend b;
        try {
            b = Conv2d.backend(backend);
        } catch (IllegalArgumentException e) {
            throw new SkippedCombination("SKIPPED: \"" + backend + "\" is not a conv4j backend (" + e.getMessage()
                    + ")");
        }
        if (!(b instanceof Conv3dBackend)) {
            throw new SkippedCombination("SKIPPED: " + backend + " does not run 3D convolutions (3D backends: "
                    + Conv3d.backends().stream().map(ConvBackend::name).toList() + ")");
        }
        long seed = Problem.DEFAULT_SEED;
        input = l.input(seed);
        weight = l.weight(seed);
        params = l.params();
        Conv3dShape s = l.geometry(input, weight);
        long flops = 2 * s.macs() * (pass == ConvPass.FORWARD ? 1 : 2);
        if (b.isReference() && flops > SkipRule.NAIVE_MAX_FLOPS) {
            throw new SkippedCombination(String.format(Locale.ROOT, "SKIPPED %s %s on %s: naive is timed only up to"
                    + " %.1f GFLOP per pass; this one is %.1f GFLOP (SkipRule)", backend, pass.label(), layer,
                    SkipRule.NAIVE_MAX_FLOPS / 1e9, flops / 1e9));
        }
        conv = Conv3d.on(b);
        bias = new float[s.outChannels()];
        for (int k = 0; k < bias.length; k++) {
            bias[k] = 0.01f * (k % 7 - 3);
        }
        output = s.newOutput();
        gradOutput = Tensor5D.random(seed + 3, output.n(), output.c(), output.d(), output.h(), output.w());
        MemoryLayout layout = switch (storage) {
            case "heap-ncdhw" -> null;
            case "native-ncdhw" -> Tensor5D.NCDHW;
            case "native-ndhwc" -> Tensor5D.NDHWC;
            default -> throw new IllegalArgumentException("storage: expected heap-ncdhw, native-ncdhw or native-ndhwc,"
                    + " got \"" + storage + "\"");
        };
        if (layout != null) { // the same values, in native memory in that layout
            input = input.toNative(layout);
            output = output.toNative(layout);
            gradOutput = gradOutput.toNative(layout);
        }
    }

    /** Frees the native tensors of a {@code native-*} storage. */
    @TearDown
    public void tearDown() {
        for (Tensor5D t : new Tensor5D[] {input, output, gradOutput}) {
            if (t != null) {
                t.close();
            }
        }
    }

    /**
     * One forward pass into the preallocated output.
     *
     * @return the output
     */
    @Benchmark
    public Tensor5D forward() {
        return conv.forwardInto(input, weight, bias, params, output);
    }

    /**
     * One backward pass: {@code dL/dx}, {@code dL/dw} and {@code dL/db}.
     *
     * @return the gradients
     */
    @Benchmark
    public Conv3dGradients backward() {
        Conv3dGradients g = conv.backward(input, weight, gradOutput, params);
        if (g.input().isNative()) {
            g.input().close(); // a new native dL/dx per call (as the API returns it): freed now, not by the cleaner
        }
        return g;
    }
}
