package org.conv4j.api;

import java.nio.FloatBuffer;

/**
 * A dense five-dimensional float32 tensor for 3D convolution (video, volumes): a logical shape
 * {@code (n, c, d, h, w)}, a {@link MemoryLayout} and a storage (the Java heap or native memory), as {@link Tensor4D}
 * has them.
 *
 * <p><b>Layouts.</b> Element {@code (n, c, d, h, w)} lives at
 * <ul>
 *   <li>{@link #NCDHW} (channels-first, PyTorch's {@code Conv3d} layout):
 *       {@code (((n*C + c)*D + d)*H + h)*W + w};</li>
 *   <li>{@link #NDHWC} (channels-last, TensorFlow's {@code Conv3D} layout):
 *       {@code (((n*D + d)*H + h)*W + w)*C + c}.</li>
 * </ul>
 * Depth and height are adjacent in both, so the storage is that of the {@code Tensor4D (n, c, d*H + h, w)} of height
 * {@code D*H}: {@link #NCDHW} is its {@link MemoryLayout#NCHW} and {@link #NDHWC} its {@link MemoryLayout#NHWC}
 * (substitute {@code h' = d*H + h} in the 4D formulas). A {@code Tensor5D} keeps its elements in such a tensor, and
 * storage, ownership and closing follow {@link Tensor4D}: {@link #allocateNative} memory is owned and freed by
 * {@link #close()}, a wrapped buffer stays the caller's, and no method copies unless its name says so.
 *
 * <p>The same class holds activations ({@code N, C, D, H, W}), weights ({@code K, C/groups, kD, kH, kW}) and
 * gradients. Every dimension is at least 1 and the element count fits in an {@code int}.
 */
public final class Tensor5D extends RankView {

    /** Channels-first, {@code (((n*C + c)*D + d)*H + h)*W + w}. */
    public static final MemoryLayout NCDHW = MemoryLayout.NCHW;

    /** Channels-last, {@code (((n*D + d)*H + h)*W + w)*C + c}. */
    public static final MemoryLayout NDHWC = MemoryLayout.NHWC;

    private final int d;
    private final int h;

    /** Views {@code t}, the 4D tensor {@code (n, c, d*h, w)} that holds the storage, layout and lifetime. */
    private Tensor5D(Tensor4D t, int d, int h) {
        super(t, t.n(), t.c(), d, h, t.w());
        this.d = d;
        this.h = h;
    }

    /**
     * A new heap NCDHW tensor of the given shape, filled with zeros.
     *
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor5D zeros(int n, int c, int d, int h, int w) {
        return zeros(NCDHW, n, c, d, h, w);
    }

    /**
     * A new heap tensor of the given shape and layout ({@link #NCDHW} or {@link #NDHWC}), filled with zeros.
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor5D zeros(MemoryLayout layout, int n, int c, int d, int h, int w) {
        checkedSize("shape", n, c, d, h, w);
        return new Tensor5D(Tensor4D.zeros(layout, n, c, d * h, w), d, h);
    }

    /**
     * A new tensor in native memory, zeroed, owned by the tensor: {@link #close()} frees it.
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the new native tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int or a
     *         direct buffer
     */
    public static Tensor5D allocateNative(MemoryLayout layout, int n, int c, int d, int h, int w) {
        checkedSize("shape", n, c, d, h, w);
        return new Tensor5D(Tensor4D.allocateNative(layout, n, c, d * h, w), d, h);
    }

    /**
     * Wraps {@code data}, whose elements are in {@code layout}'s order, as a heap tensor without copying it.
     *
     * @param data the elements
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code data} or {@code layout} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*d*h*w}
     */
    public static Tensor5D wrap(float[] data, MemoryLayout layout, int n, int c, int d, int h, int w) {
        checkData(data, n, c, d, h, w);
        return new Tensor5D(Tensor4D.wrap(data, layout, n, c, d * h, w), d, h);
    }

