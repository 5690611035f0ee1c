package org.conv4j.api;

import java.util.Arrays;

/**
 * The hyper-parameters of a 3D convolution, per axis in the order depth, height, width: stride, six-sided
 * padding ({@code front/back}, {@code top/bottom}, {@code left/right}) holding zeros or copies of the input
 * ({@link PaddingMode}), dilation, groups, and the output padding of a transposed convolution. Immutable; build
 * with {@link #builder()}.
 *
 * <p>Along each axis the output size is the one formula of {@link ConvShape#outputSize}, e.g. for the depth
 * <pre>
 *   outD = floor((D + padFront + padBack - ((kD - 1)*dilationD + 1)) / strideD) + 1
 * </pre>
 * and output {@code od} reads input depths {@code od*strideD - padFront + i*dilationD}, {@code i = 0 .. kD-1}.
 * A transposed convolution ({@link Conv3d#transposedForward}) is the adjoint of that convolution; its output size
 * per axis adds the output padding, e.g. {@code outD = (D - 1)*strideD - padFront - padBack + (kD - 1)*dilationD
 * + outputPaddingD + 1}, which only a transposed convolution takes (a convolution rejects a non-zero one).
 * Defaults: stride 1, padding 0, dilation 1, groups 1, output padding 0; {@link Builder#build()} checks every
 * value.
 */
public final class Conv3dParams {

    /** Stride 1, no padding, dilation 1, one group. */
    public static final Conv3dParams DEFAULT = builder().build();

    /** Depth, height, width. */
    private final int[] stride;
    /** Front, back, top, bottom, left, right. */
    private final int[] padding;
    /** Depth, height, width. */
    private final int[] dilation;
    private final int groups;
    private final PaddingMode paddingMode;
    /** Depth, height, width. */
    private final int[] outputPadding;

    private Conv3dParams(Builder b) {
        this.stride = b.stride.clone();
        this.padding = b.padding.clone();
        this.dilation = b.dilation.clone();
        this.groups = b.groups;
        this.paddingMode = b.paddingMode;
        this.outputPadding = b.outputPadding.clone();
    }

    /**
     * A builder that starts from these parameters.
     *
     * @return a new builder holding these values
     */
    public Builder toBuilder() {
        Builder b = builder().stride(stride[0], stride[1], stride[2])
                .padding(padding[0], padding[1], padding[2], padding[3], padding[4], padding[5])
                .dilation(dilation[0], dilation[1], dilation[2]).groups(groups).paddingMode(paddingMode);
        return b.outputPadding(outputPadding[0], outputPadding[1], outputPadding[2]);
    }

    /**
     * A builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the depth stride} */
    public int strideD() {
        return stride[0];
    }

    /** {@return the vertical stride} */
    public int strideH() {
        return stride[1];
    }

    /** {@return the horizontal stride} */
    public int strideW() {
        return stride[2];
    }

    /** {@return the planes of padding before the input (depth)} */
    public int padFront() {
        return padding[0];
    }

    /** {@return the planes of padding after the input (depth)} */
    public int padBack() {
        return padding[1];
    }

    /** {@return the rows of padding above the input} */
    public int padTop() {
        return padding[2];
    }

    /** {@return the rows of padding below the input} */
    public int padBottom() {
        return padding[3];
    }

    /** {@return the columns of padding left of the input} */
    public int padLeft() {
        return padding[4];
    }

    /** {@return the columns of padding right of the input} */
    public int padRight() {
        return padding[5];
    }

    /** {@return the depth dilation} */
    public int dilationD() {
        return dilation[0];
    }

    /** {@return the vertical dilation} */
    public int dilationH() {
        return dilation[1];
    }

    /** {@return the horizontal dilation} */
    public int dilationW() {
        return dilation[2];
    }

    /** {@return the number of channel groups} */
    public int groups() {
        return groups;
    }

    /** {@return what the padding holds ({@link PaddingMode#ZEROS} by default)} */
    public PaddingMode paddingMode() {
        return paddingMode;
    }

    /** {@return the output padding along the depth (transposed convolutions only)} */
    public int outputPaddingD() {
        return outputPadding[0];
    }

    /** {@return the output padding along the height (transposed convolutions only)} */
    public int outputPaddingH() {
        return outputPadding[1];
    }

    /** {@return the output padding along the width (transposed convolutions only)} */
    public int outputPaddingW() {
        return outputPadding[2];
    }

    /** {@return whether some output padding is set} */
    boolean hasOutputPadding() {
        return outputPadding[0] != 0 || outputPadding[1] != 0 || outputPadding[2] != 0;
    }

