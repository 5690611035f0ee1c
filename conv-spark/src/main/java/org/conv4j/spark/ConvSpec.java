package org.conv4j.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

/**
 * One convolution layer as it travels to the executors: the per-row input shape {@code (C, H, W)}, the
 * weights {@code (K, C/groups, kH, kW)} (OIHW, one flat array), the bias ({@code K} values or none) and the
 * {@link ConvParams}. Immutable and {@link Serializable}; broadcast once per job, so every executor
 * deserialises it once however many tasks it runs.
 *
 * <p>The constructor validates everything with {@link ConvShape#forward}, so a layer that does not fit its
 * input shape fails on the driver, before any task starts, with conv4j's usual message.
 */
public final class ConvSpec implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One row's input shape {@code (C, H, W)}. */
    private final int[] inputShape;
    /** The weights' shape {@code (K, C/groups, kH, kW)}. */
    private final int[] weightShape;
    /** The weights, flat in {@code (K, C/groups, kH, kW)} order. */
    private final float[] weight;
    /** The bias, {@code K} values, or null for none. */
    private final float[] bias;
    // ConvParams is not Serializable: its fields are kept and the value rebuilt where it is needed.
    /** Stride {@code (strideH, strideW)}. */
    private final int[] stride;
    /** Padding {@code (top, bottom, left, right)}. */
    private final int[] padding;
    /** Dilation {@code (dilationH, dilationW)}. */
    private final int[] dilation;
    /** Number of channel groups. */
    private final int groups;
    /** What the padding holds. */
    private final PaddingMode paddingMode;
    /** One row's output shape {@code (K, outH, outW)}. */
    private final int[] outputShape;
    private transient ConvParams params;

    /**
     * @param inputShape one row's shape {@code (C, H, W)}
     * @param weight     the filters {@code (K, C/groups, kH, kW)}; copied
     * @param bias       {@code K} values, or null for none; copied
     * @param params     stride, padding, dilation, groups and padding mode (output padding must be zero)
     * @throws IllegalArgumentException naming the argument if the shapes do not fit together
     */
    public ConvSpec(int[] inputShape, Tensor4D weight, float[] bias, ConvParams params) {
        Objects.requireNonNull(inputShape, "inputShape must not be null");
        Objects.requireNonNull(weight, "weight must not be null");
        Objects.requireNonNull(params, "params must not be null");
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("inputShape: expected 3 values (C, H, W), got "
                    + Arrays.toString(inputShape));
        }
        if (params.outputPaddingH() != 0 || params.outputPaddingW() != 0) {
            throw new IllegalArgumentException("params: expected output padding 0x0 (a regular convolution), got "
                    + params.outputPaddingH() + "x" + params.outputPaddingW());
        }
        for (int i = 0; i < 3; i++) {
            if (inputShape[i] < 1) {
                throw new IllegalArgumentException("inputShape: expected (C, H, W) all >= 1, got "
                        + Arrays.toString(inputShape));
            }
        }
        Tensor4D.checkedSize("inputShape", 1, inputShape[0], inputShape[1], inputShape[2]);
        this.inputShape = inputShape.clone();
        this.weightShape = weight.shape();
        this.weight = weight.data().clone();
        this.bias = bias == null ? null : bias.clone();
        this.stride = new int[] {params.strideH(), params.strideW()};
        this.padding = new int[] {params.padTop(), params.padBottom(), params.padLeft(), params.padRight()};
        this.dilation = new int[] {params.dilationH(), params.dilationW()};
        this.groups = params.groups();
        this.paddingMode = params.paddingMode();
        this.params = params;
        // The one validation (a zero-filled single-row input of the declared shape).
        ConvShape shape = ConvShape.forward(Tensor4D.zeros(1, inputShape[0], inputShape[1], inputShape[2]),
                weight(), this.bias, params);
        this.outputShape = new int[] {shape.outChannels(), shape.outH(), shape.outW()};
    }

    /**
     * One row's input shape {@code (C, H, W)} (a copy).
     *
     * @return a new array {@code {C, H, W}}
     */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /**
     * One row's output shape {@code (K, outH, outW)} (a copy).
     *
     * @return a new array {@code {K, outH, outW}}
     */
    public int[] outputShape() {
        return outputShape.clone();
    }

    /**
     * Elements in one input row, {@code C*H*W}.
     *
     * @return {@code C*H*W}
     */
    public int inputSize() {
        return inputShape[0] * inputShape[1] * inputShape[2];
    }

    /**
     * Elements in one output row, {@code K*outH*outW}.
     *
     * @return {@code K*outH*outW}
     */
    public int outputSize() {
        return outputShape[0] * outputShape[1] * outputShape[2];
    }

    /**
     * The weights as a tensor {@code (K, C/groups, kH, kW)} sharing this spec's array: do not modify it.
     *
     * @return a view of the weights, shape {@code (K, C/groups, kH, kW)}
     */
    public Tensor4D weight() {
        return Tensor4D.wrap(weight, weightShape[0], weightShape[1], weightShape[2], weightShape[3]);
    }

    /**
     * The bias ({@code K} values, shared: do not modify it) or null.
     *
     * @return the bias array, or null for none
     */
    public float[] bias() {
        return bias;
    }

    /**
     * The convolution's parameters.
     *
     * @return stride, padding, dilation, groups and padding mode (output padding zero)
     */
    public ConvParams params() {
        ConvParams p = params;
        if (p == null) {
            p = ConvParams.builder().stride(stride[0], stride[1])
                    .padding(padding[0], padding[1], padding[2], padding[3])
                    .dilation(dilation[0], dilation[1]).groups(groups).paddingMode(paddingMode).build();
            params = p;
        }
        return p;
    }

    /**
     * This layer with other weights and bias (same input shape and parameters).
     *
     * @param newWeight the filters {@code (K, C/groups, kH, kW)}; copied
     * @param newBias   {@code K} values, or null for none; copied
     * @return a new spec; this one is unchanged
     * @throws IllegalArgumentException if the new shapes do not fit the input shape and parameters
     */
    public ConvSpec withWeights(Tensor4D newWeight, float[] newBias) {
        return new ConvSpec(inputShape, newWeight, newBias, params());
    }

    @Override
    public String toString() {
        return "ConvSpec{input=" + Arrays.toString(inputShape) + ", weight=" + Arrays.toString(weightShape)
                + ", bias=" + (bias == null ? "none" : bias.length) + ", " + params()
                + ", output=" + Arrays.toString(outputShape) + "}";
    }
}
