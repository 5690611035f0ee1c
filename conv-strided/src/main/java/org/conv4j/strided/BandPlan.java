package org.conv4j.strided;

import org.conv4j.api.ConvShape;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.strided.StridedBackend.Path;

/**
 * How one call fits the workspace limit ({@link org.conv4j.api.Workspace}, the same policy and default as
 * the im2col backend): images are processed one at a time, each in bands of {@link #rows} output rows.
 * The native workspace is one pooled buffer, laid out as
 * <pre>
 *   zero-copy:  [ W by tap  T*K*Cg | (bwd) dW by tap | phases sh*sw*C*Hq*Wq | (bwd) their gradient | Y or dY band  K*L ]
 *   gathered:   [ W  K*R           | (bwd) dW        | col  R*q      | (bwd) dCol  | Y or dY band  K*q ]
 * </pre>
 * with {@code T = kH*kW}, {@code R = Cg*kH*kW}, {@code q = rows*outW} and {@code L = (rows-1)*Wq + outW}; the phase layout
 * ({@link WindowView#tapMatrix}) is the padded image itself ({@code C*Hp*Wp}) at stride 1.
 * The zero-copy path needs a whole padded image in the workspace (its tap matrices span it); if that and
 * one output row do not fit, the call falls back to the gathered path, whose bands can shrink to one row.
 * A gathered band of one row is the smallest unit of work and is used even if it exceeds the limit.
 *
 * @param path     the path actually run (may differ from the preferred one, see above)
 * @param rows     output rows per band
 * @param weights  floats of the weight area (and of the weight-gradient area, backward)
 * @param image    floats of the padded-image area (and of the dXpad area, backward): zero-copy only, else 0
 * @param columns  floats of the column area (and of the dCol area, backward): gathered only, else 0
 * @param band     floats of the output / output-gradient band area
 * @param backward whether the gradient areas are present
 */
record BandPlan(Path path, int rows, long weights, long image, long columns, long band, boolean backward) {

    static BandPlan of(ConvShape s, Path preferred, boolean backward, long limitBytes) {
        int copies = backward ? 2 : 1;
        long limit = Math.min(limitBytes / Float.BYTES, NativeFloats.MAX_CAPACITY);
        long k = s.outChannels();
        long wp = WindowView.phaseW(s);
        if (preferred == Path.ZERO_COPY) {
            long weights = (long) s.kernelH() * s.kernelW() * k * s.inChannelsPerGroup();
            long image = WindowView.phaseImageLength(s);
            long available = limit - copies * (weights + image);
            long perRow = k * wp;
            if (available >= k * s.outW()) {
                int rows = (int) Math.max(1, Math.min(s.outH(), (available - k * s.outW()) / perRow + 1));
                long band = k * ((rows - 1L) * wp + s.outW());
                return new BandPlan(Path.ZERO_COPY, rows, weights, image, 0, band, backward);
            }
        }
        long weights = k * s.patchSize();
        long perRow = copies * s.patchSize() * s.outW() + k * s.outW();
        long available = limit - copies * weights;
        int rows = (int) Math.max(1, Math.min(s.outH(), available / perRow));
        BandPlan plan = new BandPlan(Path.GATHERED, rows, weights, 0, s.patchSize() * rows * s.outW(),
                k * rows * s.outW(), backward);
        if (plan.capacity() > NativeFloats.MAX_CAPACITY) {
            throw new UnsupportedOperationException("strided: one output row of " + s + " needs "
                    + plan.capacity() + " floats of workspace, more than the " + NativeFloats.MAX_CAPACITY
                    + " a buffer can index; use another backend for this shape");
        }
        return plan;
    }

    private int copies() {
        return backward ? 2 : 1;
    }

    /** Total floats of the workspace. */
    long capacity() {
        return copies() * (weights + image + columns) + band;
    }

    /** Offset of the weights (tap-major on the zero-copy path, OIHW on the gathered path). */
    long weightAt() {
        return 0;
    }

    /** Offset of the weight-gradient accumulator (backward). */
    long weightGradAt() {
        return weights;
    }

    /** Offset of the padded image (zero-copy). */
    long imageAt() {
        return copies() * weights;
    }

    /** Offset of the padded input gradient (zero-copy backward). */
    long imageGradAt() {
        return imageAt() + image;
    }

    /** Offset of the column matrix (gathered). */
    long columnsAt() {
        return copies() * (weights + image);
    }

    /** Offset of the column-matrix gradient (gathered backward). */
    long columnsGradAt() {
        return columnsAt() + columns;
    }

    /** Offset of the output (or output-gradient) band. */
    long bandAt() {
        return copies() * (weights + image + columns);
    }
}
