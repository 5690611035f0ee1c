package org.conv4j.api;

import java.util.Objects;

/**
 * The hyper-parameters of a 1D convolution: stride, two-sided padding and what it holds ({@link PaddingMode}),
 * dilation, groups and, for a transposed convolution, output padding. Immutable; build with {@link #builder()}.
 *
 * <p>A 1D convolution is run as the 2D convolution of height 1 whose width axis is the 1D axis;
 * {@link #toConvParams()} is that convolution's parameters: these values along the width, and along the height
 * stride 1, no padding, dilation 1 and no output padding, which map a height of 1 to a height of 1. The output
 * length is therefore the width formula of {@link ConvParams} ({@link ConvShape} computes it):
 * <pre>
 *   outW = floor((W + padLeft + padRight - ((kW - 1)*dilation + 1)) / stride) + 1
 * </pre>
 * and output position {@code ow} reads input positions {@code ow*stride - padLeft + j*dilation},
 * {@code j = 0 .. kW-1}.
 *
 * <p>Defaults: stride 1, padding 0 (zeros), dilation 1, groups 1, output padding 0. {@link Builder#build()}
 * checks every value, naming it as this class does.
 */
public final class Conv1dParams {

    /** Stride 1, no padding, dilation 1, one group. */
    public static final Conv1dParams DEFAULT = builder().build();

    private final ConvParams conv;

    private Conv1dParams(ConvParams conv) {
        this.conv = conv;
    }

    /**
     * A builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this value's settings, to derive a variant.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder().stride(stride()).padding(padLeft(), padRight()).dilation(dilation()).groups(groups())
                .paddingMode(paddingMode()).outputPadding(outputPadding());
    }

    /**
     * The parameters of the equivalent 2D convolution of height 1 (see the class comment).
     *
     * @return the 2D parameters
     */
    public ConvParams toConvParams() {
        return conv;
    }

    /** {@return the step between outputs} */
    public int stride() {
        return conv.strideW();
    }

    /** {@return the zeros (or copies) before the input} */
    public int padLeft() {
        return conv.padLeft();
    }

    /** {@return the zeros (or copies) after the input} */
    public int padRight() {
        return conv.padRight();
    }

    /** {@return the step between kernel taps (1: no gaps)} */
    public int dilation() {
        return conv.dilationW();
    }

    /** {@return the number of channel groups (1: an ordinary convolution)} */
    public int groups() {
        return conv.groups();
    }

    /** {@return what the padding holds} */
    public PaddingMode paddingMode() {
        return conv.paddingMode();
    }

    /** {@return the positions added at the end of a transposed convolution's output (0 for a regular one)} */
    public int outputPadding() {
        return conv.outputPaddingW();
    }

    /** {@return true if the stride is above 1} */
    public boolean isStrided() {
        return conv.isStrided();
    }

    /** {@return true if either side is padded} */
    public boolean isPadded() {
        return conv.isPadded();
    }

    /** {@return true if the dilation is above 1} */
    public boolean isDilated() {
        return conv.isDilated();
    }

    /** {@return true if the channels are split into more than one group} */
    public boolean isGrouped() {
        return conv.isGrouped();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Conv1dParams && conv.equals(((Conv1dParams) o).conv);
    }

    @Override
    public int hashCode() {
        return conv.hashCode();
    }

    /**
     * E.g. {@code Conv1dParams{stride=2, padding=(left 1, right 1), dilation=1, groups=1}}; a padding mode other
     * than zeros is added as {@code , paddingMode=REFLECT}, an output padding as {@code , outputPadding=1}.
     */
    @Override
    public String toString() {
        return "Conv1dParams{stride=" + stride() + ", padding=(left " + padLeft() + ", right " + padRight() + ")"
                + ", dilation=" + dilation() + ", groups=" + groups()
                + (paddingMode() == PaddingMode.ZEROS ? "" : ", paddingMode=" + paddingMode())
                + (outputPadding() == 0 ? "" : ", outputPadding=" + outputPadding()) + "}";
    }

