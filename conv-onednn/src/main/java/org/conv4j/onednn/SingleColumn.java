package org.conv4j.onednn;

import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;

/**
 * Forward passes with a single output column, unit row stride and a column stride above 1, which oneDNN 3.11
 * computes wrongly: its {@code brgemm} kernels then treat the output rows as one run of positions spaced by the
 * column stride ("os blocking", chosen when {@code ow == 1} or the dilated kernel is no wider than the column
 * stride), and every output row after the first reads the wrong input columns (docs/onednn.md, "Layers oneDNN's
 * padding cannot run"). The column stride is meaningless when there is one output column, so the same outputs
 * are computed from the columns that column's window covers, padding included, with a column stride of 1: the
 * input {@code (N, C, H, kWext)} holds padded columns {@code [0, kWext)} of the original ({@code kWext} the
 * dilated kernel width; zeros for padding, as conv4j's padding is a real zero), with no column padding.
 *
 * <p>3D layers ({@link #affects(Conv3dShape)}) are narrowed the same way, input {@code (N, C, D, H, kWext)}, whenever
 * there is one output column and a column stride above 1, whatever the depth and row strides: the forward pass
 * was seen wrong there with a depth stride of 4 as well, and the narrowed layer computes the same outputs anyway.
 * The backward passes agreed with the reference on such layers (2D and 3D) and are not narrowed.
 */
final class SingleColumn {

    private SingleColumn() {
    }

    /** Whether {@code s} is such a layer. */
    static boolean affects(ConvShape s) {
        return s.outW() == 1 && s.params().strideH() == 1 && s.params().strideW() > 1;
    }

    /** The parameters of the equivalent layer: column stride 1, no column padding. */
    static ConvParams params(ConvShape s) {
        ConvParams p = s.params();
        return p.toBuilder().stride(p.strideH(), 1).padding(p.padTop(), p.padBottom(), 0, 0).build();
    }

    /** The columns the single output column reads, padded columns {@code [0, kWext)} of the input. */
    static Tensor4D input(ConvShape s, Tensor4D input) {
        int width = s.cols().dilatedKernel();
        Tensor4D narrow = Tensor4D.zeros(s.batch(), s.inChannels(), s.inH(), width);
        narrow(input.data(), s.batch() * s.inChannels() * s.inH(), s.inW(), s.params().padLeft(), width,
                narrow.data());
        return narrow;
    }

    /** Whether the 3D layer {@code s} has one output column and a column stride above 1. */
    static boolean affects(Conv3dShape s) {
        return s.cols().out() == 1 && s.cols().stride() > 1;
    }

    /** The parameters of the equivalent 3D layer: column stride 1, no column padding, the rest unchanged. */
    static Conv3dParams params(Conv3dShape s) {
        Conv3dParams p = s.params();
        return Conv3dParams.builder().stride(p.strideD(), p.strideH(), 1)
                .padding(p.padFront(), p.padBack(), p.padTop(), p.padBottom(), 0, 0)
                .dilation(p.dilationD(), p.dilationH(), p.dilationW()).groups(p.groups())
                .paddingMode(p.paddingMode()).build();
    }

    /** The columns the single output column of a 3D layer reads: padded columns {@code [0, kWext)} of the input. */
    static Tensor5D input(Conv3dShape s, Tensor5D input) {
        int width = s.cols().dilatedKernel();
        Tensor5D narrow = Tensor5D.zeros(s.batch(), s.inChannels(), s.depth().in(), s.rows().in(), width);
        narrow(input.data(), s.batch() * s.inChannels() * s.depth().in() * s.rows().in(), s.cols().in(),
                s.params().padLeft(), width, narrow.data());
        return narrow;
    }

    /**
     * Copies, of each of {@code rows} rows of {@code inW} floats in {@code x}, the part that padded columns
     * {@code [0, width)} cover (padded column {@code q} is input column {@code q - before}; those outside
     * {@code [0, inW)} stay zero) into the rows of {@code width} floats of {@code out}.
     */
    private static void narrow(float[] x, int rows, int inW, int before, int width, float[] out) {
        int from = Math.max(0, before);
        int to = Math.min(width, before + inW);
        if (to <= from) {
            return;
        }
        for (int row = 0; row < rows; row++) {
            System.arraycopy(x, row * inW + from - before, out, row * width + from, to - from);
        }
    }
}
