package org.conv4j.bench;

import java.util.Objects;
import java.util.SplittableRandom;
import org.conv4j.api.ConvParams;
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
 */
public final class BenchShape {

    private final String name;
    private final String group;
    private final String description;
    private final int batch;
    private final int inChannels;
    private final int inH;
    private final int inW;
    private final int outChannels;
    private final int kernelH;
    private final int kernelW;
    private final ConvParams params;
    private volatile ConvShape geometry;

    BenchShape(String name, String group, String description, int batch, int inChannels, int inH, int inW,
               int outChannels, int kernelH, int kernelW, ConvParams params) {
        this.name = Objects.requireNonNull(name, "name");
        this.group = Objects.requireNonNull(group, "group");
        this.description = Objects.requireNonNull(description, "description");
        this.batch = batch;
        this.inChannels = inChannels;
        this.inH = inH;
        this.inW = inW;
        this.outChannels = outChannels;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.params = Objects.requireNonNull(params, "params");
    }

    /** The catalogue name, e.g. {@code resnet50-3x3-64-b8}. */
    public String name() {
        return name;
    }

    /** The family it belongs to, e.g. {@code resnet50}. */
    public String group() {
        return group;
    }

    /** What the shape is, in words people recognise, e.g. "ResNet-50 conv2_x 3x3, 64->64 at 56x56". */
    public String description() {
        return description;
    }

    public int batch() {
        return batch;
    }

    public int inChannels() {
        return inChannels;
    }

    public int inH() {
        return inH;
    }

    public int inW() {
        return inW;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernelH() {
        return kernelH;
    }

    public int kernelW() {
        return kernelW;
    }

    public ConvParams params() {
        return params;
    }

    /**
     * The validated geometry, from {@link ConvShape#forward} on zero tensors of this shape (computed once).
     *
     * @throws IllegalArgumentException if the shape is not a valid convolution (ConvShape's message)
     */
    public ConvShape geometry() {
        ConvShape g = geometry;
        if (g == null) {
            Tensor4D x = Tensor4D.zeros(batch, inChannels, inH, inW);
            Tensor4D w = Tensor4D.zeros(outChannels, Math.max(1, inChannels / params.groups()), kernelH, kernelW);
            g = ConvShape.forward(x, w, new float[outChannels], params);
            geometry = g;
        }
        return g;
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
    public long flops(Pass pass) {
        return pass == Pass.FORWARD ? forwardFlops() : backwardFlops();
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
