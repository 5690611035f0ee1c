package org.conv4j.direct;

/**
 * The geometry of one 2D correlation of an input plane with a kernel, as the kernels of this package see
 * it: output element {@code (oh, ow)} at tap {@code (i, j)} reads input element
 * <pre>
 *   ih = oh*strideH - padTop + i*dilationH,   iw = ow*strideW - padLeft + j*dilationW
 * </pre>
 * and a position outside {@code [0, inH) x [0, inW)} is either a real zero ({@code zeroPadding}: it
 * contributes {@code 0 * w}, as in the forward pass) or absent (it contributes nothing, as in the input
 * gradient computed as a correlation of {@code dL/dy}). Paddings may be negative (the input gradient's
 * correlation crops when the forward padding is wider than the kernel); every range below allows that.
 *
 * <p>Precomputed: for each kernel column {@code j} the output columns {@code [colLo[j], colHi[j])} whose tap
 * lies inside the input, and the interior rectangle of outputs whose every tap lies inside.
 */
final class PlaneGeometry {

    final int inH;
    final int inW;
    final int outH;
    final int outW;
    final int kernelH;
    final int kernelW;
    final int strideH;
    final int strideW;
    final int dilationH;
    final int dilationW;
    final int padTop;
    final int padLeft;
    final boolean zeroPadding;
    /** Output columns {@code [colLo[j], colHi[j])} read kernel column {@code j} from inside the input. */
    final int[] colLo;
    final int[] colHi;
    /** Output rows and columns whose whole window lies inside the input (possibly empty: lo >= hi). */
    final int interiorRowLo;
    final int interiorRowHi;
    final int interiorColLo;
    final int interiorColHi;

    PlaneGeometry(int inH, int inW, int outH, int outW, int kernelH, int kernelW, int strideH, int strideW,
                  int dilationH, int dilationW, int padTop, int padLeft, boolean zeroPadding) {
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        this.kernelH = kernelH;
        this.kernelW = kernelW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.padTop = padTop;
        this.padLeft = padLeft;
        this.zeroPadding = zeroPadding;
        this.colLo = new int[kernelW];
        this.colHi = new int[kernelW];
        int lo = 0;
        int hi = outW;
        for (int j = 0; j < kernelW; j++) {
            colLo[j] = firstInside(padLeft - j * dilationW, strideW, outW);
            colHi[j] = Math.max(colLo[j], endInside(inW - 1 + padLeft - j * dilationW, strideW, outW));
            lo = Math.max(lo, colLo[j]);
            hi = Math.min(hi, colHi[j]);
        }
        this.interiorColLo = lo;
        this.interiorColHi = Math.max(lo, hi);
        int rowLo = 0;
        int rowHi = outH;
        for (int i = 0; i < kernelH; i++) {
            int first = firstInside(padTop - i * dilationH, strideH, outH);
            rowLo = Math.max(rowLo, first);
            rowHi = Math.min(rowHi, Math.max(first, endInside(inH - 1 + padTop - i * dilationH, strideH, outH)));
        }
        this.interiorRowLo = rowLo;
        this.interiorRowHi = Math.max(rowLo, rowHi);
    }

    /** The smallest {@code o} with {@code o*stride >= offset}: {@code ceil(offset / stride)}, clamped to [0, out]. */
    private static int firstInside(long offset, int stride, int out) {
        long o = -Math.floorDiv(-offset, (long) stride);
        return (int) Math.min(Math.max(o, 0), out);
    }

    /** One past the largest {@code o} with {@code o*stride <= last}: {@code floor(last / stride) + 1}, clamped. */
    private static int endInside(long last, int stride, int out) {
        long o = Math.floorDiv(last, (long) stride) + 1;
        return (int) Math.min(Math.max(o, 0), out);
    }

    /** The input row read by output row {@code oh} at kernel row {@code i} (may lie outside the input). */
    int inputRow(int oh, int i) {
        return oh * strideH - padTop + i * dilationH;
    }

    /** The input column read by output column {@code ow} at kernel column {@code j} (may lie outside). */
    int inputCol(int ow, int j) {
        return ow * strideW - padLeft + j * dilationW;
    }

    boolean rowInside(int ih) {
        return ih >= 0 && ih < inH;
    }

    /** True if every tap of output row {@code oh} reads an input row. */
    boolean interiorRow(int oh) {
        return oh >= interiorRowLo && oh < interiorRowHi;
    }
}
