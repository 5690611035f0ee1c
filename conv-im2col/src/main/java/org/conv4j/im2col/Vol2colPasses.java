package org.conv4j.im2col;

import org.conv4j.api.Conv3dShape;
import org.conv4j.spi.CostModel;
import org.conv4j.openblas.AbstractGemmBackend;
import org.conv4j.openblas.AbstractGemmBackend.Band;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.openblas.Parallel;

/**
 * The 3D passes of the {@code im2col} backend on a call's workspace ({@link WorkPlan}, {@link Regions}): vol2col and
 * the same per-group GEMMs as 2D, on heap NCDHW arrays.
 *
 * <p><b>The column matrix</b> of a unit (images {@code n0..}, output rows {@code [r0, r1)} of the volume, numbered
 * {@code r = od*outH + oh}), row-major, {@code C*kD*kH*kW} rows of {@code u.width()} floats:
 * <pre>
 *   row    (c*kD + a)*kH*kW + i*kW + j                (input channel c, kernel tap (a, i, j))
 *   column b*q + (r - r0)*outW + ow                     (image n0 + b, output position (od, oh, ow))
 *   value  x[n0 + b, c, od*sd - padFront + a*dd, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw], 0 outside
 * </pre>
 * (one row: {@link Im2col#vol2colRow}). Group {@code g}'s rows are {@code g*P ..} with {@code P = C/groups*kD*kH*kW},
 * and the OIDHW weight's rows are its filters, so for every unit and group ({@code Kg = K/groups}):
 * <pre>
 *   Y[g]   (Kg x w) = W[g] (Kg x P) * cols[g] (P x w)            forward, then + bias[k]
 *   dW[g]  (Kg x P) = sum over units of dY[g] * cols[g]^T        (units in a fixed order)
 *   dcols[g]        = W[g]^T * dY[g],   dX = col2vol(dcols)      ({@link Im2col#col2volRow} adds each entry back)
 *   db[k]           = sum of dY[n, k, ...]
 * </pre>
 * A 1x1x1 kernel with stride 1 and no padding ({@link CostModel#isIdentityLowering(Conv3dShape)}) lowers nothing: the
 * input's rows are the column matrix and are copied as they are (col2vol is a plain copy back).
 *
 * <p>Padding entries of the column matrix are real zeros, so a non-finite weight times padding is NaN in the GEMM,
 * as in the reference; a non-finite input element reaches only the columns (outputs) whose window holds it.
 * vol2col, col2vol and the copies run in parallel over (image, channel); the GEMMs on OpenBLAS's threads.
 */
final class Vol2colPasses {

    private Vol2colPasses() {
    }

    /** The forward pass of {@code s}: {@code y} (zero on entry) receives the output. */
    static void forward(Conv3dShape s, WorkPlan plan, NativeFloats buf, float[] x, float[] w, float[] bias,
                        float[] y) {
        Lowering l = new Lowering(s, plan);
        buf.copyFrom(w, 0, 0, w.length);
        AbstractGemmBackend.forEachBand(s.batch(), l.rowsPerImage, l.outW, plan.images(), plan.rows(), u -> {
            fillColumns(s, l, x, buf, u);
            for (int g = 0; g < s.params().groups(); g++) {
                l.forwardProduct(buf, u, g);
            }
            u.copyOut(s.outChannels(), l.outVolume, l.outW, buf, l.outRow(u, 0), y, bias);
        });
    }

    /**
     * The backward pass of {@code s}, or one of its gradients alone: {@code dx} (zero on entry) and {@code dw} receive
     * the gradients; a null one is not computed, and what only it needs is skipped: without {@code dw} the input is
     * not lowered (vol2col) and {@code x} may be null, without {@code dx} the weights are not copied in, no column
     * gradient is computed and nothing is added back (col2vol), and {@code w} may be null. Each gradient alone is
     * the same GEMMs on the same data as in the whole pass, so it gives the whole pass's values.
     */
    static void backward(Conv3dShape s, WorkPlan plan, NativeFloats buf, float[] x, float[] w, float[] dy,
                         float[] dx, float[] dw) {
        Lowering l = new Lowering(s, plan);
        if (dx != null) {
            buf.copyFrom(w, 0, 0, w.length);
        }
        AbstractGemmBackend.forEachBand(s.batch(), l.rowsPerImage, l.outW, plan.images(), plan.rows(), u -> {
            u.copyIn(s.outChannels(), l.outVolume, l.outW, dy, buf, l.outRow(u, 0));
            if (dw != null) {
                fillColumns(s, l, x, buf, u);
            }
            for (int g = 0; g < s.params().groups(); g++) {
                if (dw != null) {
                    l.weightGradientProduct(buf, u, g);
                }
                if (dx != null) {
                    // over cols[g], which the weight gradient no longer needs (or, alone, was never filled: the
                    // product's beta is 0, so whatever the region held is overwritten)
                    l.columnGradientProduct(buf, u, g);
                }
            }
            if (dx != null) {
                addColumnsBack(s, l, buf, dx, u);
            }
        });
        if (dw != null) {
            buf.copyTo((int) l.weightGradient(0), dw, 0, dw.length);
        }
    }

