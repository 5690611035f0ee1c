package org.conv4j.api;

import org.conv4j.internal.Access;
import org.conv4j.internal.HeapCheck;
import org.conv4j.internal.ModePadding;


/**
 * The validated geometry of one convolution: the one place that checks that input, weight, bias,
 * gradient and parameters fit together, and that computes the output size. Backends take every size
 * from here and never re-derive them.
 *
 * <p>Shapes (all NCHW / OIHW, see {@link Tensor4D}):
 * <ul>
 *   <li>input {@code (N, C, H, W)}</li>
 *   <li>weight {@code (K, C/groups, kH, kW)}; filter {@code k} belongs to group {@code k / (K/groups)} and
 *       reads input channels {@code g*C/groups .. (g+1)*C/groups - 1}</li>
 *   <li>bias {@code float[K]} or null</li>
 *   <li>output and gradOutput {@code (N, K, outH, outW)} with
 *       {@code outH = floor((H + padTop + padBottom - ((kH-1)*dilationH + 1)) / strideH) + 1}</li>
 * </ul>
 */
public final class ConvShape extends Geometry {

    private final ConvParams params;
    private final int batch;
    private final int inChannels;
    private final int inH;
    private final int inW;
    private final int outChannels;
    private final int kernelH;
    private final int kernelW;
    private final int outH;
    private final int outW;
    private final ConvAxis rows;
    private final ConvAxis cols;

    static {
        // of(...) for the internal package's derived geometries (ModePadding), without making it public
        Access.setShapes(ConvShape::of);
    }

    private ConvShape(ConvParams params, Tensor4D input, Tensor4D weight, int outH, int outW) {
        this(params, input.n(), input.c(), input.h(), input.w(), weight, outH, outW);
    }

    private ConvShape(ConvParams params, int batch, int inChannels, int inH, int inW, Tensor4D weight, int outH,
                      int outW) {
        super(false);
        this.params = params;
        this.batch = batch;
        this.inChannels = inChannels;
        this.inH = inH;
        this.inW = inW;
        this.outChannels = weight.n();
        this.kernelH = weight.h();
        this.kernelW = weight.w();
        this.outH = outH;
        this.outW = outW;
        this.rows = new ConvAxis(inH, kernelH, params.strideH(), params.padTop(), params.padBottom(),
                params.dilationH(), outH);
        this.cols = new ConvAxis(inW, kernelW, params.strideW(), params.padLeft(), params.padRight(),
                params.dilationW(), outW);
    }