    /**
     * Builds {@link Conv1dParams}. Setters only record values; {@link #build()} checks them, so they can be called
     * in any order.
     */
    public static final class Builder extends ParamsBuilder<Builder> {
        private int stride = 1;
        private int padLeft;
        private int padRight;
        private int dilation = 1;
        private int outputPadding;
        /** Set by {@link #samePadding}: {input width, kernel width}. */
        private int[] same;

        private Builder() {
        }

        /**
         * The step between outputs.
         *
         * @param s the stride (at least 1)
         * @return this builder
         */
        public Builder stride(int s) {
            this.stride = s;
            return this;
        }

        /**
         * The same padding on both sides.
         *
         * @param p the padding of each side (at least 0)
         * @return this builder
         */
        public Builder padding(int p) {
            return padding(p, p);
        }

        /**
         * Two-sided padding. Replaces an earlier {@link #samePadding} request.
         *
         * @param left the positions before the input (at least 0)
         * @param right the positions after the input (at least 0)
         * @return this builder
         */
        public Builder padding(int left, int right) {
            this.padLeft = left;
            this.padRight = right;
            this.same = null;
            return this;
        }

        /**
         * "Same" padding as TensorFlow defines it ({@link ConvParams.Builder#samePadding(int, int, int, int)} along
         * the one axis): the output is {@code ceil(W / stride)} long, the extra position of an odd total goes on
         * the right. Computed in {@link #build()} with the final stride and dilation. Replaces an earlier
         * {@link #padding} call.
         *
         * @param inputW the input width
         * @param kernelW the kernel width
         * @return this builder
         */
        public Builder samePadding(int inputW, int kernelW) {
            this.same = new int[] {inputW, kernelW};
            return this;
        }

        /**
         * {@link #samePadding(int, int)} with the widths of the input {@code (N, C, W)} and the weight
         * {@code (K, C/groups, kW)}.
         *
         * @param input the input
         * @param weight the weight
         * @return this builder
         * @throws NullPointerException if either is null
         */
        public Builder samePadding(Tensor3D input, Tensor3D weight) {
            Objects.requireNonNull(input, "input must not be null");
            Objects.requireNonNull(weight, "weight must not be null");
            return samePadding(input.w(), weight.w());
        }

        /**
         * The step between kernel taps (1 = no gaps).
         *
         * @param d the dilation (at least 1)
         * @return this builder
         */
        public Builder dilation(int d) {
            this.dilation = d;
            return this;
        }

        /**
         * For a transposed convolution only: positions added at the end of the output, as PyTorch's
         * {@code output_padding}; smaller than the stride or the dilation ({@link TransposedShape} checks that).
         *
         * @param p the output padding (at least 0)
         * @return this builder
         */
        public Builder outputPadding(int p) {
            this.outputPadding = p;
            return this;
        }

        /**
         * Checks every value and builds.
         *
         * @return the parameters
         * @throws IllegalArgumentException naming the first value out of range, with the expected and actual value
         */
        public Conv1dParams build() {
            atLeast("stride", stride, 1);
            atLeast("dilation", dilation, 1);
            atLeast("groups", groups, 1);
            atLeast("outputPadding", outputPadding, 0);
            ConvParams.Builder b = ConvParams.builder().stride(1, stride).dilation(1, dilation).groups(groups)
                    .paddingMode(paddingMode).outputPadding(0, outputPadding);
            if (same != null) {
                atLeast("samePadding inputW", same[0], 1);
                atLeast("samePadding kernelW", same[1], 1);
                b.samePadding(1, same[0], 1, same[1]); // height 1, kernel 1, stride 1: no rows of padding
            } else {
                atLeast("padLeft", padLeft, 0);
                atLeast("padRight", padRight, 0);
                b.padding(0, 0, padLeft, padRight);
            }
            return new Conv1dParams(b.build());
        }
    }
}