    /**
     * Wraps {@code data} as a heap NCDHW tensor without copying it.
     *
     * @param data the elements, in NCDHW order
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is below 1 or {@code data.length != n*c*d*h*w}
     */
    public static Tensor5D wrap(float[] data, int n, int c, int d, int h, int w) {
        return wrap(data, NCDHW, n, c, d, h, w);
    }

    /**
     * Wraps {@code buffer}'s elements from its position to its limit without copying, as
     * {@link Tensor4D#wrap(FloatBuffer, MemoryLayout, Object, int, int, int, int)} does.
     *
     * @param buffer the buffer whose elements are wrapped
     * @param layout the memory layout
     * @param owner the object that owns the buffer's memory, or null
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code buffer} or {@code layout} is null
     * @throws IllegalArgumentException if a dimension is below 1 or the buffer holds other than
     *         {@code n*c*d*h*w} elements, or is a heap buffer over part of an array
     */
    public static Tensor5D wrap(FloatBuffer buffer, MemoryLayout layout, Object owner, int n, int c, int d, int h,
                                int w) {
        checkBuffer(buffer, n, c, d, h, w);
        return new Tensor5D(Tensor4D.wrap(buffer, layout, owner, n, c, d * h, w), d, h);
    }

    /**
     * A heap NCDHW tensor of uniform random values in {@code [-1, 1)}, reproducible from {@code seed} (the values,
     * in storage order, of {@link Tensor4D#random} of shape {@code (n, c, d*h, w)}).
     *
     * @param seed the random seed
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor5D random(long seed, int n, int c, int d, int h, int w) {
        checkedSize("shape", n, c, d, h, w);
        return new Tensor5D(Tensor4D.random(seed, n, c, d * h, w), d, h);
    }

    /**
     * The element count {@code n*c*d*h*w}, after checking that every dimension is at least 1 and that the product
     * fits in an int.
     *
     * @param what names the tensor in the error message
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the element count
     * @throws IllegalArgumentException naming {@code what}, with the shape, if the check fails
     */
    public static int checkedSize(String what, int n, int c, int d, int h, int w) {
        return Shapes.checkedSize(what, n, c, d, h, w);
    }

    /**
     * A shape as text, e.g. {@code [1, 32, 16, 64, 64]}.
     *
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return the shape as text
     */
    public static String shapeString(long n, long c, long d, long h, long w) {
        return Shapes.text(n, c, d, h, w);
    }

    /** {@return the depth} */
    public int d() {
        return d;
    }

    /** {@return the height} */
    public int h() {
        return h;
    }

    /**
     * True if the shape is exactly {@code (n, c, d, h, w)}.
     *
     * @param n the batch size
     * @param c the channels
     * @param d the depth
     * @param h the height
     * @param w the width
     * @return whether the shape matches
     */
    public boolean hasShape(int n, int c, int d, int h, int w) {
        return n() == n && c() == c && this.d == d && this.h == h && w() == w;
    }

    /**
     * True if {@code other} has the same shape (whatever the layouts and storages).
     *
     * @param other the tensor to compare with
     * @return whether the shapes match
     */
    public boolean sameShape(Tensor5D other) {
        return sameDims(other);
    }

    /** {@return whether this is a heap NCDHW tensor, the form the 3D reference reads} */
    public boolean isHeapNcdhw() {
        return t.isHeapNchw();
    }

    /**
     * Pins the storage for code that reads or writes it directly (a backend handing a native tensor's address to a
     * native library), as {@link Tensor4D#pin()} does: until the pin is closed, {@link #close()} on another thread
     * cannot free the memory. Use it in try-with-resources.
     *
     * @return the pin, whose {@link Tensor4D.Pin#buffer()} is a view of the storage (position 0, limit
     *         {@link #size()}), in {@link #layout()}'s order
     * @throws IllegalStateException if the tensor is closed
     */
    public Tensor4D.Pin pin() {
        return t.pin();
    }

