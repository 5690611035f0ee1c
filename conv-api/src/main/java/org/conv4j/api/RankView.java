package org.conv4j.api;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * What {@link Tensor3D} and {@link Tensor5D} share: each keeps its elements in a {@link Tensor4D} (of height 1, and
 * of height {@code D*H}) and differs from it only in the shape it shows, {@code (n, c, spatial..., w)}. Storage,
 * layout, lifetime and the element-wise operations are the 4D tensor's; the shape checks, texts and equality are
 * over the shown shape.
 *
 * <p>The layouts are named for the rank: with the spatial axes {@code S} ({@code W} in 1D, {@code DHW} in 3D),
 * {@link MemoryLayout#NCHW} is {@code NCS} and {@link MemoryLayout#NHWC} is {@code NSC}.
 */
abstract class RankView implements Shapes.Shaped, AutoCloseable {

    /** The storage, layout and lifetime. */
    final Tensor4D t;
    /** The shape shown, batch first. */
    private final int[] dims;

    RankView(Tensor4D t, int... dims) {
        this.t = t;
        this.dims = dims;
    }

    /**
     * Checks {@code data} against a shape before it is wrapped.
     *
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data} holds another count
     */
    static void checkData(float[] data, int... dims) {
        Objects.requireNonNull(data, "data must not be null");
        int size = Shapes.checkedSize("shape", dims);
        if (data.length != size) {
            throw new IllegalArgumentException("data: expected length " + size + " for shape " + Shapes.text(dims)
                    + ", got " + data.length);
        }
    }

    /**
     * Checks the elements between {@code buffer}'s position and limit against a shape before they are wrapped.
     *
     * @throws NullPointerException if {@code buffer} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or the
     *         buffer holds another count
     */
    static void checkBuffer(FloatBuffer buffer, int... dims) {
        Objects.requireNonNull(buffer, "buffer must not be null");
        int size = Shapes.checkedSize("shape", dims);
        if (buffer.remaining() != size) {
            throw new IllegalArgumentException("buffer: expected " + size + " elements between position and limit"
                    + " for shape " + Shapes.text(dims) + ", got " + buffer.remaining());
        }
    }

    /** {@return the batch size (first dimension)} */
    public int n() {
        return t.n();
    }

    /** {@return the channels (second dimension)} */
    public int c() {
        return t.c();
    }

    /** {@return the width (last dimension, contiguous in the channels-first layout)} */
    public int w() {
        return t.w();
    }

    /** {@return the element count, the product of the dimensions} */
    public int size() {
        return t.size();
    }

    /** {@return a copy of the shape, batch first} */
    @Override
    public int[] shape() {
        return dims.clone();
    }

    /** {@return the shape as text, e.g. {@code [8, 64, 1000]}} */
    @Override
    public String shapeString() {
        return Shapes.text(dims);
    }

    /** {@return the order of the elements in memory: {@link MemoryLayout#NCHW} (channels first) or NHWC} */
    public MemoryLayout layout() {
        return t.layout();
    }

    /** {@return whether the elements are in native memory (a direct buffer) rather than a Java array} */
    public boolean isNative() {
        return t.isNative();
    }

    /**
     * The backing array (not a copy), in {@link #layout()}'s order.
     *
     * @return the backing array
     * @throws IllegalStateException if the tensor is in native memory
     */
    public float[] data() {
        return t.data();
    }

    /**
     * A view of the storage (not a copy), position 0 and limit {@link #size()}; see {@link Tensor4D#buffer()}.
     *
     * @return a view of the storage
     * @throws IllegalStateException if the tensor is closed
     */
    public FloatBuffer buffer() {
        return t.buffer();
    }

    /**
     * Frees the native memory this tensor owns, as {@link Tensor4D#close()} does (this tensor and the 4D tensor
     * holding its elements are one tensor). A no-op on the heap.
     */
    @Override
    public void close() {
        t.close();
    }

    /** {@return whether {@link #close()} was called on this native tensor} */
    public boolean isClosed() {
        return t.isClosed();
    }

    /** {@return the largest absolute element, ignoring NaN} */
    public float maxAbs() {
        return t.maxAbs();
    }

    /** Whether {@code other} shows the same shape. */
    final boolean sameDims(RankView other) {
        return Arrays.equals(dims, other.dims);
    }

    /**
     * The storage of {@code other} once it is known to show this tensor's shape.
     *
     * @throws NullPointerException naming {@code name} if {@code other} is null
     * @throws IllegalArgumentException {@code name: expected shape E, got A} if the shapes differ
     */
    final Tensor4D sameShaped(String name, RankView other) {
        return Shapes.requireShape(name, other, "", dims).t;
    }

    /** Equal shapes and bit-identical elements by logical index, whatever the layouts and storages. */
    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && sameDims((RankView) o) && t.equals(((RankView) o).t);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(dims) + t.hashCode();
    }

    /**
     * The type, the shape, the layout and storage if not heap channels-first, and the first values in
     * channels-first order; e.g. {@code Tensor3D[1, 1, 4] [1.0, 2.0, 3.0, 4.0]}.
     */
    @Override
    public String toString() {
        String s = t.toString();
        String rest = s.substring(s.indexOf(']') + 1);
        if (!t.isHeapNchw()) {
            String spatial = "DHW".substring(5 - dims.length);
            rest = rest.replaceFirst(t.layout().name(),
                    t.layout() == MemoryLayout.NCHW ? "NC" + spatial : "N" + spatial + "C");
        }
        return getClass().getSimpleName() + shapeString() + rest;
    }
}
