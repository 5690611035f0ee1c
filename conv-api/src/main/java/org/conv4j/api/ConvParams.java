package org.conv4j.api;

/**
 * The hyper-parameters of a 2D convolution: stride, four-sided padding and what it holds
 * ({@link PaddingMode}), dilation and groups.
 * Immutable; build with {@link #builder()}.
 *
 * <p>With input height {@code H}, kernel height {@code kH}, stride {@code sh}, padding {@code top},
 * {@code bottom} and dilation {@code dh}, the output height is
 * <pre>
 *   outH = floor((H + top + bottom - ((kH - 1)*dh + 1)) / sh) + 1
 * </pre>
 * and likewise for the width ({@link ConvShape#outputSize}). Output row {@code oh} reads input rows
 * {@code oh*sh - top + i*dh} for {@code i = 0 .. kH-1}; rows outside {@code [0, H)} read the padding: zero, or a
 * copy of an input row for the other {@link PaddingMode}s.
 *
 * <p>Defaults: stride 1, padding 0 (zeros), dilation 1, groups 1. Every value is checked in
 * {@link Builder#build()}: strides, dilations and groups must be at least 1, paddings at least 0.
 */
public final class ConvParams {

    /** Stride 1, no padding, dilation 1, one group. */
    public static final ConvParams DEFAULT = builder().build();

    private final int strideH;
    private final int strideW;
    private final int padTop;
    private final int padBottom;
    private final int padLeft;
    private final int padRight;
    private final int dilationH;
    private final int dilationW;
    private final int groups;
    private final PaddingMode paddingMode;
    private final int outputPaddingH;
    private final int outputPaddingW;

    private ConvParams(Builder b) {
        this.strideH = b.strideH;
        this.strideW = b.strideW;
        this.padTop = b.padTop;
        this.padBottom = b.padBottom;
        this.padLeft = b.padLeft;
        this.padRight = b.padRight;
        this.dilationH = b.dilationH;
        this.dilationW = b.dilationW;
        this.groups = b.groups;
        this.paddingMode = b.paddingMode;
        this.outputPaddingH = b.outputPaddingH;
        this.outputPaddingW = b.outputPaddingW;
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
        return new Builder()
                .stride(strideH, strideW)
                .padding(padTop, padBottom, padLeft, padRight)
                .dilation(dilationH, dilationW)
                .groups(groups)
                .paddingMode(paddingMode)
                .outputPadding(outputPaddingH, outputPaddingW);
    }

    /** {@return the vertical stride} */
    public int strideH() {
        return strideH;
    }

    /** {@return the horizontal stride} */
    public int strideW() {
        return strideW;
    }

    /** {@return the rows of padding above the input} */
    public int padTop() {
        return padTop;
    }

    /** {@return the rows of padding below the input} */
    public int padBottom() {
        return padBottom;
    }

    /** {@return the columns of padding left of the input} */
    public int padLeft() {
        return padLeft;
    }

    /** {@return the columns of padding right of the input} */
    public int padRight() {
        return padRight;
    }

    /** {@return the vertical dilation (1: no gaps)} */
    public int dilationH() {
        return dilationH;
    }

    /** {@return the horizontal dilation (1: no gaps)} */
    public int dilationW() {
        return dilationW;
    }

    /** {@return the number of channel groups (1: an ordinary convolution)} */
    public int groups() {
        return groups;
    }

    /**
     * What the padding holds ({@link PaddingMode#ZEROS} by default); {@link ConvShape} checks its limits.
     *
     * @return the padding mode
     */
    public PaddingMode paddingMode() {
        return paddingMode;
    }

    /**
     * Rows added at the bottom of a transposed convolution's output (see {@link TransposedShape}); 0 by default,
     * and 0 for a regular convolution.
     *
     * @return the output padding rows
     */
    public int outputPaddingH() {
        return outputPaddingH;
    }

    /**
     * Columns added at the right of a transposed convolution's output; 0 by default.
     *
     * @return the output padding columns
     */
    public int outputPaddingW() {
        return outputPaddingW;
    }

    /**
     * True if the padding is not zeros and some side is padded: the input is extended with copies of itself.
     *
     * @return whether the input is padded with copies of itself
     */
    public boolean isPaddedWithCopies() {
        return paddingMode != PaddingMode.ZEROS && isPadded();
    }

    /**
     * True if either stride is above 1.
     *
     * @return whether the convolution is strided
     */
    public boolean isStrided() {
        return strideH > 1 || strideW > 1;
    }

