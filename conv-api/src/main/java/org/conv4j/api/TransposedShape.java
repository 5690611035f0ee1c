package org.conv4j.api;

import org.conv4j.internal.HeapCheck;


/**
 * The validated geometry of one transposed convolution (PyTorch's {@code conv_transpose2d}): the one place
 * that checks its arguments and computes its output size.
 *
 * <p>Shapes (NCHW):
 * <ul>
 *   <li>input {@code (N, Cin, H, W)};</li>
 *   <li>weight {@code (Cin, Cout/groups, kH, kW)}: input channel {@code ci} of group {@code g = ci / (Cin/groups)}
 *       spreads into output channels {@code g*Cout/groups ..};</li>
 *   <li>bias {@code float[Cout]} or null;</li>
 *   <li>output and gradOutput {@code (N, Cout, outH, outW)} with
 *       {@code outH = (H - 1)*sh - padTop - padBottom + dh*(kH - 1) + outputPaddingH + 1} (likewise the width).</li>
 * </ul>
 *
 * <p><b>Relation to the convolution.</b> Without output padding, a transposed convolution is the input gradient
 * of the convolution {@link #conv()} whose input is {@code (N, Cout, outH, outW)}, whose weight is this weight
 * read as {@code (K = Cin, Cout/groups, kH, kW)}, with the same stride, padding, dilation and groups, and whose
 * output is {@code (N, Cin, H, W)}:
 * <pre>
 *   y = dL/dx of conv for dL/dy = x        (forward)
 *   dL/dx = conv(dL/dy, w)                  (the convolution's forward pass)
 *   dL/dw = dL/dw of conv for input dL/dy, gradOutput x
 *   dL/db[co] = sum over n, oh, ow of dL/dy[n, co, oh, ow]
 * </pre>
 * With output padding the convolution's padding after is adjusted so that it still has exactly {@code H x W}
 * outputs, and trailing rows and columns that no input reaches are left out of its input
 * ({@link #reachedH()} x {@link #reachedW()}): they hold only the bias, and their gradient reaches only the bias.
 */
public final class TransposedShape extends Geometry {

    private final ConvParams params;
    private final ConvShape conv;
    private final int outH;
    private final int outW;

    private TransposedShape(ConvParams params, ConvShape conv, int outH, int outW) {
        super(true);
        this.params = params;
        this.conv = conv;
        this.outH = outH;
        this.outW = outW;
    }

