package org.conv4j.api;

import java.util.Objects;

/**
 * The validated geometry of one 3D convolution: the one place that checks its arguments and computes its output
 * size (per axis with {@link ConvShape#outputSize}, the formula 2D uses), so that no 3D backend re-derives a size.
 *
 * <p>Shapes (NCDHW): input {@code (N, C, D, H, W)}, weight {@code (K, C/groups, kD, kH, kW)}, bias {@code float[K]}
 * or null, output and {@code dL/dy} {@code (N, K, outD, outH, outW)}. Each axis is a {@link ConvAxis}:
 * {@link #depth()}, {@link #rows()}, {@link #cols()}.
 */
public final class Conv3dShape extends Geometry {

    private final Conv3dParams params;
    private final int batch;
    private final int inChannels;
    private final int outChannels;
    private final ConvAxis depth;
    private final ConvAxis rows;
    private final ConvAxis cols;

    /**
     * The geometry of an input {@code (n, c, d, h, w)} convolved with {@code weight}, whose channels have been
     * checked against {@code c}: the sizes along each axis and the output's element count, checked here.
     */
    Conv3dShape(Conv3dParams params, int n, int c, int d, int h, int w, Tensor5D weight) {
        super(false);
        this.params = params;
        this.batch = n;
        this.inChannels = c;
        this.outChannels = weight.n();
        this.depth = axis("depth", d, weight.d(), params.strideD(), params.padFront(), params.padBack(),
                params.dilationD());
        this.rows = axis("height", h, weight.h(), params.strideH(), params.padTop(), params.padBottom(),
                params.dilationH());
        this.cols = axis("width", w, weight.w(), params.strideW(), params.padLeft(), params.padRight(),
                params.dilationW());
        Tensor5D.checkedSize("output", n, outChannels, depth.out(), rows.out(), cols.out());
    }

    /**
     * Validates the arguments of a forward pass.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param bias one value per filter, or null
     * @param params the parameters
     * @return the validated geometry
     * @throws NullPointerException naming {@code input}, {@code weight} or {@code params} if one is null
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    public static Conv3dShape forward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
        return Geometry.forward(Conv3dShape::of, input, weight, bias, params);
    }

    /**
     * Validates the arguments of a backward pass: {@code gradOutput} has the forward output's shape.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param gradOutput {@code dL/dy}
     * @param params the parameters
     * @return the validated geometry
     * @throws NullPointerException naming a null argument
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    public static Conv3dShape backward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
        return Geometry.backward(Conv3dShape::of, input, weight, gradOutput, params);
    }

    private static Conv3dShape of(Tensor5D input, Tensor5D weight, Conv3dParams params) {
        ConvShape.checkChannels(input.c(), weight.n(), weight.c(), params.groups(), weight.shapeString());
        if (params.hasOutputPadding()) {
            throw new IllegalArgumentException("outputPadding: expected 0x0x0 for a convolution (it applies to"
                    + " transposed ones), got " + params.outputPaddingD() + "x" + params.outputPaddingH() + "x"
                    + params.outputPaddingW());
        }
        checkPaddingMode(params, input);
        return new Conv3dShape(params, input.n(), input.c(), input.d(), input.h(), input.w(), weight);
    }

    /** The limits of the {@link PaddingMode} on each of the six sides, as {@link ConvShape} checks them in 2D. */
    private static void checkPaddingMode(Conv3dParams p, Tensor5D input) {
        PaddingMode mode = p.paddingMode();
        if (mode != PaddingMode.REFLECT && mode != PaddingMode.CIRCULAR) {
            return;
        }
        ConvShape.checkPad(mode, "padFront", p.padFront(), "depth", input.d());
        ConvShape.checkPad(mode, "padBack", p.padBack(), "depth", input.d());
        ConvShape.checkPad(mode, "padTop", p.padTop(), "height", input.h());
        ConvShape.checkPad(mode, "padBottom", p.padBottom(), "height", input.h());
        ConvShape.checkPad(mode, "padLeft", p.padLeft(), "width", input.w());
        ConvShape.checkPad(mode, "padRight", p.padRight(), "width", input.w());
    }

