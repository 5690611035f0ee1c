package org.conv4j.strided;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The same view as {@link WindowView} as an {@link INDArray}, ND4J's counterpart of numpy's {@code as_strided}:
 * the tests read a view through ND4J to check that the geometry means what ND4J means by it.
 *
 * <p>The backend itself does not multiply through these arrays: ND4J 1.0.0-M2.1 copies a window view as soon as
 * it is used as a matrix ({@code reshape} to 2-D {@code dup}s it, {@code Nd4j.gemm} rejects a view as the
 * result and copies operand views whose row stride is not their column count). It reads the same geometry
 * directly (see {@link StridedBackend} and docs/strided.md).
 */
public final class Nd4jWindowViews {

    private Nd4jWindowViews() {
    }

    /**
     * {@code Nd4j.create(buffer, view.shape(), view.stride(), view.offset(), 'c')}, after proving with
     * {@link WindowView#checkFits} that every element of the view lies inside {@code buffer}: a mis-sized
     * request fails here with an {@link IllegalArgumentException} and no array that could read past the end
     * is ever created. The result shares {@code buffer} (no copy): writing through it writes the buffer.
     */
    public static INDArray create(DataBuffer buffer, WindowView view) {
        view.checkFits(buffer.length());
        return Nd4j.create(buffer, view.shape(), view.stride(), view.offset(), 'c');
    }
}
