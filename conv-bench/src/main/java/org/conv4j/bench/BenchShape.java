package org.conv4j.bench;

import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

/**
 * One named convolution of the benchmark suite: input {@code (batch, inChannels, inH, inW)}, weight
 * {@code (outChannels, inChannels/groups, kernelH, kernelW)} in OIHW order, a bias of length
 * {@code outChannels}, and the {@link ConvParams}. Sizes of the output (and so the FLOP count) come from
 * {@link ConvShape}, the project's one output-size formula; {@link #geometry()} validates the shape.
 *
 * <p>Data is reproducible: {@link #input}, {@link #weight}, {@link #bias} and {@link #gradOutput} are
 * uniform in {@code [-1, 1)} from a seed, so every run of every tool convolves the same numbers.
 *
 * @param name        the catalogue name, e.g. {@code resnet50-3x3-64-b8}
 * @param group       the family it belongs to, e.g. {@code resnet50}
 * @param description what the shape is, in words people recognise, e.g. "ResNet-50 conv2_x 3x3, 64->64 at 56x56"
 */
public record BenchShape(String name, String group, String description, int batch, int inChannels, int inH, int inW,
                         int outChannels, int kernelH, int kernelW, ConvParams params) {

    /** Each shape's validated geometry, computed once (it allocates zero tensors of the shape). */
    private static final Map<BenchShape, ConvShape> GEOMETRY = new ConcurrentHashMap<>();

    public BenchShape {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(params, "params");
    }

    /**
     * The validated geometry, from {@link ConvShape#forward} on zero tensors of this shape (computed once).
     *
     * @throws IllegalArgumentException if the shape is not a valid convolution (ConvShape's message)
     */
    public ConvShape geometry() {
        return GEOMETRY.computeIfAbsent(this, b -> ConvShape.forward(Tensor4D.zeros(batch, inChannels, inH, inW),
                Tensor4D.zeros(outChannels, Math.max(1, inChannels / params.groups()), kernelH, kernelW),
                new float[outChannels], params));
    }

    /** Floating-point operations of one forward pass: {@code 2 * N*K*outH*outW*(C/groups)*kH*kW}. */
    public long forwardFlops() {
        return geometry().flops();
    }

    /**
     * Floating-point operations of one backward pass, counted as {@code 2 * forwardFlops()}: dL/dx and
     * dL/dw each take exactly the forward pass's multiply-adds; dL/db ({@code N*K*outH*outW} adds) is
     * negligible and not counted.
     */
    public long backwardFlops() {
        return 2 * forwardFlops();
    }

    /** FLOPs of the given pass. */
    public long flops(ConvPass pass) {
        return pass == ConvPass.FORWARD ? forwardFlops() : backwardFlops();
    }

    /** The input, uniform in {@code [-1, 1)} from {@code seed}. */
    public Tensor4D input(long seed) {
        return Tensor4D.random(seed, batch, inChannels, inH, inW);
    }

    /** The OIHW weight, uniform in {@code [-1, 1)} from {@code seed + 1}. */
    public Tensor4D weight(long seed) {
        return Tensor4D.random(seed + 1, outChannels, inChannels / params.groups(), kernelH, kernelW);
    }

    /** The bias, uniform in {@code [-1, 1)} from {@code seed + 2}. */
    public float[] bias(long seed) {
        SplittableRandom r = new SplittableRandom(seed + 2);
        float[] b = new float[outChannels];
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) (r.nextDouble() * 2.0 - 1.0);
        }
        return b;
    }

    /** A dL/dy of the output's shape, uniform in {@code [-1, 1)} from {@code seed + 3}. */
    public Tensor4D gradOutput(long seed) {
        ConvShape g = geometry();
        return Tensor4D.random(seed + 3, g.batch(), g.outChannels(), g.outH(), g.outW());
    }

    /** E.g. {@code 8x64x56x56 * 64x64x3x3 s1 p1}: a compact description for tables. */
    public String summary() {
        StringBuilder sb = new StringBuilder()
                .append(batch).append('x').append(inChannels).append('x').append(inH).append('x').append(inW)
                .append(" * ").append(outChannels).append('x').append(inChannels / params.groups())
                .append('x').append(kernelH).append('x').append(kernelW);
        if (params.isStrided()) {
            sb.append(" s").append(params.strideH() == params.strideW()
                    ? String.valueOf(params.strideH()) : params.strideH() + "x" + params.strideW());
        }
        if (params.isPadded()) {
            boolean symmetric = params.padTop() == params.padBottom() && params.padLeft() == params.padRight()
                    && params.padTop() == params.padLeft();
            sb.append(" p").append(symmetric ? String.valueOf(params.padTop())
                    : params.padTop() + "," + params.padBottom() + "," + params.padLeft() + "," + params.padRight());
        }
        if (params.isDilated()) {
            sb.append(" d").append(params.dilationH());
        }
        if (params.isGrouped()) {
            sb.append(" g").append(params.groups());
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + " (" + summary() + ")";
    }
}