    /**
     * Validates the arguments of a transposed forward pass.
     *
     * @param input the input {@code (N, Cin, H, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kH, kW)}
     * @param bias one value per output channel {@code Cout}, or null
     * @param params the parameters, output padding included
     * @return the validated geometry
     * @throws NullPointerException naming {@code input}, {@code weight} or {@code params} if one is null
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    public static TransposedShape forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        return Geometry.forward(TransposedShape::of, input, weight, bias, params);
    }

    /**
     * Validates the arguments of a transposed backward pass: {@code gradOutput} has the output's shape.
     *
     * @param input the input of the transposed forward pass
     * @param weight its weight
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @param params the parameters, output padding included
     * @return the validated geometry
     */
    public static TransposedShape backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return Geometry.backward(TransposedShape::of, input, weight, gradOutput, params);
    }

    private static TransposedShape of(Tensor4D input, Tensor4D weight, ConvParams params) {
        int groups = params.groups();
        checkOperands(params.paddingMode(), groups, input.c(), weight.n(), "(Cin, Cout/groups, kH, kW)",
                weight.shapeString());
        checkOutputPadding("outputPaddingH", params.outputPaddingH(), params.strideH(), params.dilationH());
        checkOutputPadding("outputPaddingW", params.outputPaddingW(), params.strideW(), params.dilationW());
        long outH = outputSize("height", input.h(), weight.h(), params.strideH(), params.padTop(), params.padBottom(),
                params.dilationH(), params.outputPaddingH());
        long outW = outputSize("width", input.w(), weight.w(), params.strideW(), params.padLeft(), params.padRight(),
                params.dilationW(), params.outputPaddingW());
        if (outH > Integer.MAX_VALUE || outW > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("output: expected at most " + Integer.MAX_VALUE
                    + " rows and columns, got " + outH + " x " + outW);
        }
        int outChannels = Math.multiplyExact(weight.c(), groups);
        Tensor4D.checkedSize("output", input.n(), outChannels, (int) outH, (int) outW);
        int[] rows = convAxis(params.padBottom(), params.outputPaddingH(), params.strideH());
        int[] cols = convAxis(params.padRight(), params.outputPaddingW(), params.strideW());
        ConvParams convParams = params.toBuilder().outputPadding(0)
                .padding(params.padTop(), rows[0], params.padLeft(), cols[0]).build();
        // more unreached rows than the output has (output padding beyond every window): none is reached
        ConvShape conv = ConvShape.of(convParams, input.n(), outChannels, Math.max(0, (int) outH - rows[1]),
                Math.max(0, (int) outW - cols[1]), weight, input.h(), input.w());
        return new TransposedShape(params, conv, (int) outH, (int) outW);
    }

    /**
     * Along one axis, the convolution whose input gradient the transposed convolution is: its padding after, and
     * how many trailing output rows no input reaches (left out of it). That convolution reads the transposed
     * output's first {@code out - unreached} rows with padding {@code padBefore} and {@code padAfter'}; it must
     * have exactly {@code in} outputs, which holds for every {@code padAfter'} in
     * {@code [padAfter - outputPadding, padAfter - outputPadding + stride - 1]}. The smallest non-negative one is
     * taken; if even the top of that range is negative (output padding at least the stride plus the padding
     * after, possible when the dilation exceeds the stride), the last {@code -top} rows are beyond every window:
     * no input reaches them, and they hold only the bias.
     *
     * @return {padAfter', unreached}
     */
    static int[] convAxis(int padAfter, int outputPadding, int stride) {
        int low = padAfter - outputPadding;
        int high = low + stride - 1;
        return high >= 0 ? new int[] {Math.max(low, 0), 0} : new int[] {0, -high};
    }

    /**
     * The checks of a transposed convolution's operands that do not depend on its rank: zero padding only, groups
     * dividing the input channels, and the weight's dimension 0 equal to them.
     *
     * @param weightLayout the weight's dimensions as the message names them, e.g. {@code (Cin, Cout/groups, kH, kW)}
     */
    static void checkOperands(PaddingMode mode, int groups, int inputChannels, int weightDim0, String weightLayout,
                              String weightShape) {
        if (mode != PaddingMode.ZEROS) {
            throw new IllegalArgumentException("paddingMode: expected ZEROS for a transposed convolution, got " + mode);
        }
        if (inputChannels % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of the input channels " + inputChannels
                    + ", got groups=" + groups);
        }
        if (weightDim0 != inputChannels) {
            throw new IllegalArgumentException("weight: expected dimension 0 equal to the input channels "
                    + inputChannels + " (weight " + weightLayout + "), got " + weightDim0 + " (weight shape "
                    + weightShape + ")");
        }
    }

    static void checkOutputPadding(String name, int value, int stride, int dilation) {
        if (value >= Math.max(stride, dilation)) {
            throw new IllegalArgumentException(name + ": expected less than the stride " + stride + " or the dilation "
                    + dilation + ", got " + value);
        }
    }

    /** {@code (in - 1)*stride - padBefore - padAfter + (kernel - 1)*dilation + outputPadding + 1}, at least 1. */
    static long outputSize(String axis, int in, int kernel, int stride, int padBefore, int padAfter,
                                   int dilation, int outputPadding) {
        long size = (in - 1L) * stride - padBefore - padAfter + (kernel - 1L) * dilation + outputPadding + 1;
        if (size < 1) {
            throw new IllegalArgumentException("padding: expected a transposed output " + axis + " of at least 1 (("
                    + in + " - 1)*" + stride + " - " + padBefore + " - " + padAfter + " + " + dilation + "*(" + kernel
                    + " - 1) + " + outputPadding + " + 1), got " + size);
        }
        return size;
    }

    /**
     * The convolution whose input gradient this transposed convolution is (see the class comment): input
     * {@code (N, Cout, reachedH, reachedW)}, this weight, output {@code (N, Cin, H, W)}.
     *
     * @return the convolution
     */
    public ConvShape conv() {
        return conv;
    }

    /**
     * The parameters as given, output padding included ({@link #conv()} has none).
     *
     * @return the parameters
     */
    public ConvParams params() {
        return params;
    }

    /**
     * N.
     *
     * @return N
     */
    public int batch() {
        return conv.batch();
    }

    /**
     * Cin.
     *
     * @return Cin
     */
    public int inChannels() {
        return conv.outChannels();
    }

    /** {@return H, the input height} */
    public int inH() {
        return conv.outH();
    }

    /** {@return W, the input width} */
    public int inW() {
        return conv.outW();
    }

    /**
     * Cout = weight dimension 1 times groups.
     *
     * @return Cout
     */
    public int outChannels() {
        return conv.inChannels();
    }

    /**
     * {@return the output height, {@code (H - 1)*strideH - padTop - padBottom + (kH - 1)*dilationH + 1 + outputPaddingH}}
     */
    public int outH() {
        return outH;
    }

    /**
     * {@return the output width, {@code (W - 1)*strideW - padLeft - padRight + (kW - 1)*dilationW + 1 + outputPaddingW}}
     */
    public int outW() {
        return outW;
    }

    /**
     * The leading output rows {@link #conv()} covers; the rows after them no input reaches.
     *
     * @return the reached rows
     */
    public int reachedH() {
        return conv.inH();
    }

    /**
     * The leading output columns {@link #conv()} covers.
     *
     * @return the reached columns
     */
    public int reachedW() {
        return conv.inW();
    }

    /**
     * True if no input reaches any output element ({@link #reachedH()} or {@link #reachedW()} is 0: the output is
     * all output padding, the bias alone); {@link #conv()} is then empty and must not be run.
     *
     * @return whether no output element is reached
     */
    public boolean reachesNothing() {
        return reachedH() == 0 || reachedW() == 0;
    }

    /**
     * True if some trailing output rows or columns lie outside {@link #conv()} (they hold only the bias).
     *
     * @return whether there is output padding
     */
    public boolean hasOutputPadding() {
        return outH != reachedH() || outW != reachedW();
    }

    /**
     * Multiply-adds of the forward pass, as many as the convolution's.
     *
     * @return the multiply-adds
     */
    public long macs() {
        return conv.macs();
    }

    /**
     * A new zero tensor of the output shape.
     *
     * @return the new tensor
     */
    public Tensor4D newOutput() {
        HeapCheck.ensureFits("output", batch(), outChannels(), outH, outW);
        return Tensor4D.zeros(batch(), outChannels(), outH, outW);
    }

    /**
     * Checks that {@code output} has the output shape, and returns it.
     *
     * @param output the tensor to check
     * @return {@code output}
     */
    public Tensor4D checkOutput(Tensor4D output) {
        return Shapes.requireShape("output", output, "", outputShape());
    }

    /** {@return the output's shape, {@code {N, Cout, outH, outW}}} */
    @Override
    int[] outputShape() {
        return new int[] {batch(), outChannels(), outH, outW};
    }

    /** E.g. {@code transposed input [1, 8, 7, 7] * weight [8, 4, 3, 3] -> [1, 4, 15, 15], ConvParams{...}}. */
    @Override
    public String toString() {
        return "transposed input " + Tensor4D.shapeString(batch(), inChannels(), inH(), inW())
                + " * weight " + Tensor4D.shapeString(inChannels(), outChannels() / conv.groups(), conv.kernelH(),
                conv.kernelW())
                + " -> " + Tensor4D.shapeString(batch(), outChannels(), outH, outW) + ", " + params();
    }
}