    /**
     * True if any side is padded.
     *
     * @return whether any side is padded
     */
    public boolean isPadded() {
        return padTop > 0 || padBottom > 0 || padLeft > 0 || padRight > 0;
    }

    /**
     * True if either dilation is above 1.
     *
     * @return whether the convolution is dilated
     */
    public boolean isDilated() {
        return dilationH > 1 || dilationW > 1;
    }

    /**
     * True if the channels are split into more than one group.
     *
     * @return whether there is more than one group
     */
    public boolean isGrouped() {
        return groups > 1;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ConvParams)) {
            return false;
        }
        ConvParams p = (ConvParams) o;
        return strideH == p.strideH && strideW == p.strideW
                && padTop == p.padTop && padBottom == p.padBottom
                && padLeft == p.padLeft && padRight == p.padRight
                && dilationH == p.dilationH && dilationW == p.dilationW
                && groups == p.groups && paddingMode == p.paddingMode
                && outputPaddingH == p.outputPaddingH && outputPaddingW == p.outputPaddingW;
    }

    @Override
    public int hashCode() {
        int h = strideH;
        for (int v : new int[] {strideW, padTop, padBottom, padLeft, padRight, dilationH, dilationW, groups,
            outputPaddingH, outputPaddingW}) {
            h = 31 * h + v;
        }
        return 31 * h + paddingMode.hashCode();
    }

    /**
     * E.g. {@code ConvParams{stride=2x2, padding=(top 1, bottom 1, left 1, right 1), dilation=1x1, groups=1}};
     * a padding mode other than zeros is added as {@code , paddingMode=REFLECT}, an output padding as
     * {@code , outputPadding=1x1}.
     */
    @Override
    public String toString() {
        return "ConvParams{stride=" + strideH + "x" + strideW
                + ", padding=(top " + padTop + ", bottom " + padBottom + ", left " + padLeft + ", right " + padRight + ")"
                + ", dilation=" + dilationH + "x" + dilationW
                + ", groups=" + groups
                + (paddingMode == PaddingMode.ZEROS ? "" : ", paddingMode=" + paddingMode)
                + (outputPaddingH == 0 && outputPaddingW == 0 ? "" : ", outputPadding=" + outputPaddingH + "x" + outputPaddingW)
                + "}";
    }

    /**
     * Builds {@link ConvParams}. Setters only record values; {@link #build()} checks them, so they can be
     * called in any order.
     */
    public static final class Builder extends ParamsBuilder<Builder> {
        private int strideH = 1;
        private int strideW = 1;
        private int padTop;
        private int padBottom;
        private int padLeft;
        private int padRight;
        private int dilationH = 1;
        private int dilationW = 1;
        private int outputPaddingH;
        private int outputPaddingW;
        /** Set by {@link #samePadding}: {input height, input width, kernel height, kernel width}. */
        private int[] same;

        private Builder() {
        }

        /**
         * The same stride along both axes.
         *
         * @param s the stride (at least 1)
         * @return this builder
         */
        public Builder stride(int s) {
            return stride(s, s);
        }

        /**
         * Vertical stride {@code sh}, horizontal stride {@code sw}.
         *
         * @param sh the vertical stride (at least 1)
         * @param sw the horizontal stride (at least 1)
         * @return this builder
         */
        public Builder stride(int sh, int sw) {
            this.strideH = sh;
            this.strideW = sw;
            return this;
        }

        /**
         * The same padding on all four sides.
         *
         * @param p the padding of each side (at least 0)
         * @return this builder
         */
        public Builder padding(int p) {
            return padding(p, p, p, p);
        }

        /**
         * {@code ph} rows above and below, {@code pw} columns left and right.
         *
         * @param ph the rows above and below
         * @param pw the columns left and right
         * @return this builder
         */
        public Builder padding(int ph, int pw) {
            return padding(ph, ph, pw, pw);
        }

        /**
         * Four-sided padding. Replaces an earlier {@link #samePadding} request.
         *
         * @param top the rows above
         * @param bottom the rows below
         * @param left the columns on the left
         * @param right the columns on the right
         * @return this builder
         */
        public Builder padding(int top, int bottom, int left, int right) {
            this.padTop = top;
            this.padBottom = bottom;
            this.padLeft = left;
            this.padRight = right;
            this.same = null;
            return this;
        }

        /**
         * "Same" padding as TensorFlow defines it: the output is {@code ceil(input / stride)} along each
         * axis, and when the total padding is odd the extra row goes at the bottom and the extra column
         * at the right. Because the padding depends on the input and kernel sizes, they are given here;
         * the padding itself is computed in {@link #build()} with the final stride and dilation:
         * <pre>
         *   out   = ceil(H / sh)
         *   total = max((out - 1)*sh + (kH - 1)*dh + 1 - H, 0)
         *   top   = total / 2,  bottom = total - top
         * </pre>
         * Replaces an earlier {@link #padding} call.
         *
         * @param inputH the input height
         * @param inputW the input width
         * @param kernelH the kernel height
         * @param kernelW the kernel width
         * @return this builder
         */
        public Builder samePadding(int inputH, int inputW, int kernelH, int kernelW) {
            this.same = new int[] {inputH, inputW, kernelH, kernelW};
            return this;
        }

        /**
         * {@link #samePadding(int, int, int, int)} with the sizes taken from the input and the OIHW weight.
         *
         * @param input the input {@code (N, C, H, W)}
         * @param weight the weight {@code (K, C/groups, kH, kW)}
         * @return this builder
         */
        public Builder samePadding(Tensor4D input, Tensor4D weight) {
            java.util.Objects.requireNonNull(input, "input must not be null");
            java.util.Objects.requireNonNull(weight, "weight must not be null");
            return samePadding(input.h(), input.w(), weight.h(), weight.w());
        }

        /**
         * The same dilation along both axes.
         *
         * @param d the dilation (at least 1)
         * @return this builder
         */
        public Builder dilation(int d) {
            return dilation(d, d);
        }

        /**
         * Vertical dilation {@code dh}, horizontal dilation {@code dw} (1 = no gaps).
         *
         * @param dh the vertical dilation
         * @param dw the horizontal dilation
         * @return this builder
         */
        public Builder dilation(int dh, int dw) {
            this.dilationH = dh;
            this.dilationW = dw;
            return this;
        }

        /**
         * The same output padding along both axes; see {@link #outputPadding(int, int)}.
         *
         * @param p the output padding of both axes
         * @return this builder
         */
        public Builder outputPadding(int p) {
            return outputPadding(p, p);
        }

        /**
         * For a transposed convolution only: {@code h} rows added at the bottom and {@code w} columns at the
         * right of the output, as PyTorch's {@code output_padding} (it picks among the input sizes a strided
         * convolution maps to the same output size). Each must be smaller than its axis's stride or its
         * dilation; {@link TransposedShape} checks that, and a regular convolution rejects a non-zero value.
         *
         * @param h the output padding rows
         * @param w the output padding columns
         * @return this builder
         */
        public Builder outputPadding(int h, int w) {
            this.outputPaddingH = h;
            this.outputPaddingW = w;
            return this;
        }

        /**
         * Checks every value and builds.
         *
         * @return the parameters
         * @throws IllegalArgumentException naming the first value out of range
         */
        public ConvParams build() {
            atLeast("strideH", strideH, 1);
            atLeast("strideW", strideW, 1);
            atLeast("dilationH", dilationH, 1);
            atLeast("dilationW", dilationW, 1);
            atLeast("groups", groups, 1);
            if (same != null) {
                atLeast("samePadding inputH", same[0], 1);
                atLeast("samePadding inputW", same[1], 1);
                atLeast("samePadding kernelH", same[2], 1);
                atLeast("samePadding kernelW", same[3], 1);
                int[] h = samePad(same[0], same[2], strideH, dilationH);
                int[] w = samePad(same[1], same[3], strideW, dilationW);
                padTop = h[0];
                padBottom = h[1];
                padLeft = w[0];
                padRight = w[1];
            }
            atLeast("padTop", padTop, 0);
            atLeast("padBottom", padBottom, 0);
            atLeast("padLeft", padLeft, 0);
            atLeast("padRight", padRight, 0);
            atLeast("outputPaddingH", outputPaddingH, 0);
            atLeast("outputPaddingW", outputPaddingW, 0);
            return new ConvParams(this);
        }

        private static int[] samePad(int in, int k, int stride, int dilation) {
            long out = (in + (long) stride - 1) / stride;
            long total = Math.max((out - 1) * stride + (k - 1L) * dilation + 1 - in, 0);
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("samePadding: expected a total padding that fits in an int, got "
                        + total + " (input " + in + ", kernel " + k + ", stride " + stride + ", dilation " + dilation + ")");
            }
            int before = (int) (total / 2);
            return new int[] {before, (int) total - before};
        }
    }
}