    /**
     * Work on one input channel of one image of a unit: {@code volume} is the offset of its {@code D x H x W}
     * volume in the input (and in {@code dx}), {@code first} the workspace offset of its first column-matrix row
     * (its {@code kD*kH*kW} rows follow at a distance of {@code u.width()}, at column {@code b*q} for image
     * {@code b}).
     */
    private interface ChannelTask {
        void run(int volume, long first);
    }

    /**
     * Runs {@code task} for every (image, input channel) of the unit, in parallel when there is enough work. The
     * tasks own disjoint input volumes and column-matrix rows, so no two write the same element.
     */
    private static void forEachChannel(Conv3dShape s, Lowering l, Band u, ChannelTask task) {
        int channels = s.inChannels();
        Parallel.forEach(u.images() * channels, (long) channels * l.taps * u.width(), t -> {
            int b = t / channels;
            int c = t % channels;
            task.run(((u.n0() + b) * channels + c) * l.inVolume, l.colsRow(u, c * l.taps) + (long) b * u.q());
        });
    }

    /** Fills the unit's column matrix (vol2col; a copy of the input rows for the identity). */
    private static void fillColumns(Conv3dShape s, Lowering l, float[] x, NativeFloats buf, Band u) {
        int inD = s.depth().in();
        int inH = s.rows().in();
        int inW = s.cols().in();
        forEachChannel(s, l, u, (volume, first) -> {
            if (l.identity) { // output row r reads input row r: the band is a slice of the volume
                buf.copyFrom(x, volume + u.oh0() * inW, (int) first, u.q());
                return;
            }
            for (int t = 0; t < l.taps; t++) {
                Im2col.vol2colRow(x, volume, inD, inH, inW, l.depthTap(t), l.rowTap(t), l.colTap(t), l.geometry,
                        u.oh0(), u.oh1(), buf.buffer(), (int) (first + (long) t * u.width()));
            }
        });
    }

    /** Adds the unit's column-matrix gradients back into {@code dx} (col2vol). */
    private static void addColumnsBack(Conv3dShape s, Lowering l, NativeFloats buf, float[] dx, Band u) {
        int inD = s.depth().in();
        int inH = s.rows().in();
        int inW = s.cols().in();
        forEachChannel(s, l, u, (volume, first) -> {
            if (l.identity) { // one column entry per input element
                buf.copyTo((int) first, dx, volume + u.oh0() * inW, u.q());
                return;
            }
            float[] row = new float[u.q()];
            for (int t = 0; t < l.taps; t++) {
                buf.copyTo((int) (first + (long) t * u.width()), row, 0, u.q());
                Im2col.col2volRow(row, 0, l.depthTap(t), l.rowTap(t), l.colTap(t), l.geometry, u.oh0(), u.oh1(), dx,
                        volume, inD, inH, inW);
            }
        });
    }

    /** The workspace regions of a 3D call with the sizes and the geometry the kernels need. */
    private static final class Lowering extends Regions {
        final Im2col.VolumeGeometry geometry;
        /** Kernel taps per channel, {@code kD*kH*kW}. */
        final int taps;
        final int kernelH;
        final int kernelW;
        /** Output rows per image, {@code outD*outH}, and positions per row, {@code outW}. */
        final int rowsPerImage;
        final int outW;
        final int outVolume;
        final int inVolume;

        Lowering(Conv3dShape s, WorkPlan plan) {
            super(s.outChannelsPerGroup(), s.inChannelsPerGroup() * s.depth().kernel() * s.rows().kernel()
                    * s.cols().kernel(), plan);
            this.geometry = Im2col.VolumeGeometry.of(s);
            this.kernelH = s.rows().kernel();
            this.kernelW = s.cols().kernel();
            this.taps = s.depth().kernel() * kernelH * kernelW;
            this.rowsPerImage = s.depth().out() * s.rows().out();
            this.outW = s.cols().out();
            this.outVolume = rowsPerImage * outW;
            this.inVolume = s.depth().in() * s.rows().in() * s.cols().in();
        }

        /** The kernel depth tap {@code a} of tap {@code t = (a*kH + i)*kW + j}. */
        int depthTap(int t) {
            return t / (kernelH * kernelW);
        }

        /** The kernel row {@code i} of tap {@code t}. */
        int rowTap(int t) {
            return t / kernelW % kernelH;
        }

        /** The kernel column {@code j} of tap {@code t}. */
        int colTap(int t) {
            return t % kernelW;
        }
    }
}
