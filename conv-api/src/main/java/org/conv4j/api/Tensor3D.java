package org.conv4j.api;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A dense three-dimensional float32 tensor for 1D convolution: a logical shape {@code (n, c, w)}, a
 * {@link MemoryLayout} and a storage (the Java heap or native memory), exactly as {@link Tensor4D} has them.
 *
 * <p><b>A view of a height-1 {@link Tensor4D}.</b> A {@code Tensor3D} is a {@code Tensor4D} of shape
 * {@code (n, c, 1, w)} seen without its height: both index the same storage, and no method here copies unless its
 * name says so. With {@code H = 1} the 4D index formulas become the 1D ones:
 * <ul>
 *   <li>{@link MemoryLayout#NCHW} is <b>NCW</b> (channels-first, PyTorch's {@code Conv1d} layout): element
 *       {@code (n, c, w)} at {@code (n*C + c)*W + w}, since {@code ((n*C + c)*1 + 0)*W + w} is that;</li>
 *   <li>{@link MemoryLayout#NHWC} is <b>NWC</b> (channels-last, TensorFlow's {@code Conv1D} layout): element
 *       {@code (n, c, w)} at {@code (n*W + w)*C + c}, since {@code ((n*1 + 0)*W + w)*C + c} is that.</li>
 * </ul>
 * {@link #NCW} and {@link #NWC} name those two layouts. {@link #view(Tensor4D)} sees a height-1 4D tensor as a
 * {@code Tensor3D} and {@link #asTensor4D()} goes back, both without copying; this is how {@link Conv1d} runs a 1D
 * convolution on any 2D backend as a convolution of height 1 (as PyTorch does).
 *
 * <p>The same class holds activations ({@code N, C, W}), weights ({@code K, C/groups, kW}: OIW in NCW, OWI in
 * NWC) and gradients. Storage, ownership and closing follow {@link Tensor4D}: {@link #allocateNative} memory is
 * owned and freed by {@link #close()}, a wrapped buffer stays the caller's, closing a view closes the 4D tensor it
 * views (they are one tensor). Every dimension is at least 1 and the element count fits in an {@code int}.
 */
public final class Tensor3D extends RankView {

    /** Channels-first, {@code (n*C + c)*W + w}: the {@link MemoryLayout#NCHW} of a height-1 tensor. */
    public static final MemoryLayout NCW = MemoryLayout.NCHW;

    /** Channels-last, {@code (n*W + w)*C + c}: the {@link MemoryLayout#NHWC} of a height-1 tensor. */
    public static final MemoryLayout NWC = MemoryLayout.NHWC;

    /** Views {@code t}, the height-1 4D tensor that holds the storage, layout and lifetime. */
    private Tensor3D(Tensor4D t) {
        super(t, t.n(), t.c(), t.w());
    }

    /**
     * {@code t} seen as a 1D tensor {@code (n, c, w)}, without copying: both share storage, layout and lifetime.
     *
     * @param t a tensor of shape {@code (n, c, 1, w)}
     * @return the view
     * @throws NullPointerException if {@code t} is null
     * @throws IllegalArgumentException if {@code t}'s height is not 1
     */
    public static Tensor3D view(Tensor4D t) {
        Objects.requireNonNull(t, "t must not be null");
        if (t.h() != 1) {
            throw new IllegalArgumentException("t: expected height 1 (shape (n, c, 1, w)) to view as (n, c, w), got"
                    + " shape " + t.shapeString());
        }
        return new Tensor3D(t);
    }

    /**
     * This tensor as a 4D tensor {@code (n, c, 1, w)}, without copying: both share storage, layout and lifetime.
     *
     * @return the height-1 view
     */
    public Tensor4D asTensor4D() {
        return t;
    }

    /**
     * A new heap NCW tensor of the given shape, filled with zeros.
     *
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor3D zeros(int n, int c, int w) {
        return zeros(NCW, n, c, w);
    }

    /**
     * A new heap tensor of the given shape and layout ({@link #NCW} or {@link #NWC}), filled with zeros.
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor3D zeros(MemoryLayout layout, int n, int c, int w) {
        checkedSize("shape", n, c, w);
        return new Tensor3D(Tensor4D.zeros(layout, n, c, 1, w));
    }

    /**
     * A new tensor in native memory, zeroed, owned by the tensor: {@link #close()} frees it (see
     * {@link Tensor4D#allocateNative}).
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the new native tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int or a
     *         direct buffer
     */
    public static Tensor3D allocateNative(MemoryLayout layout, int n, int c, int w) {
        checkedSize("shape", n, c, w);
        return new Tensor3D(Tensor4D.allocateNative(layout, n, c, 1, w));
    }

    /**
     * A new heap NCW tensor of the given shape with every element set to {@code value}.
     *
     * @param value the value of every element
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor3D filled(float value, int n, int c, int w) {
        return zeros(n, c, w).fill(value);
    }

    /**
     * Wraps {@code data} as a heap NCW tensor without copying it.
     *
     * @param data the elements, in NCW order
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*w}
     */
    public static Tensor3D wrap(float[] data, int n, int c, int w) {
        return wrap(data, NCW, n, c, w);
    }

    /**
     * Wraps {@code data}, whose elements are in {@code layout}'s order, as a heap tensor without copying it.
     *
     * @param data the elements, in the layout's order
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code data} or {@code layout} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*w}
     */
    public static Tensor3D wrap(float[] data, MemoryLayout layout, int n, int c, int w) {
        checkData(data, n, c, w);
        return new Tensor3D(Tensor4D.wrap(data, layout, n, c, 1, w));
    }

    /**
     * Wraps {@code buffer}'s elements from its position to its limit without copying, as
     * {@link Tensor4D#wrap(FloatBuffer, MemoryLayout, Object, int, int, int, int)} does: a direct buffer is used in
     * place (the caller keeps owning it), a heap buffer wraps its whole array; {@code owner}, if not null, is kept
     * reachable as long as the tensor is.
     *
     * @param buffer the buffer whose elements are wrapped
     * @param layout the memory layout
     * @param owner the object that owns the buffer's memory, or null
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code buffer} or {@code layout} is null
     * @throws IllegalArgumentException if a dimension is below 1, the buffer holds other than {@code n*c*w}
     *         elements, or is a heap buffer over part of an array or without an accessible array
     */
    public static Tensor3D wrap(FloatBuffer buffer, MemoryLayout layout, Object owner, int n, int c, int w) {
        checkBuffer(buffer, n, c, w);
        return new Tensor3D(Tensor4D.wrap(buffer, layout, owner, n, c, 1, w));
    }

    /**
     * A heap NCW tensor of uniform random values in {@code [-1, 1)}, reproducible from {@code seed}; the same
     * values, in the same order, as {@link Tensor4D#random} of shape {@code (n, c, 1, w)}.
     *
     * @param seed the random seed
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the new tensor
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows an int
     */
    public static Tensor3D random(long seed, int n, int c, int w) {
        checkedSize("shape", n, c, w);
        return new Tensor3D(Tensor4D.random(seed, n, c, 1, w));
    }

    /**
     * The element count {@code n*c*w}, after checking that every dimension is at least 1 and that the product
     * fits in an int.
     *
     * @param what names the tensor in the error message
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the element count
     * @throws IllegalArgumentException naming {@code what}, with the shape, if the check fails
     */
    public static int checkedSize(String what, int n, int c, int w) {
        return Shapes.checkedSize(what, n, c, w);
    }

    /**
     * A shape as text, e.g. {@code [8, 64, 1000]}.
     *
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return the shape as text
     */
    public static String shapeString(long n, long c, long w) {
        return Shapes.text(n, c, w);
    }

    /**
     * True if the shape is exactly {@code (n, c, w)}.
     *
     * @param n the batch size
     * @param c the channels
     * @param w the width
     * @return whether the shape matches
     */
    public boolean hasShape(int n, int c, int w) {
        return t.hasShape(n, c, 1, w);
    }

    /**
     * True if {@code other} has the same shape (whatever the layouts and storages).
     *
     * @param other the tensor to compare with
     * @return whether the shapes match
     */
    public boolean sameShape(Tensor3D other) {
        return sameDims(other);
    }

    /** {@return whether this is a heap NCW tensor, the form every backend reads} */
    public boolean isHeapNcw() {
        return t.isHeapNchw();
    }

    /**
     * The position of element {@code (n, c, w)} in the storage: {@code (n*C + c)*W + w} in NCW,
     * {@code (n*W + w)*C + c} in NWC.
     *
     * @param n the batch index
     * @param c the channel index
     * @param w the position along the width
     * @return the position in the storage
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public int index(int n, int c, int w) {
        return t.index(n, c, 0, w);
    }

    /**
     * Element {@code (n, c, w)}, by logical index whatever the layout.
     *
     * @param n the batch index
     * @param c the channel index
     * @param w the position along the width
     * @return the element
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public float get(int n, int c, int w) {
        return t.get(n, c, 0, w);
    }

    /**
     * Sets element {@code (n, c, w)}, by logical index whatever the layout, to {@code v}.
     *
     * @param n the batch index
     * @param c the channel index
     * @param w the position along the width
     * @param v the new value
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public void set(int n, int c, int w, float v) {
        t.set(n, c, 0, w, v);
    }

    /**
     * Sets every element to {@code value}; returns this tensor.
     *
     * @param value the value of every element
     * @return this tensor
     */
    public Tensor3D fill(float value) {
        t.fill(value);
        return this;
    }

    /**
     * A deep copy in the same layout and storage.
     *
     * @return the copy
     */
    public Tensor3D copy() {
        return new Tensor3D(t.copy());
    }

    /**
     * This tensor if it is in {@code layout} already, else a heap copy in {@code layout}.
     *
     * @param layout the memory layout
     * @return this tensor or a heap copy
     */
    public Tensor3D toLayout(MemoryLayout layout) {
        Tensor4D r = t.toLayout(layout);
        return r == t ? this : new Tensor3D(r);
    }

    /**
     * A heap copy in the same layout.
     *
     * @return the heap copy
     */
    public Tensor3D toHeap() {
        return new Tensor3D(t.toHeap());
    }

    /**
     * A copy in native memory in {@code layout}, owned by the copy.
     *
     * @param layout the memory layout
     * @return the native copy
     */
    public Tensor3D toNative(MemoryLayout layout) {
        return new Tensor3D(t.toNative(layout));
    }

    /**
     * Copies {@code source}'s elements into this tensor by logical index, whatever the two layouts and storages;
     * returns this tensor.
     *
     * @param source the tensor whose elements are copied
     * @return this tensor
     * @throws IllegalArgumentException if the shapes differ
     */
    public Tensor3D copyFrom(Tensor3D source) {
        t.copyFrom(sameShaped("source", source));
        return this;
    }

    /** {@return true if no element is NaN or infinite} */
    public boolean allFinite() {
        return t.allFinite();
    }

    /**
     * The largest {@code |this - other|} by logical index, as {@link Tensor4D#maxAbsDiff} defines it.
     *
     * @param other the tensor to compare with
     * @return the largest absolute difference
     * @throws IllegalArgumentException if the shapes differ
     */
    public float maxAbsDiff(Tensor3D other) {
        return t.maxAbsDiff(sameShaped("other", other));
    }

    /**
     * True if the shapes match and every element satisfies {@code |a - b| <= atol + rtol*|b|}, as
     * {@link Tensor4D#allClose} defines it.
     *
     * @param other the tensor to compare with
     * @param rtol the relative tolerance
     * @param atol the absolute tolerance
     * @return whether every element is close
     */
    public boolean allClose(Tensor3D other, float rtol, float atol) {
        return t.allClose(Objects.requireNonNull(other, "other must not be null").t, rtol, atol);
    }

}
