package org.conv4j.onednn;

import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

/**
 * Forward passes with a single output column, unit row stride and a column stride above 1, which oneDNN 3.11
 * computes wrongly: its {@code brgemm} kernels then treat the output rows as one run of positions spaced by the
 * column stride ("os blocking", chosen when {@code ow == 1} or the dilated kernel is no wider than the column
 * stride), and every output row after the first reads the wrong input columns (docs/onednn.md, "Layers oneDNN's
 * padding cannot run"). The column stride is meaningless when there is one output column, so the same outputs
 * are computed from the columns that column's window covers, padding included, with a column stride of 1: the
 * input {@code (N, C, H, kWext)} holds padded columns {@code [0, kWext)} of the original ({@code kWext} the
 * dilated kernel width; zeros for padding, as conv4j's padding is a real zero), with no column padding.
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
        ConvAxis cols = s.cols();
        int width = cols.dilatedKernel();
        int before = s.params().padLeft();
        Tensor4D narrow = Tensor4D.zeros(s.batch(), s.inChannels(), s.inH(), width);
        float[] x = input.data();
        float[] out = narrow.data();
        // padded column q is input column q - padLeft; only those inside [0, W) are copied
        int from = Math.max(0, before);
        int to = Math.min(width, before + s.inW());
        for (int row = 0; row < s.batch() * s.inChannels() * s.inH(); row++) {
            if (to > from) {
                System.arraycopy(x, row * s.inW() + from - before, out, row * width + from, to - from);
            }
        }
        return narrow;
    }
}
