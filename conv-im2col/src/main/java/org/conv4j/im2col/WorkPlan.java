package org.conv4j.im2col;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.CostModel;
import org.conv4j.openblas.NativeFloats;

/**
 * How a call is cut into units that fit the workspace: chunks of {@link #images} whole images, or, when
 * one image alone does not fit, bands of {@link #rows} output rows of one image. In 2D an output row is one
 * {@code oh} ({@code outH} rows per image); in 3D it is one {@code (od, oh)}, numbered {@code od*outH + oh}
 * ({@code outD*outH} rows per image), so a band may span several depth slices. Each row has {@link #rowLength}
 * ({@code outW}) output positions.
 *
 * <p>The workspace is one native buffer laid out as
 * <pre>
 *   [ weight K x P | (backward) weight gradient K x P | column matrices | GEMM outputs / output gradients ]
 * </pre>
 * with {@code P = C/groups*kH*kW} ({@code C/groups*kD*kH*kW} in 3D). Per unit of {@code q} output positions it
 * holds {@code columnRows x q} column-matrix floats ({@code columnRows = C*kH*kW}, or {@code C*kD*kH*kW}: every
 * group's rows) and {@code K x q} GEMM-output floats, so {@code floatsPerPosition = columnRows + K}, and
 * {@link #capacity} is {@code fixed + images*rows*rowLength*floatsPerPosition} floats. The offsets of the regions
 * are {@link #weightGradient}, {@link #columns} and {@link #outputs}.
 *
 * @param images     images per chunk ({@code > 1} only when {@code rows} is a whole image)
 * @param rows       output rows per band (all of an image's rows when whole images fit)
 * @param identity   true where lowering is the identity ({@link CostModel#isIdentityLowering(ConvShape)}): the
 *                   input rows are the column matrix
 * @param fixed      floats of the weight (and weight gradient) at the start of the buffer
 * @param capacity   floats of the whole buffer
 * @param weight     floats of the weight, {@code K x P}
 * @param columnRows rows of the column matrix of all groups
 * @param rowLength  output positions per output row, {@code outW}
 */
record WorkPlan(int images, int rows, boolean identity, long fixed, long capacity, long weight, long columnRows,
                int rowLength) {

    /**
     * The plan for {@code s} within {@code limitBytes}. If not even one output row fits, one row is used
     * anyway (the smallest unit of work; documented in {@link org.conv4j.api.Workspace}).
     *
     * @throws UnsupportedOperationException if one output row needs more floats than a buffer can index
     */
    static WorkPlan of(ConvShape s, long limitBytes, boolean backward) {
        return of(s, s.batch(), s.outChannels(), (long) s.outChannels() * s.patchSize(),
                (long) s.inChannels() * s.kernelH() * s.kernelW(), s.outW(), s.outH(), CostModel.isIdentityLowering(s),
                limitBytes, backward);
    }

    /** The plan for the 3D geometry {@code s} within {@code limitBytes}, as {@link #of(ConvShape, long, boolean)}. */
    static WorkPlan of(Conv3dShape s, long limitBytes, boolean backward) {
        long taps = (long) s.depth().kernel() * s.rows().kernel() * s.cols().kernel();
        return of(s, s.batch(), s.outChannels(), (long) s.outChannels() * s.inChannelsPerGroup() * taps,
                s.inChannels() * taps, s.cols().out(), s.depth().out() * s.rows().out(), CostModel.isIdentityLowering(s),
                limitBytes, backward);
    }

    /**
     * True if the smallest unit of {@code s} (one output row, the weight and, for the backward pass, its gradient)
     * fits a buffer's index range: the geometries {@link #of(Conv3dShape, long, boolean)} can plan.
     */
    static boolean fits(Conv3dShape s, boolean backward) {
        try {
            of(s, 0, backward);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    private static WorkPlan of(Object shape, int batch, int outChannels, long weight, long columnRows, int rowLength,
                               int rowsPerImage, boolean identity, long limitBytes, boolean backward) {
        long fixed = backward ? 2 * weight : weight;
        long perPosition = columnRows + outChannels;
        long perRow = perPosition * rowLength;
        long perImage = perRow * rowsPerImage;
        long available = Math.min(limitBytes / Float.BYTES, NativeFloats.MAX_CAPACITY) - fixed;
        int images;
        int rows;
        if (perImage <= available) {
            long byTarget = Math.max(1, Im2colTuning.CHUNK_TARGET_FLOATS / (columnRows * rowsPerImage * rowLength));
            images = (int) Math.min(batch, Math.min(available / perImage, byTarget));
            rows = rowsPerImage;
        } else {
            images = 1;
            rows = (int) Math.max(1, Math.min(rowsPerImage, available / perRow));
        }
        long capacity = fixed + (long) images * rows * perRow;
        if (capacity > NativeFloats.MAX_CAPACITY) {
            throw new UnsupportedOperationException("im2col: one output row of " + shape + " needs "
                    + (fixed + perRow) + " floats of workspace, more than the " + NativeFloats.MAX_CAPACITY
                    + " a Java buffer can index; use another backend for this shape");
        }
        return new WorkPlan(images, rows, identity, fixed, capacity, weight, columnRows, rowLength);
    }

    /** {@return the offset of the weight gradient (backward only), after the weight} */
    long weightGradient() {
        return weight;
    }

    /** {@return the offset of the column matrix, after the fixed part} */
    long columns() {
        return fixed;
    }

    /** {@return the offset of the GEMM outputs, after the column matrix of a full unit} */
    long outputs() {
        return fixed + columnRows * images * rows * rowLength;
    }
}