    /**
     * Validates the arguments of a forward pass.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @return the validated geometry
     * @throws NullPointerException naming {@code input}, {@code weight} or {@code params} if one is null
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value, if
     *         the shapes do not fit together
     */
    public static ConvShape forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        return Geometry.forward(ConvShape::of, input, weight, bias, params);
    }

    /**
     * Validates the arguments of a backward pass: as {@link #forward}, and {@code gradOutput} must have
     * the forward output's shape.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return the validated geometry
     */
    public static ConvShape backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return Geometry.backward(ConvShape::of, input, weight, gradOutput, params);
    }

    private static ConvShape of(Tensor4D input, Tensor4D weight, ConvParams params) {
        checkChannels(input.c(), weight.n(), weight.c(), params.groups(), weight.shapeString());
        checkPaddingMode(params, input);
        if (params.outputPaddingH() != 0 || params.outputPaddingW() != 0) {
            throw new IllegalArgumentException("outputPadding: expected 0x0 for a convolution (it applies to transposed "
                    + "ones), got " + params.outputPaddingH() + "x" + params.outputPaddingW());
        }
        int outH = outputSize("height", input.h(), weight.h(), params.strideH(), params.padTop(),
                params.padBottom(), params.dilationH());
        int outW = outputSize("width", input.w(), weight.w(), params.strideW(), params.padLeft(),
                params.padRight(), params.dilationW());
        Tensor4D.checkedSize("output", input.n(), weight.n(), outH, outW);
        return new ConvShape(params, input, weight, outH, outW);
    }

    /**
     * The channel checks of a convolution of any rank: {@code groups} divides the input channels and the filter
     * count, and each filter has {@code channels / groups} channels.
     */
    static void checkChannels(int channels, int filters, int filterChannels, int groups, String weightShape) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of the input channels " + channels
                    + ", got groups=" + groups);
        }
        if (filters % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of the filter count " + filters
                    + " (weight dimension 0), got groups=" + groups);
        }
        if (filterChannels != channels / groups) {
            throw new IllegalArgumentException("weight: expected " + channels / groups
                    + " channels per filter (input channels " + channels + " / groups " + groups
                    + "), got " + filterChannels + " (weight shape " + weightShape + ")");
        }
    }

    /**
     * A geometry built from sizes, for shapes derived from a checked one (the padded input of {@link ModePadding},
     * the convolution of a {@link TransposedShape}): input {@code (N, C, H, W)} given by size
     * the weight, output
     * {@code (N, K, outH, outW)}. The caller has checked that they fit together. The internal package reaches it
     * through {@link Access#shapes()}.
     */
    static ConvShape of(ConvParams params, int batch, int channels, int h, int w, Tensor4D weight,
                         int outH, int outW) {
        return new ConvShape(params, batch, channels, h, w, weight, outH, outW);
    }

    /**
     * The limits of {@link PaddingMode}, as in PyTorch: a {@link PaddingMode#REFLECT reflected} pad must be
     * smaller than its dimension (the mirror does not repeat the edge), a {@link PaddingMode#CIRCULAR circular}
     * one at most its dimension (one wrap).
     */
    private static void checkPaddingMode(ConvParams params, Tensor4D input) {
        PaddingMode mode = params.paddingMode();
        if (mode != PaddingMode.REFLECT && mode != PaddingMode.CIRCULAR) {
            return;
        }
        checkPad(mode, "padTop", params.padTop(), "height", input.h());
        checkPad(mode, "padBottom", params.padBottom(), "height", input.h());
        checkPad(mode, "padLeft", params.padLeft(), "width", input.w());
        checkPad(mode, "padRight", params.padRight(), "width", input.w());
    }

    /** The limit of {@code mode} on one side's pad (see {@link #checkPaddingMode}), for every rank. */
    static void checkPad(PaddingMode mode, String side, int pad, String axis, int size) {
        boolean ok = mode == PaddingMode.REFLECT ? pad < size : pad <= size;
        if (!ok) {
            throw new IllegalArgumentException(side + ": expected " + (mode == PaddingMode.REFLECT ? "less than" : "at most")
                    + " the input " + axis + " " + size + " for " + mode + " padding, got " + pad);
        }
    }

    /**
     * The output size along one axis:
     * {@code floor((in + padBefore + padAfter - ((kernel - 1)*dilation + 1)) / stride) + 1}.
     *
     * @param in the input size
     * @param kernel the kernel size
     * @param stride the stride
     * @param padBefore the padding before the input
     * @param padAfter the padding after the input
     * @param dilation the dilation
     * @return the output size
     * @throws IllegalArgumentException if the dilated kernel is larger than the padded input, or an
     *         argument is out of range
     */
    public static int outputSize(int in, int kernel, int stride, int padBefore, int padAfter, int dilation) {
        return outputSize("size", in, kernel, stride, padBefore, padAfter, dilation);
    }

    /** {@link #outputSize(int, int, int, int, int, int)}, naming {@code axis} in its messages (also for 3D). */
    static int outputSize(String axis, int in, int kernel, int stride, int padBefore, int padAfter, int dilation) {
        if (in < 1 || kernel < 1 || stride < 1 || dilation < 1 || padBefore < 0 || padAfter < 0) {
            throw new IllegalArgumentException(axis + ": expected input, kernel, stride, dilation >= 1 and "
                    + "padding >= 0, got input " + in + ", kernel " + kernel + ", stride " + stride
                    + ", dilation " + dilation + ", padding " + padBefore + "+" + padAfter);
        }
        // long arithmetic: padding near Integer.MAX_VALUE must not wrap around.
        long padded = (long) in + padBefore + padAfter;
        long dilatedKernel = (kernel - 1L) * dilation + 1;
        if (dilatedKernel > padded) {
            throw new IllegalArgumentException("weight: expected a " + (dilation > 1 ? "dilated " : "")
                    + "kernel " + axis + " no larger than the padded input " + axis + " " + padded
                    + " (input " + in + " + padding " + padBefore + "+" + padAfter + "), got " + dilatedKernel
                    + (dilation > 1 ? " (kernel " + kernel + ", dilation " + dilation + ")" : ""));
        }
        long out = (padded - dilatedKernel) / stride + 1;
        if (out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("output " + axis + ": expected at most " + Integer.MAX_VALUE
                    + ", got " + out);
        }
        return (int) out;
    }

    /** {@return the parameters} */
    public ConvParams params() {
        return params;
    }

    /**
     * N.
     *
     * @return N
     */
    public int batch() {
        return batch;
    }

    /**
     * C, the input channels.
     *
     * @return C
     */
    public int inChannels() {
        return inChannels;
    }

    /** {@return H, the input height} */
    public int inH() {
        return inH;
    }

    /** {@return W, the input width} */
    public int inW() {
        return inW;
    }

    /**
     * K, the filter count and output channels.
     *
     * @return K
     */
    public int outChannels() {
        return outChannels;
    }

    /** {@return kH, the kernel height} */
    public int kernelH() {
        return kernelH;
    }

    /** {@return kW, the kernel width} */
    public int kernelW() {
        return kernelW;
    }

    /** {@return outH, the output height} */
    public int outH() {
        return outH;
    }

    /** {@return outW, the output width} */
    public int outW() {
        return outW;
    }

    /** {@return the number of channel groups} */
    public int groups() {
        return params.groups();
    }

    /**
     * The geometry along the rows (height): H, kH, strideH, padTop, padBottom, dilationH, outH.
     *
     * @return the row axis
     */
    public ConvAxis rows() {
        return rows;
    }

    /**
     * The geometry along the columns (width): W, kW, strideW, padLeft, padRight, dilationW, outW.
     *
     * @return the column axis
     */
    public ConvAxis cols() {
        return cols;
    }

    /**
     * Whether some output's window lies wholly in the padding along a spatial axis ({@link
     * ConvAxis#hasPaddingOnlyOutputs()}), so that it reads no input element at all.
     *
     * @return whether such an output exists
     */
    public boolean hasPaddingOnlyOutputs() {
        return rows.hasPaddingOnlyOutputs() || cols.hasPaddingOnlyOutputs();
    }

    /**
     * The index of input element {@code (n, c, h, w)} in NCHW order: {@code ((n*C + c)*H + h)*W + w}.
     *
     * @param n the batch index
     * @param c the channel
     * @param h the row
     * @param w the column
     * @return the index in the input's data
     */
    public int inputIndex(int n, int c, int h, int w) {
        return ((n * inChannels + c) * inH + h) * inW + w;
    }

    /**
     * The index of output element {@code (n, k, h, w)} in NCHW order: {@code ((n*K + k)*outH + h)*outW + w}.
     *
     * @param n the batch index
     * @param k the output channel
     * @param h the row
     * @param w the column
     * @return the index in the output's data
     */
    public int outputIndex(int n, int k, int h, int w) {
        return ((n * outChannels + k) * outH + h) * outW + w;
    }

    /**
     * The index of weight element {@code (k, c, i, j)} in OIHW order, {@code c} counted within the filter's
     * group: {@code ((k*C/groups + c)*kH + i)*kW + j}.
     *
     * @param k the filter (output channel)
     * @param c the channel within the group
     * @param i the kernel row
     * @param j the kernel column
     * @return the index in the weight's data
     */
    public int weightIndex(int k, int c, int i, int j) {
        return ((k * inChannelsPerGroup() + c) * kernelH + i) * kernelW + j;
    }

    /**
     * C / groups: the channels each filter reads.
     *
     * @return C / groups
     */
    public int inChannelsPerGroup() {
        return inChannels / params.groups();
    }

    /**
     * K / groups: the filters in each group.
     *
     * @return K / groups
     */
    public int outChannelsPerGroup() {
        return outChannels / params.groups();
    }

    /**
     * {@code H + padTop + padBottom}. May exceed an int only for absurd padding, hence long.
     *
     * @return the padded height
     */
    public long paddedH() {
        return (long) inH + params.padTop() + params.padBottom();
    }

    /**
     * {@code W + padLeft + padRight}.
     *
     * @return the padded width
     */
    public long paddedW() {
        return (long) inW + params.padLeft() + params.padRight();
    }

    /**
     * The extent of the dilated kernel, {@code (kH - 1)*dilationH + 1}.
     *
     * @return the dilated kernel height
     */
    public int dilatedKernelH() {
        return (kernelH - 1) * params.dilationH() + 1;
    }

    /**
     * The extent of the dilated kernel, {@code (kW - 1)*dilationW + 1}.
     *
     * @return the dilated kernel width
     */
    public int dilatedKernelW() {
        return (kernelW - 1) * params.dilationW() + 1;
    }

    /**
     * Rows of the column matrix of one group: {@code C/groups * kH * kW}.
     *
     * @return {@code C/groups * kH * kW}
     */
    public long patchSize() {
        return (long) inChannelsPerGroup() * kernelH * kernelW;
    }

    /**
     * {@code outH * outW}.
     *
     * @return {@code outH * outW}
     */
    public int outPlane() {
        return outH * outW;
    }

    /**
     * {@code H * W}.
     *
     * @return {@code H * W}
     */
    public int inPlane() {
        return inH * inW;
    }

    /**
     * Multiply-adds of the forward pass: {@code N * K * outH * outW * C/groups * kH * kW}.
     *
     * @return the multiply-adds
     */
    public long macs() {
        return (long) batch * outChannels * outH * outW * patchSize();
    }

    /**
     * Floating-point operations of the forward pass, {@code 2 * macs()} (bias not counted).
     *
     * @return the floating-point operations
     */
    public long flops() {
        return 2 * macs();
    }

    /**
     * A new zero tensor of the output shape {@code (N, K, outH, outW)}.
     *
     * @return the new tensor
     */
    public Tensor4D newOutput() {
        HeapCheck.ensureFits("output", batch, outChannels, outH, outW);
        return Tensor4D.zeros(batch, outChannels, outH, outW);
    }

    /**
     * A new zeroed output in the storage and layout of {@code input}, as the passes return it: heap NCHW (as
     * {@link #newOutput()}), heap in the input's layout, or native memory in its layout.
     *
     * @param input the input whose storage and layout the output takes
     * @return the new tensor
     */
    public Tensor4D newOutputLike(Tensor4D input) {
        if (input.isHeapNchw()) {
            return newOutput();
        }
        return input.isNative() ? Tensor4D.allocateNative(input.layout(), batch, outChannels, outH, outW)
                : Tensor4D.zeros(input.layout(), batch, outChannels, outH, outW);
    }

    /**
     * A new zero tensor of the input shape.
     *
     * @return the new tensor
     */
    public Tensor4D newInput() {
        HeapCheck.ensureFits("input gradient", batch, inChannels, inH, inW);
        return Tensor4D.zeros(batch, inChannels, inH, inW);
    }

    /**
     * A new zero tensor of the weight shape {@code (K, C/groups, kH, kW)}.
     *
     * @return the new tensor
     */
    public Tensor4D newWeight() {
        HeapCheck.ensureFits("weight gradient", outChannels, inChannelsPerGroup(), kernelH, kernelW);
        return Tensor4D.zeros(outChannels, inChannelsPerGroup(), kernelH, kernelW);
    }

    /**
     * Checks that {@code output} has the output shape {@code (N, K, outH, outW)}.
     *
     * @param output the tensor to check
     * @return {@code output}
     */
    public Tensor4D checkOutput(Tensor4D output) {
        return Shapes.requireShape("output", output, "", outputShape());
    }

    /** {@return the output's shape, {@code {N, K, outH, outW}}} */
    @Override
    int[] outputShape() {
        return new int[] {batch, outChannels, outH, outW};
    }

    /** Equal if every size and the parameters are: the same convolution (for caches of per-layer decisions). */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConvShape)) {
            return false;
        }
        ConvShape s = (ConvShape) o;
        return batch == s.batch && inChannels == s.inChannels && inH == s.inH && inW == s.inW
                && outChannels == s.outChannels && kernelH == s.kernelH && kernelW == s.kernelW
                && outH == s.outH && outW == s.outW && params.equals(s.params);
    }

    @Override
    public int hashCode() {
        int h = params.hashCode();
        for (int v : new int[] {batch, inChannels, inH, inW, outChannels, kernelH, kernelW, outH, outW}) {
            h = 31 * h + v;
        }
        return h;
    }

    /** E.g. {@code input [8, 64, 56, 56] * weight [64, 64, 3, 3] -> [8, 64, 56, 56], ConvParams{...}}. */
    @Override
    public String toString() {
        return "input " + Tensor4D.shapeString(batch, inChannels, inH, inW)
                + " * weight " + Tensor4D.shapeString(outChannels, inChannelsPerGroup(), kernelH, kernelW)
                + " -> " + Tensor4D.shapeString(batch, outChannels, outH, outW) + ", " + params;
    }
}
