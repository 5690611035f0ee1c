package org.conv4j.nd4j;

import org.conv4j.api.Tensor4D;
import org.conv4j.openblas.OpenBlasSetup;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * Conversions between ND4J's {@link INDArray} and conv4j's {@link Tensor4D}, for applications that hold
 * their data in ND4J. Every conversion copies (a {@code Tensor4D} lives on the Java heap, an
 * {@code INDArray} off-heap), so neither side sees later writes to the other.
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
     * A new FLOAT, 'c'-ordered {@code [N, C, H, W]} array holding a copy of {@code tensor}.
     *
     * @param tensor the tensor
     * @return a new array
     */
    public static INDArray toINDArray(Tensor4D tensor) {
        Objects.requireNonNull(tensor, "tensor must not be null");
        return Nd4j.create(tensor.data().clone(),
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