    private static ConvAxis axis(String name, int in, int kernel, int stride, int before, int after, int dilation) {
        int out = ConvShape.outputSize(name, in, kernel, stride, before, after, dilation);
        return new ConvAxis(in, kernel, stride, before, after, dilation, out);
    }

    /** {@return the output's shape, {@code {N, K, outD, outH, outW}}} */
    @Override
    int[] outputShape() {
        return new int[] {batch, outChannels, depth.out(), rows.out(), cols.out()};
    }

    /**
     * Checks that {@code output} has the output shape {@code (N, K, outD, outH, outW)}.
     *
     * @param output the tensor to check
     * @return {@code output}
     * @throws NullPointerException if {@code output} is null
     * @throws IllegalArgumentException if its shape differs
     */
    public Tensor5D checkOutput(Tensor5D output) {
        return Shapes.requireShape("output", output, "the forward output's ", outputShape());
    }

    /** {@return the parameters} */
    public Conv3dParams params() {
        return params;
    }

    /** {@return N} */
    public int batch() {
        return batch;
    }

    /** {@return C, the input channels} */
    public int inChannels() {
        return inChannels;
    }

    /** {@return K, the filters and output channels} */
    public int outChannels() {
        return outChannels;
    }

    /** {@return C / groups, the channels each filter reads} */
    public int inChannelsPerGroup() {
        return inChannels / params.groups();
    }

    /** {@return K / groups, the filters of each group} */
    public int outChannelsPerGroup() {
        return outChannels / params.groups();
    }

    /** {@return the geometry along the depth: D, kD, strideD, padFront, padBack, dilationD, outD} */
    public ConvAxis depth() {
        return depth;
    }

    /** {@return the geometry along the rows: H, kH, strideH, padTop, padBottom, dilationH, outH} */
    public ConvAxis rows() {
        return rows;
    }

    /** {@return the geometry along the columns: W, kW, strideW, padLeft, padRight, dilationW, outW} */
    public ConvAxis cols() {
        return cols;
    }

    /** {@return multiply-adds of the forward pass, {@code N*K*outD*outH*outW * C/groups*kD*kH*kW}} */
    public long macs() {
        return (long) batch * outChannels * depth.out() * rows.out() * cols.out() * inChannelsPerGroup()
                * depth.kernel() * rows.kernel() * cols.kernel();
    }

    /** {@return a new zero heap NCDHW tensor of the output shape} */
    public Tensor5D newOutput() {
        return Tensor5D.zeros(batch, outChannels, depth.out(), rows.out(), cols.out());
    }

    /** {@return a new zero heap NCDHW tensor of the input shape} */
    public Tensor5D newInput() {
        return Tensor5D.zeros(batch, inChannels, depth.in(), rows.in(), cols.in());
    }

    /** {@return a new zero heap NCDHW tensor of the weight shape} */
    public Tensor5D newWeight() {
        return Tensor5D.zeros(outChannels, inChannelsPerGroup(), depth.kernel(), rows.kernel(), cols.kernel());
    }

    /** Equal geometries: the same sizes along every axis, channels, batch and parameters. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Conv3dShape s && batch == s.batch && inChannels == s.inChannels
                && outChannels == s.outChannels && depth.equals(s.depth) && rows.equals(s.rows) && cols.equals(s.cols)
                && params.equals(s.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(params, batch, inChannels, outChannels, depth, rows, cols);
    }

    /** E.g. {@code input [1, 4, 8, 8, 8] * weight [8, 4, 3, 3, 3] -> [1, 8, 8, 8, 8], Conv3dParams{...}}. */
    @Override
    public String toString() {
        return "input " + Tensor5D.shapeString(batch, inChannels, depth.in(), rows.in(), cols.in())
                + " * weight " + Tensor5D.shapeString(outChannels, inChannelsPerGroup(), depth.kernel(),
                rows.kernel(), cols.kernel())
                + " -> " + Tensor5D.shapeString(batch, outChannels, depth.out(), rows.out(), cols.out()) + ", " + params;
    }
}
