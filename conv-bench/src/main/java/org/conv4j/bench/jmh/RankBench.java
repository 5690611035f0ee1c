package org.conv4j.bench.jmh;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor3D;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SkipRule;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 1D convolution through a 2D backend against the same problem posed as a 2D call, on named 1D layers
 * ({@link RankLayers}): with {@code rank=1d} the measured call is {@link Conv1d#on(ConvBackend)}'s
 * {@code forwardInto} or {@code backward} on {@link Tensor3D}s; with {@code rank=2d} it is the backend's own
 * {@code forwardInto} or {@code backward} on the {@link Tensor4D}s of height 1 that those {@code Tensor3D}s are
 * views of, with {@link Conv1dParams#toConvParams()}. Both ranks convolve the same memory; the ratio
 * {@code 1d / 2d} of one layer, backend and pass is what the 1D path costs on top of the 2D call (1 when the
 * view adds nothing).
 *
 * <p>Parameters: {@code layer} (a name from {@link RankLayers}), {@code backend} (a conv4j backend, or
 * {@code conv2d} for the facade's own choice), {@code rank} ({@code 1d}, {@code 2d}) and {@code pass}
 * ({@code forward}, {@code backward}). Every operand, the forward output and the parameters are made in the trial
 * {@code @Setup}; forward writes into the preallocated output, backward returns new gradients, as the API does. A
 * name that is not a conv4j backend, a backend whose {@link ConvBackend#supports} declines the layer, or naive
 * above {@link SkipRule#NAIVE_MAX_FLOPS} is skipped in {@code @Setup} ({@link SkippedCombination}).
 *
 * <p>Settings for a whole default run (4 layers, 5 backends, 2 ranks, 2 passes: 80 trials) in about ten minutes on
 * a 2-core machine: 1 fork, 2 warm-up and 3 measured iterations of 1 s each; raise them with {@code -wi}, {@code -i},
 * {@code -w}, {@code -r} for fewer layers.
 */
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class RankBench extends MillisecondBench {

    /** A 1D layer's name ({@link RankLayers}); the default is one of each kind and both ends of a WaveNet stack. */
    @Param({"wavenet-d1", "wavenet-d512", "textcnn-k5", "tcn-k3-d4"})
    public String layer;

    /** A conv4j backend's name, or {@code conv2d} for the facade ({@link Conv2d#selecting()}). */
    @Param({"im2col", "direct", "onednn", "strided", "fft"})
    public String backend;

    /** {@code 1d}: through {@link Conv1d#on(ConvBackend)}; {@code 2d}: the backend's call on the height-1 views. */
    @Param({"1d", "2d"})
    public String rank;

    /** {@code forward} ({@code forwardInto} a preallocated output) or {@code backward}. */
    @Param({"forward", "backward"})
    public String pass;

    /** The measured call, chosen in {@code @Setup}: one per trial, so the call site stays monomorphic. */
    private Call call;

    /** One measured call; its result is returned to JMH, which consumes it. */
    @FunctionalInterface
    private interface Call {
        Object run();
    }

    /**
     * Makes the operands of the layer, checks that the combination runs, and chooses the measured call.
     *
     * @throws SkippedCombination if the combination is left out (the message says why)
     */
    @Setup
    public void setup() {
        RankLayers.Layer1d l = RankLayers.layer1d(layer);
        BenchShape s = l.shape();
        ConvPass p = MeasuredPasses.parse(pass);
        ConvBackend b = backend(backend);
        ConvShape geometry = s.geometry();
        if (!b.supports(geometry, p)) {
            throw new SkippedCombination("SKIPPED " + backend + " " + p.label() + " on " + layer + ": the backend does"
                    + " not support this shape (" + s.summary() + ")");
        }
        String skip = SkipRule.skipReason(backend, s, p);
        if (skip != null) {
            throw new SkippedCombination("SKIPPED " + backend + " " + p.label() + " on " + layer + ": " + skip);
        }
        long seed = Problem.DEFAULT_SEED;
        Tensor4D x = s.input(seed);
        Tensor4D w = s.weight(seed);
        float[] bias = s.bias(seed);
        Tensor4D dy = s.gradOutput(seed);
        Tensor4D y = Tensor4D.zeros(geometry.batch(), geometry.outChannels(), geometry.outH(), geometry.outW());
        ConvParams p2 = s.params();
        Conv1dParams p1 = l.params();
        switch (rank) {
            case "1d" -> {
                Conv1d.OnBackend oneD = Conv1d.on(b);
                Tensor3D x1 = Tensor3D.view(x);
                Tensor3D w1 = Tensor3D.view(w);
                Tensor3D dy1 = Tensor3D.view(dy);
                Tensor3D y1 = Tensor3D.view(y);
                call = p == ConvPass.FORWARD
                        ? () -> oneD.forwardInto(x1, w1, bias, p1, y1)
                        : () -> oneD.backward(x1, w1, dy1, p1);
            }
            case "2d" -> call = p == ConvPass.FORWARD
                    ? () -> b.forwardInto(x, w, bias, p2, y)
                    : () -> b.backward(x, w, dy, p2);
            default -> throw new IllegalArgumentException("rank: expected 1d or 2d, got \"" + rank + "\"");
        }
    }

    /**
     * One forward or backward pass of the layer at the chosen rank.
     *
     * @return the forward output or the gradients
     */
    @Benchmark
    public Object call() {
        return call.run();
    }

    /** The backend called {@code name} ({@code conv2d}: the facade), or a skip if there is none. */
    private static ConvBackend backend(String name) {
        if (name.equals("conv2d")) {
            return Conv2d.selecting();
        }
        try {
            return Conv2d.backend(name);
        } catch (IllegalArgumentException e) {
            throw new SkippedCombination("SKIPPED: \"" + name + "\" is not a conv4j backend (" + e.getMessage() + ")");
        }
    }
}
