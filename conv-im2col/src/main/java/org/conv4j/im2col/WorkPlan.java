package org.conv4j.im2col;

import org.conv4j.api.ConvShape;
import org.conv4j.openblas.NativeFloats;

/**
 * How a call is cut into units that fit the workspace: chunks of {@link #images} whole images, or, when
 * one image alone does not fit, bands of {@link #rows} output rows of one image.
 *
 * <p>The workspace is one native buffer laid out as
 * <pre>
 *   [ weight K x P | (backward) weight gradient K x P | column matrices | GEMM outputs / output gradients ]
 * </pre>
 * with {@code P = C/groups*kH*kW}. Per unit of {@code q} output positions it holds {@code C*kH*kW x q}
 * column-matrix floats (every group's rows) and {@code K x q} GEMM-output floats, so
 * {@code floatsPerPosition = C*kH*kW + K}, and {@link #capacity} is
 * {@code fixed + images*rows*outW*floatsPerPosition} floats.
 *
 * @param images   images per chunk ({@code > 1} only when {@code rows == outH})
 * @param rows     output rows per band ({@code outH} when whole images fit)
 * @param identity true for a 1x1 kernel with stride 1 and no padding: the input rows are the column matrix
 * @param fixed    floats of the weight (and weight gradient) at the start of the buffer
 * @param capacity floats of the whole buffer
 */
record WorkPlan(int images, int rows, boolean identity, long fixed, long capacity) {

    static boolean isIdentity(ConvShape s) {
        var p = s.params();
        return s.kernelH() == 1 && s.kernelW() == 1 && !p.isStrided() && !p.isPadded();
    }

    /**
     * The plan for {@code s} within {@code limitBytes}. If not even one output row fits, one row is used
     * anyway (the smallest unit of work; documented in {@link org.conv4j.api.Workspace}).
     *
     * @throws UnsupportedOperationException if one output row needs more floats than a buffer can index
     */
    static WorkPlan of(ConvShape s, long limitBytes, boolean backward) {
        long weight = (long) s.outChannels() * s.patchSize();
        long fixed = backward ? 2 * weight : weight;
        long columnRows = (long) s.inChannels() * s.kernelH() * s.kernelW();
        long perPosition = columnRows + s.outChannels();
        long perRow = perPosition * s.outW();
        long perImage = perRow * s.outH();
        long available = Math.min(limitBytes / Float.BYTES, NativeFloats.MAX_CAPACITY) - fixed;
        int images;
        int rows;
        if (perImage <= available) {
            long byTarget = Math.max(1, Im2colTuning.CHUNK_TARGET_FLOATS / (columnRows * s.outPlane()));
            images = (int) Math.min(s.batch(), Math.min(available / perImage, byTarget));
            rows = s.outH();
        } else {
            images = 1;
            rows = (int) Math.max(1, Math.min(s.outH(), available / perRow));
        }
        long capacity = fixed + (long) images * rows * perRow;
        if (capacity > NativeFloats.MAX_CAPACITY) {
            throw new UnsupportedOperationException("im2col: one output row of " + s + " needs "
                    + (fixed + perRow) + " floats of workspace, more than the " + NativeFloats.MAX_CAPACITY
                    + " a Java buffer can index; use another backend for this shape");
        }
        return new WorkPlan(images, rows, isIdentity(s), fixed, capacity);
    }
}