    /** These parameters without padding: those of the convolution of an input padded beforehand. */
    Conv3dParams unpadded() {
        return builder().stride(stride[0], stride[1], stride[2]).dilation(dilation[0], dilation[1], dilation[2])
                .groups(groups).build();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Conv3dParams)) {
            return false;
        }
        Conv3dParams p = (Conv3dParams) o;
        return Arrays.equals(stride, p.stride) && Arrays.equals(padding, p.padding)
                && Arrays.equals(dilation, p.dilation) && groups == p.groups && paddingMode == p.paddingMode
                && Arrays.equals(outputPadding, p.outputPadding);
    }

    @Override
    public int hashCode() {
        return (((Arrays.hashCode(stride) * 31 + Arrays.hashCode(padding)) * 31 + Arrays.hashCode(dilation)) * 31
                + groups) * 31 + paddingMode.hashCode() + 961 * Arrays.hashCode(outputPadding);
    }

    /**
     * E.g. {@code Conv3dParams{stride=1x2x2, padding=(front 1, back 1, top 1, bottom 1, left 1, right 1),
     * dilation=1x1x1, groups=1}}; a padding mode other than zeros is added as {@code , paddingMode=REFLECT}, an
     * output padding as {@code , outputPadding=1x1x0}.
     */
    @Override
    public String toString() {
        return "Conv3dParams{stride=" + stride[0] + "x" + stride[1] + "x" + stride[2]
                + ", padding=(front " + padding[0] + ", back " + padding[1] + ", top " + padding[2] + ", bottom "
                + padding[3] + ", left " + padding[4] + ", right " + padding[5] + ")"
                + ", dilation=" + dilation[0] + "x" + dilation[1] + "x" + dilation[2] + ", groups=" + groups
                + (paddingMode == PaddingMode.ZEROS ? "" : ", paddingMode=" + paddingMode)
                + (hasOutputPadding() ? ", outputPadding=" + outputPadding[0] + "x" + outputPadding[1] + "x"
                + outputPadding[2] : "") + "}";
    }

    /** Builds {@link Conv3dParams}; {@link #build()} checks the values, so setters can be called in any order. */
    public static final class Builder extends ParamsBuilder<Builder> {
        private final int[] stride = {1, 1, 1};
        private final int[] padding = new int[6];
        private final int[] dilation = {1, 1, 1};
        private final int[] outputPadding = new int[3];

        private Builder() {
        }

        /**
         * The same stride along the three axes.
         *
         * @param s the stride (at least 1)
         * @return this builder
         */
        public Builder stride(int s) {
            return stride(s, s, s);
        }

        /**
         * The stride per axis.
         *
         * @param sd the depth stride
         * @param sh the vertical stride
         * @param sw the horizontal stride
         * @return this builder
         */
        public Builder stride(int sd, int sh, int sw) {
            stride[0] = sd;
            stride[1] = sh;
            stride[2] = sw;
            return this;
        }

        /**
         * The same padding on all six sides.
         *
         * @param p the padding of each side (at least 0)
         * @return this builder
         */
        public Builder padding(int p) {
            return padding(p, p, p, p, p, p);
        }

        /**
         * Six-sided padding.
         *
         * @param front planes before the input
         * @param back planes after the input
         * @param top rows above
         * @param bottom rows below
         * @param left columns on the left
         * @param right columns on the right
         * @return this builder
         */
        public Builder padding(int front, int back, int top, int bottom, int left, int right) {
            int[] p = {front, back, top, bottom, left, right};
            System.arraycopy(p, 0, padding, 0, 6);
            return this;
        }

        /**
         * The same dilation along the three axes.
         *
         * @param d the dilation (at least 1)
         * @return this builder
         */
        public Builder dilation(int d) {
            return dilation(d, d, d);
        }

        /**
         * The dilation per axis.
         *
         * @param dd the depth dilation
         * @param dh the vertical dilation
         * @param dw the horizontal dilation
         * @return this builder
         */
        public Builder dilation(int dd, int dh, int dw) {
            dilation[0] = dd;
            dilation[1] = dh;
            dilation[2] = dw;
            return this;
        }

        /**
         * The same output padding along the three axes (transposed convolutions only).
         *
         * @param op the output padding (at least 0, below the stride or the dilation of each axis)
         * @return this builder
         */
        public Builder outputPadding(int op) {
            return outputPadding(op, op, op);
        }

        /**
         * The output padding per axis (transposed convolutions only): planes, rows and columns added after the
         * transposed output, which no input reaches and which hold only the bias.
         *
         * @param od along the depth
         * @param oh along the height
         * @param ow along the width
         * @return this builder
         */
        public Builder outputPadding(int od, int oh, int ow) {
            outputPadding[0] = od;
            outputPadding[1] = oh;
            outputPadding[2] = ow;
            return this;
        }

        /**
         * Checks every value and builds.
         *
         * @return the parameters
         * @throws IllegalArgumentException naming the first value out of range
         */
        public Conv3dParams build() {
            String[] axes = {"D", "H", "W"};
            for (int i = 0; i < 3; i++) {
                atLeast("stride" + axes[i], stride[i], 1);
                atLeast("dilation" + axes[i], dilation[i], 1);
                atLeast("outputPadding" + axes[i], outputPadding[i], 0);
            }
            String[] sides = {"padFront", "padBack", "padTop", "padBottom", "padLeft", "padRight"};
            for (int i = 0; i < 6; i++) {
                atLeast(sides[i], padding[i], 0);
            }
            atLeast("groups", groups, 1);
            return new Conv3dParams(this);
        }
    }
}
