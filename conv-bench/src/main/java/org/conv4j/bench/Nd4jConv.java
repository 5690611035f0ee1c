package org.conv4j.bench;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.openblas.OpenBlasSetup;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.Conv2D;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The in-JVM peer: ND4J's own convolution ops on one prepared problem, for comparison with conv4j's
 * backends. Not a conv4j backend (it is not registered with ServiceLoader and has no conformance claim);
 * {@link #forwardResult()} and {@link #backwardResult()} let callers check it against the naive reference.
 *
 * <p>Forward is ND4J's {@code conv2d} op, the op behind {@code Nd4j.cnn().conv2d(x, w, b, Conv2DConfig)},
 * built once with a preallocated output so that a timed call measures the convolution, not allocation;
 * for a depthwise layer ({@code groups == C == K}) it is {@code depthwise_conv2d}. Backward is the
 * native {@code conv2d_bp} / {@code depthwise_conv2d_bp} op, called directly as a {@link DynamicCustomOp}
 * (ND4J exposes it only through SameDiff otherwise).
 *
 * <p>Layouts: input and output NCHW ({@code dataFormat "NCHW"}); weights in conv4j's OIHW order, which is
 * ND4J's {@link WeightsFormat#OIYX} ({@code [outC, inC, kH, kW]}), so no transpose is needed. A depthwise
 * weight {@code (C, 1, kH, kW)} has the same memory as ND4J's {@code [mult=1, C, kH, kW]} in OIYX.
 * Op integer arguments, in libnd4j's order: {@code kH, kW, sH, sW, pH, pW, dH, dW, sameMode, dataFormat
 * (0 = NCHW), wFormat (1 = OIYX)}.
 *
 * <p>Limits ({@link #unsupportedReason}): ND4J pads symmetrically ({@code pH}, {@code pW}) or in
 * TensorFlow's "same" mode; other asymmetric paddings, and groups other than 1 or depthwise, are not
 * expressible.
 */
public final class Nd4jConv {

    /** The name the peer goes by in tables and JMH parameters. */
    public static final String NAME = "nd4j";

    /** libnd4j's dataFormat integer for NCHW. */
    private static final int NCHW = 0;
    /** libnd4j's wFormat integer for [outC, inC, kH, kW]. */
    private static final int OIYX = 1;

    private final ConvShape shape;
    private final boolean depthwise;
    private final int[] intArgs;
    private final INDArray x;
    private final INDArray w;
    private final INDArray b;
    private final INDArray out;
    private final CustomOp forwardOp;
    private INDArray gradOut;
    private INDArray gradIn;
    private INDArray gradW;
    private INDArray gradB;
    private CustomOp backwardOp;

    private Nd4jConv(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias) {
        this.shape = s;
        OpenBlasSetup.ensureLoaded(); // before ND4J loads OpenBLAS: picks the CPU's fastest safe kernels
        ConvParams p = s.params();
        this.depthwise = p.groups() > 1;
        boolean same = !symmetric(p);
        this.intArgs = new int[] {s.kernelH(), s.kernelW(), p.strideH(), p.strideW(),
            same ? 0 : p.padTop(), same ? 0 : p.padLeft(), p.dilationH(), p.dilationW(), same ? 1 : 0, NCHW, OIYX};
        this.x = Nd4j.create(input.data(), new long[] {s.batch(), s.inChannels(), s.inH(), s.inW()}, 'c');
        long[] wShape = depthwise
                ? new long[] {1, s.inChannels(), s.kernelH(), s.kernelW()}
                : new long[] {s.outChannels(), s.inChannels(), s.kernelH(), s.kernelW()};
        this.w = Nd4j.create(weight.data(), wShape, 'c');
        float[] bb = bias != null ? bias : new float[s.outChannels()];
        this.b = Nd4j.create(bb, new long[] {s.outChannels()}, 'c');
        this.out = Nd4j.create(DataType.FLOAT, s.batch(), s.outChannels(), s.outH(), s.outW());
        Conv2DConfig config = Conv2DConfig.builder()
                .kH(s.kernelH()).kW(s.kernelW())
                .sH(p.strideH()).sW(p.strideW())
                .pH(intArgs[4]).pW(intArgs[5])
                .dH(p.dilationH()).dW(p.dilationW())
                .paddingMode(same ? PaddingMode.SAME : PaddingMode.VALID)
                .dataFormat(Conv2DConfig.NCHW)
                .weightsFormat(WeightsFormat.OIYX)
                .build();
        INDArray[] inputs = {x, w, b};
        INDArray[] outputs = {out};
        // DepthwiseConv2D's Java wrapper does not pass the weights format on (it then expects [kH, kW, C, mult]),
        // so the depthwise op is built from its integer arguments, the same way as the backward ops.
        this.forwardOp = depthwise
                ? DynamicCustomOp.builder("depthwise_conv2d").addInputs(inputs).addOutputs(outputs)
                        .addIntegerArguments(intArgs).build()
                : new Conv2D(inputs, outputs, config);
    }

    /**
     * Why ND4J cannot run this geometry, or null if it can.
     */
    public static String unsupportedReason(ConvShape s) {
        ConvParams p = s.params();
        if (p.groups() > 1 && !(p.groups() == s.inChannels() && p.groups() == s.outChannels())) {
            return "ND4J conv2d has no groups (only depthwise, groups == C == K, is mapped)";
        }
        if (!symmetric(p) && !isTfSame(s)) {
            return "ND4J pads symmetrically or TF-'same'; this padding is neither";
        }
        return null;
    }

    private static boolean symmetric(ConvParams p) {
        return p.padTop() == p.padBottom() && p.padLeft() == p.padRight();
    }

    private static boolean isTfSame(ConvShape s) {
        ConvParams p = s.params();
        ConvParams same = p.toBuilder().samePadding(s.inH(), s.inW(), s.kernelH(), s.kernelW()).build();
        return same.equals(p);
    }

    /**
     * Copies the problem into ND4J arrays and builds the forward op.
     *
     * @throws UnsupportedOperationException with {@link #unsupportedReason} if ND4J cannot express it
     */
    public static Nd4jConv prepare(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        String reason = unsupportedReason(s);
        if (reason != null) {
            throw new UnsupportedOperationException(reason);
        }
        return new Nd4jConv(s, input, weight, bias);
    }

    /** Runs the forward op into the preallocated output. */
    public void forward() {
        Nd4j.exec(forwardOp);
    }

    /** The last forward result, copied into a conv4j tensor. */
    public Tensor4D forwardResult() {
        return Tensor4D.wrap(out.dup('c').data().asFloat(), shape.batch(), shape.outChannels(), shape.outH(),
                shape.outW());
    }

    /** Sets dL/dy and builds the backward op with preallocated gradients. */
    public void prepareBackward(Tensor4D gradOutput) {
        this.gradOut = Nd4j.create(gradOutput.data(),
                new long[] {shape.batch(), shape.outChannels(), shape.outH(), shape.outW()}, 'c');
        this.gradIn = Nd4j.create(DataType.FLOAT, x.shape());
        this.gradW = Nd4j.create(DataType.FLOAT, w.shape());
        this.gradB = Nd4j.create(DataType.FLOAT, b.shape());
        this.backwardOp = DynamicCustomOp.builder(depthwise ? "depthwise_conv2d_bp" : "conv2d_bp")
                .addInputs(x, w, b, gradOut)
                .addOutputs(gradIn, gradW, gradB)
                .addIntegerArguments(intArgs)
                .build();
    }

    /** Runs the backward op; {@link #prepareBackward} first. */
    public void backward() {
        if (backwardOp == null) {
            throw new IllegalStateException("call prepareBackward(gradOutput) first");
        }
        Nd4j.exec(backwardOp);
    }

    /** The last backward result, copied into conv4j's types (weight gradient in OIHW order). */
    public ConvGradients backwardResult() {
        Tensor4D dx = Tensor4D.wrap(gradIn.dup('c').data().asFloat(), shape.batch(), shape.inChannels(),
                shape.inH(), shape.inW());
        Tensor4D dw = Tensor4D.wrap(gradW.dup('c').data().asFloat(), shape.outChannels(),
                shape.inChannelsPerGroup(), shape.kernelH(), shape.kernelW());
        return new ConvGradients(dx, dw, gradB.dup('c').data().asFloat());
    }

    /** The geometry this instance runs. */
    public ConvShape shape() {
        return shape;
    }
}
