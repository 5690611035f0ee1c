package org.conv4j.api;

import org.conv4j.spi.AbstractConvBackend;


/**
 * The validated geometry of one transposed 3D convolution, the 3D counterpart of {@link TransposedShape}, with the
 * same per-axis rules ({@link TransposedShape#outputSize}, {@link TransposedShape#convAxis},
 * {@link TransposedShape#checkOutputPadding}).
 *
 * <p>Shapes (NCDHW): input {@code (N, Cin, D, H, W)}, weight {@code (Cin, Cout/groups, kD, kH, kW)}, bias
 * {@code float[Cout]} or null, output and {@code dL/dy} {@code (N, Cout, outD, outH, outW)} with, per axis,
 * {@code out = (in - 1)*stride - padBefore - padAfter + (kernel - 1)*dilation + outputPadding + 1}.
 *
 * <p>The transposed convolution is the adjoint of a convolution ({@link #conv()}) whose input is the transposed
 * output's reached part {@code (N, Cout, reachedD, reachedH, reachedW)} and whose output has the transposed input's
 * shape, with the same weight read as {@code (K = Cin, Cout/groups, ...)}: the transposed forward pass is that
 * convolution's {@code dL/dx} for {@code dL/dy = x}; its {@code dL/dx} is that convolution's forward pass of
 * {@code dL/dy}'s reached part, and its {@code dL/dw} that convolution's {@code dL/dw} with input {@code dL/dy} and
 * {@code dL/dy} replaced by {@code x}. The trailing planes, rows and columns that no input reaches (output padding)
 * hold only the bias.
 */
final class Transposed3dShape extends Geometry {

    private final Conv3dParams params;
    private final int batch;
    private final int inChannels;
    private final int outChannels;
    /** D, H, W of the input. */
    private final int[] in;
    /** outD, outH, outW. */
    private final int[] out;
    /** The reached part of the output, per axis; 0 along some axis if nothing is reached. */
    private final int[] reached;
    /** The convolution, or null if nothing is reached. */
    private final Conv3dShape conv;

    private Transposed3dShape(Conv3dParams params, int batch, int inChannels, int outChannels, int[] in, int[] out,
                              int[] reached, Conv3dShape conv) {
        super(true);
        this.params = params;
        this.batch = batch;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.in = in;
        this.out = out;
        this.reached = reached;
        this.conv = conv;
    }

