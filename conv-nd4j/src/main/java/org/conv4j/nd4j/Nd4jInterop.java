package org.conv4j.nd4j;

import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.openblas.OpenBlasSetup;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Conversions between ND4J's {@link INDArray} and conv4j's {@link Tensor4D}, for applications that hold
 * their data in ND4J. {@link #view} uses a dense float array's native memory in place, as a native tensor (no
 * copy: writes through either are visible to both); the others copy, so neither side sees later writes to the
 * other.
 *
 * <p>Layouts: activations are NCHW on both sides ({@code [N, C, H, W]}, element {@code (n, c, h, w)} at
 * {@code ((n*C + c)*H + h)*W + w} of {@link Tensor4D#data()}). conv4j weights are OIHW
 * ({@code [K, C/groups, kH, kW]}); ND4J's {@code Nd4j.cnn().conv2d} takes weights as YXIO
 * ({@code [kH, kW, C/groups, K]}) by default, hence {@link #fromYxioWeights} and {@link #toYxioWeights}.
 *
 * <pre>{@code
 * INDArray x = ...;                                  // [N, C, H, W], any data type, any strides
 * Tensor4D y = Conv2d.forward(Nd4jInterop.toTensor(x), w, bias, params);
 * INDArray out = Nd4jInterop.toINDArray(y);          // FLOAT, 'c' order, [N, K, outH, outW]
 * }</pre>
 */
public final class Nd4jInterop {

    static {
        // ND4J loads OpenBLAS: set it up first (see OpenBlasSetup).
        OpenBlasSetup.ensureLoaded();
    }

    private Nd4jInterop() {
    }

    /**
     * A copy of a rank-4 array as a {@code Tensor4D}, element {@code (n, c, h, w)} of the array becoming
     * element {@code (n, c, h, w)} of the tensor. Any data type (converted to float32, as a Java cast would),
     * any ordering, views and strides included.
     *
     * @param array a rank-4 array
     * @return a new tensor
     * @throws NullPointerException if {@code array} is null
     * @throws IllegalArgumentException naming {@code array} if it is not rank 4, is empty, or has more
     *         elements than a Java array can hold
     */
    public static Tensor4D toTensor(INDArray array) {
        Objects.requireNonNull(array, "array must not be null");
        long[] shape = array.shape();
        if (array.rank() != 4 || array.isEmpty()) {
            throw new IllegalArgumentException("array: expected a non-empty rank-4 array [N, C, H, W], got rank "
                    + array.rank() + " with shape " + Arrays.toString(shape));
        }
        for (long d : shape) {
            if (d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("array: expected every dimension <= " + Integer.MAX_VALUE
                        + ", got shape " + Arrays.toString(shape));
            }
        }
        int n = (int) shape[0];
        int c = (int) shape[1];
        int h = (int) shape[2];
        int w = (int) shape[3];
        int size = Tensor4D.checkedSize("array", n, c, h, w);
        INDArray f = array.dataType() == DataType.FLOAT ? array : array.castTo(DataType.FLOAT);
        // The buffer can be read as it is only if it holds exactly the elements, densely, in 'c' order.
        boolean dense = f.ordering() == 'c' && f.offset() == 0 && !f.isView()
                && Shape.hasDefaultStridesForShape(f) && f.data().length() == size;
        if (!dense) {
            f = f.dup('c');
        }
        float[] data = f.data().asFloat();
        if (data.length != size) {
            data = Arrays.copyOf(data, size); // a larger shared buffer: the first size elements are ours
        }
        return Tensor4D.wrap(data, n, c, h, w);
    }

    /**
     * A native tensor over {@code array}'s own memory, without a copy: {@code array} must be FLOAT, in 'c' order and
     * dense (its default strides); its dimensions are {@code [N, C, H, W]} for {@link MemoryLayout#NCHW} and
     * {@code [N, H, W, C]} for {@link MemoryLayout#NHWC} (channels-last). The tensor keeps {@code array}
     * reachable, so ND4J cannot free the memory while the tensor is in use; closing the tensor does not free it.
     *
     * @param array a dense FLOAT rank-4 array in 'c' order
     * @param layout how the array's dimensions map onto the tensor's {@code (n, c, h, w)}
     * @return a native tensor sharing the array's memory
     * @throws IllegalArgumentException naming {@code array} if it is not rank 4, not FLOAT, not dense 'c' order,
     *         or too large for a tensor
     */
    public static Tensor4D view(INDArray array, MemoryLayout layout) {
        Objects.requireNonNull(array, "array must not be null");
        Objects.requireNonNull(layout, "layout must not be null");
        long[] shape = array.shape();
        if (array.rank() != 4 || array.isEmpty() || array.dataType() != DataType.FLOAT || array.ordering() != 'c'
                || !Shape.hasDefaultStridesForShape(array)) {
            throw new IllegalArgumentException("array: expected a dense FLOAT rank-4 array in 'c' order, got rank "
                    + array.rank() + ", " + array.dataType() + ", order '" + array.ordering() + "', shape "
                    + Arrays.toString(shape) + ", strides " + Arrays.toString(array.stride())
                    + " (dup('c') makes a dense copy)");
        }
        for (long d : shape) {
            if (d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("array: expected every dimension <= " + Integer.MAX_VALUE
                        + ", got shape " + Arrays.toString(shape));
            }
        }
        boolean last = layout == MemoryLayout.NHWC;
        int n = (int) shape[0];
        int c = (int) shape[last ? 3 : 1];
        int h = (int) shape[last ? 1 : 2];
        int w = (int) shape[last ? 2 : 3];
        int size = Tensor4D.checkedSize("array", n, c, h, w);
        // the data buffer's memory, in the platform's byte order (ND4J keeps it so), from the array's offset on
        FloatBuffer all = array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
        int offset = (int) array.offset();
        all.position(offset).limit(offset + size);
        return Tensor4D.wrap(all, layout, array, n, c, h, w);
    }

    /**
     * A FLOAT array over a native tensor's own memory, without a copy: {@code [N, C, H, W]} for an
     * {@link MemoryLayout#NCHW} tensor and {@code [N, H, W, C]} for an {@link MemoryLayout#NHWC} one, dense, in 'c'
     * order; writes through either are seen by both. The inverse of {@link #view(INDArray, MemoryLayout)}. The array
     * keeps the tensor's memory reachable: after {@link Tensor4D#close()} the memory is freed only once the array is
     * unreachable too (the tensor hands out its {@link Tensor4D#buffer()}, which defers the freeing to the JDK's
     * cleaner), so the array never reads freed memory.
     *
     * @param tensor a native tensor
     * @return an array sharing the tensor's memory
     * @throws IllegalArgumentException naming {@code tensor} if it lives on the heap (a Java array, which ND4J
     *         cannot use in place: {@link #toINDArray} copies it)
     * @throws IllegalStateException if the tensor is closed
     */
    public static INDArray view(Tensor4D tensor) {
        Objects.requireNonNull(tensor, "tensor must not be null");
        if (!tensor.isNative()) {
            throw new IllegalArgumentException("tensor: expected a native tensor (ND4J cannot use a Java array in "
                    + "place; toINDArray copies one), got a heap tensor " + tensor.shapeString());
        }
        // the pointer keeps the buffer, and through it the tensor's memory, reachable for the array's lifetime
        FloatPointer memory = new FloatPointer(tensor.buffer());
        DataBuffer data = Nd4j.createBuffer(memory, DataType.FLOAT, tensor.size(), FloatIndexer.create(memory));
        long[] shape = tensor.layout() == MemoryLayout.NHWC
                ? new long[] {tensor.n(), tensor.h(), tensor.w(), tensor.c()}
                : new long[] {tensor.n(), tensor.c(), tensor.h(), tensor.w()};
        return Nd4j.create(data, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    /**
     * A new FLOAT, 'c'-ordered {@code [N, C, H, W]} array holding a copy of {@code tensor}.
     *
     * @param tensor the tensor
     * @return a new array
     */
    public static INDArray toINDArray(Tensor4D tensor) {
        Objects.requireNonNull(tensor, "tensor must not be null");
        Tensor4D heap = tensor.toHeapNchw();
        return Nd4j.create(heap == tensor ? tensor.data().clone() : heap.data(),
                new long[] {tensor.n(), tensor.c(), tensor.h(), tensor.w()}, 'c');
    }

    /**
     * conv4j weights (OIHW, {@code [K, C/groups, kH, kW]}) from ND4J's default conv2d weight layout
     * (YXIO, {@code [kH, kW, C/groups, K]}): {@code result(k, c, i, j) = weights(i, j, c, k)}.
     *
     * @param weights ND4J weights {@code [kH, kW, C/groups, K]}
     * @return a new tensor {@code (K, C/groups, kH, kW)}
     */
    public static Tensor4D fromYxioWeights(INDArray weights) {
        Objects.requireNonNull(weights, "weights must not be null");
        if (weights.rank() != 4) {
            throw new IllegalArgumentException("weights: expected a rank-4 array [kH, kW, C/groups, K], got rank "
                    + weights.rank() + " with shape " + Arrays.toString(weights.shape()));
        }
        return toTensor(weights.permute(3, 2, 0, 1));
    }

    /**
     * ND4J's default conv2d weight layout (YXIO, {@code [kH, kW, C/groups, K]}) from conv4j's OIHW weights.
     *
     * @param weights conv4j weights {@code (K, C/groups, kH, kW)}
     * @return a new array {@code [kH, kW, C/groups, K]}
     */
    public static INDArray toYxioWeights(Tensor4D weights) {
        return toINDArray(weights).permute(2, 3, 1, 0).dup('c');
    }
}