    /**
     * The position of element {@code (n, c, d, h, w)} in the storage, by the formula of {@link #layout()}.
     *
     * @param n the batch index
     * @param c the channel index
     * @param d the depth index
     * @param h the row index
     * @param w the column index
     * @return the position in the storage
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public int index(int n, int c, int d, int h, int w) {
        if (d < 0 || d >= this.d || h < 0 || h >= this.h) {
            throw new IndexOutOfBoundsException("index d, h: expected 0 <= d < " + this.d + " and 0 <= h < " + this.h
                    + " for a tensor of shape " + shapeString() + ", got d " + d + ", h " + h);
        }
        return t.index(n, c, d * this.h + h, w);
    }

    /**
     * Element {@code (n, c, d, h, w)}, by logical index whatever the layout.
     *
     * @param n the batch index
     * @param c the channel index
     * @param d the depth index
     * @param h the row index
     * @param w the column index
     * @return the element
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public float get(int n, int c, int d, int h, int w) {
        index(n, c, d, h, w);
        return t.get(n, c, d * this.h + h, w);
    }

    /**
     * Sets element {@code (n, c, d, h, w)}, by logical index whatever the layout, to {@code v}.
     *
     * @param n the batch index
     * @param c the channel index
     * @param d the depth index
     * @param h the row index
     * @param w the column index
     * @param v the new value
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public void set(int n, int c, int d, int h, int w, float v) {
        index(n, c, d, h, w);
        t.set(n, c, d * this.h + h, w, v);
    }

    /**
     * Sets every element to {@code value}; returns this tensor.
     *
     * @param value the value of every element
     * @return this tensor
     */
    public Tensor5D fill(float value) {
        t.fill(value);
        return this;
    }

    /** {@return a deep copy in the same layout and storage} */
    public Tensor5D copy() {
        return new Tensor5D(t.copy(), d, h);
    }

    /**
     * This tensor if it is in {@code layout} already, else a heap copy in {@code layout}.
     *
     * @param layout the memory layout
     * @return this tensor or a heap copy
     */
    public Tensor5D toLayout(MemoryLayout layout) {
        Tensor4D r = t.toLayout(layout);
        return r == t ? this : new Tensor5D(r, d, h);
    }

    /** {@return a heap copy in the same layout} */
    public Tensor5D toHeap() {
        return new Tensor5D(t.toHeap(), d, h);
    }

    /**
     * A copy in native memory in {@code layout}, owned by the copy.
     *
     * @param layout the memory layout
     * @return the native copy
     */
    public Tensor5D toNative(MemoryLayout layout) {
        return new Tensor5D(t.toNative(layout), d, h);
    }

    /**
     * A heap NCDHW tensor with this tensor's elements: this tensor if it is one, else a copy.
     *
     * @return this tensor or a heap NCDHW copy
     */
    public Tensor5D toHeapNcdhw() {
        Tensor4D r = t.toHeapNchw();
        return r == t ? this : new Tensor5D(r, d, h);
    }

    /**
     * Copies {@code source}'s elements into this tensor by logical index, whatever the two layouts and storages;
     * returns this tensor.
     *
     * @param source the tensor whose elements are copied
     * @return this tensor
     * @throws IllegalArgumentException if the shapes differ
     */
    public Tensor5D copyFrom(Tensor5D source) {
        t.copyFrom(sameShaped("source", source));
        return this;
    }

    /**
     * The largest {@code |this - other|} by logical index, as {@link Tensor4D#maxAbsDiff} defines it.
     *
     * @param other the tensor to compare with
     * @return the largest absolute difference
     * @throws IllegalArgumentException if the shapes differ
     */
    public float maxAbsDiff(Tensor5D other) {
        return t.maxAbsDiff(sameShaped("other", other));
    }

}