    static Transposed3dShape forward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
        return Geometry.forward(Transposed3dShape::of, input, weight, bias, params);
    }

    static Transposed3dShape backward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
        return Geometry.backward(Transposed3dShape::of, input, weight, gradOutput, params);
    }

    private static Transposed3dShape of(Tensor5D input, Tensor5D weight, Conv3dParams params) {
        int groups = params.groups();
        TransposedShape.checkOperands(params.paddingMode(), groups, input.c(), weight.n(),
                "(Cin, Cout/groups, kD, kH, kW)", weight.shapeString());
        String[] names = {"depth", "height", "width"};
        int[] inSize = {input.d(), input.h(), input.w()};
        int[] kernel = {weight.d(), weight.h(), weight.w()};
        int[] stride = {params.strideD(), params.strideH(), params.strideW()};
        int[] dilation = {params.dilationD(), params.dilationH(), params.dilationW()};
        int[] before = {params.padFront(), params.padTop(), params.padLeft()};
        int[] after = {params.padBack(), params.padBottom(), params.padRight()};
        int[] outputPadding = {params.outputPaddingD(), params.outputPaddingH(), params.outputPaddingW()};
        int[] out = new int[3];
        int[] reached = new int[3];
        int[] convAfter = new int[3];
        for (int a = 0; a < 3; a++) {
            TransposedShape.checkOutputPadding("outputPadding" + "DHW".charAt(a), outputPadding[a], stride[a],
                    dilation[a]);
            long size = TransposedShape.outputSize(names[a], inSize[a], kernel[a], stride[a], before[a], after[a],
                    dilation[a], outputPadding[a]);
            if (size > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("output: expected a " + names[a] + " of at most "
                        + Integer.MAX_VALUE + ", got " + size);
            }
            out[a] = (int) size;
            int[] axis = TransposedShape.convAxis(after[a], outputPadding[a], stride[a]);
            convAfter[a] = axis[0];
            reached[a] = Math.max(0, out[a] - axis[1]);
        }
        int outChannels = Math.multiplyExact(weight.c(), groups);
        Tensor5D.checkedSize("output", input.n(), outChannels, out[0], out[1], out[2]);
        Conv3dShape conv = null;
        if (reached[0] > 0 && reached[1] > 0 && reached[2] > 0) {
            Conv3dParams convParams = params.toBuilder().outputPadding(0)
                    .padding(before[0], convAfter[0], before[1], convAfter[1], before[2], convAfter[2]).build();
            conv = new Conv3dShape(convParams, input.n(), outChannels, reached[0], reached[1], reached[2], weight);
        }
        return new Transposed3dShape(params, input.n(), input.c(), outChannels, inSize, out, reached, conv);
    }

    /** {@return the convolution whose adjoint this is; null if {@link #reachesNothing()}} */
    Conv3dShape conv() {
        return conv;
    }

    /** {@return whether no input reaches any output element: the output is the bias alone} */
    boolean reachesNothing() {
        return conv == null;
    }

    /** {@return whether some trailing output planes, rows or columns lie outside {@link #conv()}} */
    boolean hasOutputPadding() {
        return out[0] != reached[0] || out[1] != reached[1] || out[2] != reached[2];
    }

    /** {@return a new zero heap NCDHW tensor of the output shape} */
    Tensor5D newOutput() {
        return Tensor5D.zeros(batch, outChannels, out[0], out[1], out[2]);
    }

    /** {@return a new zero heap NCDHW tensor of the reached part of the output} */
    Tensor5D newReached() {
        return Tensor5D.zeros(batch, outChannels, reached[0], reached[1], reached[2]);
    }

    /**
     * Checks that {@code output} has the output shape.
     *
     * @throws IllegalArgumentException naming {@code output} with the expected and the actual shape
     */
    Tensor5D checkOutput(Tensor5D output) {
        return Shapes.requireShape("output", output, "", outputShape());
    }

    /**
     * {@code core} (the reached part, heap NCDHW; null if nothing is reached) placed at the start of a tensor of the
     * output shape (itself without output padding), plus the bias on every element.
     */
    Tensor5D output(Tensor5D core, float[] bias) {
        Tensor5D y = hasOutputPadding() || core == null ? newOutput() : core;
        float[] to = y.data();
        if (core != null && y != core) {
            float[] from = core.data();
            int planes = batch * outChannels;
            for (int p = 0; p < planes; p++) {
                for (int z = 0; z < reached[0]; z++) {
                    for (int r = 0; r < reached[1]; r++) {
                        System.arraycopy(from, ((p * reached[0] + z) * reached[1] + r) * reached[2], to,
                                ((p * out[0] + z) * out[1] + r) * out[2], reached[2]);
                    }
                }
            }
        }
        if (bias != null) {
            int volume = out[0] * out[1] * out[2];
            for (int p = 0; p < batch * outChannels; p++) {
                float b = bias[p % outChannels];
                for (int e = p * volume; e < (p + 1) * volume; e++) {
                    to[e] += b;
                }
            }
        }
        return y;
    }

    /** The reached part of {@code gradOutput} (heap NCDHW): itself without output padding, else a cropped copy. */
    Tensor5D reached(Tensor5D gradOutput) {
        if (!hasOutputPadding()) {
            return gradOutput;
        }
        Tensor5D r = newReached();
        float[] from = gradOutput.data();
        float[] to = r.data();
        for (int p = 0; p < batch * outChannels; p++) {
            for (int z = 0; z < reached[0]; z++) {
                for (int row = 0; row < reached[1]; row++) {
                    System.arraycopy(from, ((p * out[0] + z) * out[1] + row) * out[2], to,
                            ((p * reached[0] + z) * reached[1] + row) * reached[2], reached[2]);
                }
            }
        }
        return r;
    }

    /** {@return {@code dL/db}: the sum of {@code dL/dy} (heap NCDHW, the output's shape) per output channel} */
    float[] biasGradient(Tensor5D gradOutput) {
        return AbstractConvBackend.channelSums(gradOutput.data(), batch, outChannels, out[0] * out[1] * out[2]);
    }

    /** {@return the output's shape, {@code {N, Cout, outD, outH, outW}}} */
    @Override
    int[] outputShape() {
        return new int[] {batch, outChannels, out[0], out[1], out[2]};
    }

    /** E.g. {@code transposed input [1, 8, 4, 7, 7] -> [1, 4, 9, 15, 15], Conv3dParams{...}}. */
    @Override
    public String toString() {
        return "transposed input " + Tensor5D.shapeString(batch, inChannels, in[0], in[1], in[2]) + " -> "
                + Shapes.text(outputShape()) + ", " + params;
    }
}
