package org.conv4j.api;

import org.conv4j.internal.Access;
import org.conv4j.internal.LayoutCopy;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dense four-dimensional float32 tensor: a logical shape {@code (n, c, h, w)}, a {@link MemoryLayout} (the order
 * of the elements in memory) and a storage, the Java heap (a {@code float[]}) or native memory (a direct
 * {@link FloatBuffer}).
 *
 * <p>Element {@code (n, c, h, w)} lives at {@link #index(int, int, int, int)}: {@code ((n*C + c)*H + h)*W + w}
 * in {@link MemoryLayout#NCHW} ({@code w} fastest, then {@code h}, then the channel, then the batch index), and
 * {@code ((n*H + h)*W + w)*C + c} in {@link MemoryLayout#NHWC}. The same class holds activations
 * ({@code N, C, H, W}), convolution weights ({@code K, C/groups, kH, kW}: OIHW in NCHW, OHWI in NHWC) and
 * gradients. {@link #zeros(int, int, int, int)}, {@link #wrap(float[], int, int, int, int)} and
 * {@link #random} make heap NCHW tensors, conv4j's default and every backend's common ground.
 *
 * <p><b>Native memory.</b> {@link #allocateNative} allocates a zeroed direct buffer that this tensor owns;
 * {@link #wrap(FloatBuffer, MemoryLayout, int, int, int, int)} uses the caller's direct buffer in place (the
 * caller keeps owning it). {@link #close()} frees owned native memory at once (unless a {@link #buffer()} view
 * was handed out: then, safely, when the last view is unreachable, by the JDK's cleaner), and a forgotten tensor's
 * memory is freed by that cleaner too. Freed at close, a block of 256 KiB or more is kept for the next tensor of
 * the same size while the process-wide workspace budget has room for it (fresh native pages cost a page fault
 * each), as idle memory that the budget frees when a call needs the room, and {@link Workspace#releaseIdle()} at
 * once. A closed native tensor fails with {@link IllegalStateException} when used;
 * a call in flight when another thread closes it finishes first (the memory is freed after it). {@code close()}
 * is a no-op on the heap.
 *
 * <p>No method copies silently where the caller could think it holds a view: {@link #data()} is the heap array
 * itself (and fails on native memory, naming {@link #toHeap()}), {@link #buffer()} a view of the storage;
 * {@link #toLayout}, {@link #toNative}, {@link #toHeap} and {@link #copy} say in their names that they copy.
 *
 * <p>The shape is fixed at construction; the contents are mutable and not synchronised. Every dimension
 * is at least 1 and the element count fits in an {@code int}. {@link #wrap} shares the caller's array or buffer,
 * so writes through either are visible to both.
 */
public final class Tensor4D implements Shapes.Shaped, AutoCloseable {

    private static final int CLOSED = 1 << 30;

    static {
        // results a backend writes in full, without zeroing reused memory first, for AbstractConvBackend only
        Access.setTensors((layout, n, c, h, w) -> allocateNative(layout, n, c, h, w, false));
    }

    private final int n;
    private final int c;
    private final int h;
    private final int w;
    private final MemoryLayout layout;
    /** Heap storage, or null. */
    private final float[] data;
    /** Native storage (direct, position 0, limit size), or null. */
    private final FloatBuffer buffer;
    /** The native memory this tensor owns and frees on close, or null. */
    private final ByteBuffer owned;
    /** Calls in flight on the native storage, plus {@link #CLOSED} once closed. */
    private final AtomicInteger state = new AtomicInteger();
    /** The owner of wrapped native memory, kept reachable while this tensor is (see {@link #wrap}). */
    @SuppressWarnings("unused")
    private Object owner;
    /** Whether a {@link #buffer()} view of owned memory was handed out (then close leaves the freeing to GC). */
    private volatile boolean exposed;

    private Tensor4D(float[] data, int n, int c, int h, int w) {
        this(MemoryLayout.NCHW, data, null, null, n, c, h, w);
    }

    private Tensor4D(MemoryLayout layout, float[] data, FloatBuffer buffer, ByteBuffer owned, int n, int c, int h,
                     int w) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.layout = layout;
        this.data = data;
        this.buffer = buffer;
        this.owned = owned;
    }

    /**
     * A new heap NCHW tensor of the given shape, filled with zeros.
     *
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the new tensor
     */
    public static Tensor4D zeros(int n, int c, int h, int w) {
        int size = checkedSize("shape", n, c, h, w);
        return new Tensor4D(new float[size], n, c, h, w);
    }

    /**
     * A new heap tensor of the given shape and layout, filled with zeros.
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the new tensor
     */
    public static Tensor4D zeros(MemoryLayout layout, int n, int c, int h, int w) {
        Objects.requireNonNull(layout, "layout must not be null");
        int size = checkedSize("shape", n, c, h, w);
        return new Tensor4D(layout, new float[size], null, null, n, c, h, w);
    }

    /**
     * A new tensor in native memory (a direct buffer in the platform's byte order), zeroed, owned by the tensor:
     * {@link #close()} frees it (or keeps its memory for the next tensor of its size, see the class comment).
     *
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the new native tensor
     */
    public static Tensor4D allocateNative(MemoryLayout layout, int n, int c, int h, int w) {
        return allocateNative(layout, n, c, h, w, true);
    }

    /** {@link #allocateNative}; memory kept from a closed tensor is zeroed only if {@code zeroed}. */
    private static Tensor4D allocateNative(MemoryLayout layout, int n, int c, int h, int w, boolean zeroed) {
        Objects.requireNonNull(layout, "layout must not be null");
        int size = checkedSize("shape", n, c, h, w);
        if (size > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("shape: expected at most " + Integer.MAX_VALUE / Float.BYTES
                    + " elements in native memory (a direct buffer holds at most 2 GiB), got " + size);
        }
        ByteBuffer bytes = NativeBlocks.allocate(size * Float.BYTES, zeroed);
        return new Tensor4D(layout, null, bytes.asFloatBuffer(), bytes, n, c, h, w);
    }

    /**
     * A new heap NCHW tensor of the given shape with every element set to {@code value}.
     *
     * @param value the value of every element
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the new tensor
     */
    public static Tensor4D filled(float value, int n, int c, int h, int w) {
        Tensor4D t = zeros(n, c, h, w);
        Arrays.fill(t.data, value);
        return t;
    }

    /**
     * Wraps {@code data} as a heap NCHW tensor without copying it.
     *
     * @param data the elements, in the layout's order
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws NullPointerException if {@code data} is null
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*h*w}
     */
    public static Tensor4D wrap(float[] data, int n, int c, int h, int w) {
        return wrap(data, MemoryLayout.NCHW, n, c, h, w);
    }

    /**
     * Wraps {@code data}, whose elements are in {@code layout}'s order, as a heap tensor without copying it.
     *
     * @param data the elements, in the layout's order
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws IllegalArgumentException if a dimension is below 1, the element count overflows an int, or
     *         {@code data.length != n*c*h*w}
     */
    public static Tensor4D wrap(float[] data, MemoryLayout layout, int n, int c, int h, int w) {
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(layout, "layout must not be null");
        int size = checkedSize("shape", n, c, h, w);
        if (data.length != size) {
            throw new IllegalArgumentException("data: expected length " + size + " for shape "
                    + shapeString(n, c, h, w) + ", got " + data.length);
        }
        return new Tensor4D(layout, data, null, null, n, c, h, w);
    }

    /**
     * Wraps {@code buffer}'s elements from its position to its limit, in {@code layout}'s order, without copying:
     * a direct buffer is used in place as native memory (the caller keeps owning it: {@link #close()} does not free
     * it); a heap buffer wraps its array, which it must cover whole. The buffer's position and limit are not
     * changed; later changes to them do not affect the tensor.
     *
     * @param buffer the buffer whose elements are wrapped
     * @param layout the memory layout
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the tensor
     * @throws IllegalArgumentException if the buffer holds other than {@code n*c*h*w} elements, or is a heap
     *         buffer over part of an array or without an accessible array (read-only)
     */
    public static Tensor4D wrap(FloatBuffer buffer, MemoryLayout layout, int n, int c, int h, int w) {
        return wrap(buffer, layout, null, n, c, h, w);
    }

    /**
     * As {@link #wrap(FloatBuffer, MemoryLayout, int, int, int, int)}, for memory that another object owns and
     * frees when it becomes unreachable (another library's array, a JavaCPP pointer): the tensor keeps
     * {@code owner} reachable for as long as the tensor itself is, so the memory cannot be freed under it.
     *
     * @param buffer the buffer whose elements are wrapped
     * @param layout the memory layout
     * @param owner the object that owns the buffer's memory, or null
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the tensor
     */
    public static Tensor4D wrap(FloatBuffer buffer, MemoryLayout layout, Object owner, int n, int c, int h, int w) {
        Objects.requireNonNull(buffer, "buffer must not be null");
        Objects.requireNonNull(layout, "layout must not be null");
        int size = checkedSize("shape", n, c, h, w);
        if (buffer.remaining() != size) {
            throw new IllegalArgumentException("buffer: expected " + size + " elements between position and limit"
                    + " for shape " + shapeString(n, c, h, w) + ", got " + buffer.remaining() + " (position "
                    + buffer.position() + ", limit " + buffer.limit() + ")");
        }
        if (buffer.isDirect()) {
            Tensor4D t = new Tensor4D(layout, null, buffer.slice(), null, n, c, h, w);
            t.owner = owner;
            return t;
        }
        if (!buffer.hasArray() || buffer.arrayOffset() + buffer.position() != 0 || buffer.array().length != size) {
            throw new IllegalArgumentException("buffer: expected a direct buffer, or a heap buffer over a whole"
                    + " writable array of " + size + " elements, got a heap buffer "
                    + (buffer.hasArray() ? "over elements " + (buffer.arrayOffset() + buffer.position()) + " to "
                    + (buffer.arrayOffset() + buffer.limit()) + " of an array of " + buffer.array().length
                    : "without an accessible array") + "; wrap the array itself, or copy into a direct buffer");
        }
        return new Tensor4D(layout, buffer.array(), null, null, n, c, h, w);
    }

    /**
     * A heap NCHW tensor of uniform random values in {@code [-1, 1)}, reproducible from {@code seed}
     * (the same seed and shape always give the same contents, on every JVM).
     *
     * @param seed the random seed
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the new tensor
     */
    public static Tensor4D random(long seed, int n, int c, int h, int w) {
        Tensor4D t = zeros(n, c, h, w);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < t.data.length; i++) {
            t.data[i] = (float) (random.nextDouble() * 2.0 - 1.0);
        }
        return t;
    }

    /**
     * The element count {@code n*c*h*w}, after checking that every dimension is at least 1 and that the
     * product fits in an int.
     *
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the element count
     * @param what names the tensor in the error message
     */
    public static int checkedSize(String what, int n, int c, int h, int w) {
        return Shapes.checkedSize(what, n, c, h, w);
    }

    /**
     * A shape as text, e.g. {@code [8, 64, 56, 56]}.
     *
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the shape as text
     */
    public static String shapeString(long n, long c, long h, long w) {
        return Shapes.text(n, c, h, w);
    }

    /**
     * Batch size (first dimension).
     *
     * @return the batch size
     */
    public int n() {
        return n;
    }

    /**
     * Channels (second dimension).
     *
     * @return the channel count
     */
    public int c() {
        return c;
    }

    /**
     * Height (third dimension).
     *
     * @return the height
     */
    public int h() {
        return h;
    }

    /**
     * Width (fourth dimension, contiguous in memory).
     *
     * @return the width
     */
    public int w() {
        return w;
    }

    /**
     * The element count, {@code n*c*h*w}.
     *
     * @return the element count
     */
    public int size() {
        return n * c * h * w;
    }

    /**
     * A copy of the shape, {@code {n, c, h, w}}.
     *
     * @return {@code {n, c, h, w}}
     */
    @Override
    public int[] shape() {
        return new int[] {n, c, h, w};
    }

    /**
     * True if the shape is exactly {@code (n, c, h, w)}.
     *
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return whether the shape matches
     */
    public boolean hasShape(int n, int c, int h, int w) {
        return this.n == n && this.c == c && this.h == h && this.w == w;
    }

    /**
     * True if {@code other} has the same shape as this tensor (whatever the layouts and storages).
     *
     * @param other the tensor to compare with
     * @return whether the shapes match
     */
    public boolean sameShape(Tensor4D other) {
        return hasShape(other.n, other.c, other.h, other.w);
    }

    /**
     * The shape as text, e.g. {@code [8, 64, 56, 56]}.
     *
     * @return the shape as text
     */
    @Override
    public String shapeString() {
        return shapeString(n, c, h, w);
    }

    /**
     * The order of the elements in memory.
     *
     * @return the layout
     */
    public MemoryLayout layout() {
        return layout;
    }

    /**
     * Whether the elements are in native memory (a direct buffer) rather than a Java array.
     *
     * @return whether the storage is native memory
     */
    public boolean isNative() {
        return data == null;
    }

    /**
     * Whether this is a heap NCHW tensor, the form every backend reads ({@link #data()} in NCHW order).
     *
     * @return whether the tensor is heap NCHW
     */
    public boolean isHeapNchw() {
        return data != null && layout == MemoryLayout.NCHW;
    }

    /**
     * The backing array (not a copy), in {@link #layout()}'s order.
     *
     * @return the backing array
     * @throws IllegalStateException if the tensor is in native memory ({@link #toHeap()} makes a heap copy)
     */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("tensor " + shapeString() + ": its elements are in native memory, not a"
                    + " Java array; toHeap() makes a heap copy, buffer() is a view");
        }
        return data;
    }

    /**
     * A view of the storage (not a copy), position 0 and limit {@link #size()}, elements in {@link #layout()}'s
     * order: the direct buffer of a native tensor, or a buffer over the heap array. A view of owned native memory
     * must not be used after {@link #close()} (the memory is then freed when the last view is unreachable).
     *
     * @return a view of the storage
     * @throws IllegalStateException if the tensor is closed
     */
    public FloatBuffer buffer() {
        if (data != null) {
            return FloatBuffer.wrap(data);
        }
        acquire();
        try {
            exposed = true;
            return buffer.duplicate();
        } finally {
            release();
        }
    }

    /**
     * Pins the storage for code that reads or writes it directly, e.g. a backend that hands a native tensor's
     * address to a native library: until the pin is closed, {@link #close()} on another thread cannot free the
     * memory (it is freed when the last pin closes). Use it in try-with-resources.
     *
     * @return the pin, whose {@link Pin#buffer()} is a view of the storage (position 0, limit {@link #size()})
     * @throws IllegalStateException if the tensor is closed
     */
    public Pin pin() {
        if (data != null) {
            return new Pin(FloatBuffer.wrap(data), null);
        }
        acquire();
        return new Pin(buffer.duplicate(), this);
    }

    /** A use of a tensor's storage that keeps its memory valid until {@link #close()}; see {@link Tensor4D#pin()}. */
    public static final class Pin implements AutoCloseable {
        private final FloatBuffer view;
        private Tensor4D pinned;

        private Pin(FloatBuffer view, Tensor4D pinned) {
            this.view = view;
            this.pinned = pinned;
        }

        /**
         * The storage, in the tensor's layout.
         *
         * @return a view of the storage, valid until this pin is closed
         */
        public FloatBuffer buffer() {
            return view;
        }

        /** Ends the use (once; later calls do nothing). */
        @Override
        public void close() {
            Tensor4D t = pinned;
            pinned = null;
            if (t != null) {
                t.release();
            }
        }
    }

    /**
     * The position of element {@code (n, c, h, w)} in the storage ({@link #data()} or {@link #buffer()}), as
     * {@link MemoryLayout#index} gives it for this tensor's layout.
     *
     * @param n the batch index
     * @param c the channel index
     * @param h the row index
     * @param w the column index
     * @return the position in the storage
     * @throws IndexOutOfBoundsException if an index is outside its dimension
     */
    public int index(int n, int c, int h, int w) {
        checkIndex("n", n, this.n);
        checkIndex("c", c, this.c);
        checkIndex("h", h, this.h);
        checkIndex("w", w, this.w);
        return layout.index(n, c, h, w, this.c, this.h, this.w);
    }

    private void checkIndex(String axis, int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + axis + ": expected 0 <= " + axis + " < " + size
                    + " for a tensor of shape " + shapeString() + ", got " + index);
        }
    }

    /**
     * Element {@code (n, c, h, w)}, by logical index whatever the layout.
     *
     * @param n the batch index
     * @param c the channel index
     * @param h the row index
     * @param w the column index
     * @return the element
     */
    public float get(int n, int c, int h, int w) {
        int i = index(n, c, h, w);
        if (data != null) {
            return data[i];
        }
        acquire();
        try {
            return buffer.get(i);
        } finally {
            release();
        }
    }

    /**
     * Sets element {@code (n, c, h, w)}, by logical index whatever the layout, to {@code v}.
     *
     * @param n the batch index
     * @param c the channel index
     * @param h the row index
     * @param w the column index
     * @param v the new value
     */
    public void set(int n, int c, int h, int w, float v) {
        int i = index(n, c, h, w);
        if (data != null) {
            data[i] = v;
            return;
        }
        acquire();
        try {
            buffer.put(i, v);
        } finally {
            release();
        }
    }

    /**
     * Sets every element to {@code value}; returns this tensor.
     *
     * @param value the value of every element
     * @return this tensor
     */
    public Tensor4D fill(float value) {
        if (data != null) {
            Arrays.fill(data, value);
            return this;
        }
        float[] row = new float[Math.min(size(), 1 << 14)];
        Arrays.fill(row, value);
        acquire();
        try {
            for (int i = 0; i < size(); i += row.length) {
                buffer.put(i, row, 0, Math.min(row.length, size() - i));
            }
        } finally {
            release();
        }
        return this;
    }

    /**
     * A deep copy in the same layout and storage (native memory for a native tensor, owned by the copy).
     *
     * @return the copy
     */
    public Tensor4D copy() {
        return isNative() ? toNative(layout) : new Tensor4D(layout, elements(layout), null, null, n, c, h, w);
    }

    /**
     * This tensor if it is in {@code layout} already, else a heap copy in {@code layout}.
     *
     * @param layout the memory layout
     * @return this tensor or a heap copy in {@code layout}
     */
    public Tensor4D toLayout(MemoryLayout layout) {
        Objects.requireNonNull(layout, "layout must not be null");
        return layout == this.layout ? this : new Tensor4D(layout, elements(layout), null, null, n, c, h, w);
    }

    /**
     * A heap copy in the same layout.
     *
     * @return the heap copy
     */
    public Tensor4D toHeap() {
        return new Tensor4D(layout, elements(layout), null, null, n, c, h, w);
    }

    /**
     * A copy in native memory in {@code layout}, owned by the copy ({@link #close()} frees it).
     *
     * @param layout the memory layout
     * @return the native copy
     */
    public Tensor4D toNative(MemoryLayout layout) {
        Tensor4D t = allocateNative(layout, n, c, h, w);
        t.copyFrom(this);
        return t;
    }

    /**
     * A heap NCHW tensor with this tensor's elements: this tensor itself if it is one ({@link #isHeapNchw()}),
     * else a copy. The form every backend reads.
     *
     * @return this tensor or a heap NCHW copy
     */
    public Tensor4D toHeapNchw() {
        return isHeapNchw() ? this : new Tensor4D(elements(MemoryLayout.NCHW), n, c, h, w);
    }

    /**
     * Copies {@code source}'s elements into this tensor, by logical index, whatever the two layouts and storages;
     * returns this tensor.
     *
     * @param source the tensor whose elements are copied
     * @return this tensor
     * @throws IllegalArgumentException if the shapes differ
     */
    public Tensor4D copyFrom(Tensor4D source) {
        Shapes.requireShape("source", source, "", shape());
        if (source == this) {
            return this;
        }
        source.acquire();
        try {
            acquire();
            try {
                LayoutCopy.copy(source.store(), source.layout, store(), layout, n, c, h * w);
            } finally {
                release();
            }
        } finally {
            source.release();
        }
        return this;
    }

    /** A new array of the elements in {@code order}'s layout. */
    private float[] elements(MemoryLayout order) {
        float[] out = new float[size()];
        acquire();
        try {
            LayoutCopy.copy(store(), layout, LayoutCopy.Store.of(out), order, n, c, h * w);
        } finally {
            release();
        }
        return out;
    }

    /** The storage as a copy's source or target (a native buffer only between {@code acquire} and {@code release}). */
    private LayoutCopy.Store store() {
        return data != null ? LayoutCopy.Store.of(data) : LayoutCopy.Store.of(buffer);
    }

    /** The elements in NCHW order: the heap array itself for a heap NCHW tensor, else a copy. */
    private float[] nchw() {
        return isHeapNchw() ? data : elements(MemoryLayout.NCHW);
    }

    /**
     * Frees the native memory this tensor owns ({@link #allocateNative}, {@link #toNative}) at once, or, if a
     * {@link #buffer()} view was handed out, leaves it to the JDK's cleaner once the last view is unreachable;
     * after it, using the tensor fails with {@link IllegalStateException}. A call in flight on another thread
     * finishes first. Wrapped buffers are not freed (their owner frees them). A no-op on the heap, and on a closed
     * tensor.
     */
    @Override
    public void close() {
        if (data != null) {
            return;
        }
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    free();
                }
                return;
            }
        }
    }

    /**
     * Whether {@link #close()} was called on this native tensor (never true on the heap).
     *
     * @return whether the tensor is closed
     */
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Marks a use of the native storage, failing if the tensor is closed. */
    private void acquire() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                throw new IllegalStateException("tensor " + shapeString() + ": closed (its native memory was"
                        + " released); it cannot be used");
            }
            if (state.compareAndSet(s, s + 1)) {
                return;
            }
        }
    }

    /** Ends a use; the last use after {@link #close()} frees the memory. */
    private void release() {
        if (state.decrementAndGet() == CLOSED) {
            free();
        }
    }

    private void free() {
        if (owned != null && !exposed) {
            NativeBlocks.free(owned);
        }
    }

    /**
     * The largest absolute element, ignoring NaN; 0 for an all-NaN tensor.
     *
     * @return the largest absolute element
     */
    public float maxAbs() {
        float max = 0f;
        for (float v : nchw()) {
            float a = Math.abs(v);
            if (a > max) {
                max = a;
            }
        }
        return max;
    }

    /**
     * True if no element is NaN or infinite.
     *
     * @return whether every element is finite
     */
    public boolean allFinite() {
        float[] a = nchw();
        return allFinite(a, 0, a.length);
    }

    /**
     * True if no element of {@code a[from .. to - 1]} is NaN or infinite: the scan backends run before taking
     * a path that is exact only for finite values.
     *
     * <p>{@code v * 0} is a zero for every finite {@code v} and NaN for NaN and the infinities; a sum of zeros
     * is a zero, and a NaN makes any sum NaN. So the sum of the products is zero exactly when every element is
     * finite. Eight independent partial sums let the processor overlap the additions: about twice as fast as
     * testing each element (docs/architecture.md, "Non-finite values").
     *
     * @param a the array
     * @param from the first index
     * @param to the end index (exclusive)
     * @return whether every element is finite
     * @throws IllegalArgumentException if {@code a} is null or {@code 0 <= from <= to <= a.length} does not hold
     */
    public static boolean allFinite(float[] a, int from, int to) {
        if (a == null) {
            throw new IllegalArgumentException("a: expected an array, got null");
        }
        if (from < 0 || from > to || to > a.length) {
            throw new IllegalArgumentException("from, to: expected 0 <= from <= to <= " + a.length + ", got from "
                    + from + ", to " + to);
        }
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            s0 += a[i] * 0f;
            s1 += a[i + 1] * 0f;
            s2 += a[i + 2] * 0f;
            s3 += a[i + 3] * 0f;
            s4 += a[i + 4] * 0f;
            s5 += a[i + 5] * 0f;
            s6 += a[i + 6] * 0f;
            s7 += a[i + 7] * 0f;
        }
        float sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < to; i++) {
            sum += a[i] * 0f;
        }
        return sum == 0f;
    }

    /**
     * The largest {@code |this - other|} over all elements, by logical index. Two non-finite elements of the same
     * kind (both NaN, or the same infinity) count as equal; any other pairing with a non-finite value gives
     * {@code Float.POSITIVE_INFINITY}.
     *
     * @param other the tensor to compare with
     * @return the largest absolute difference
     * @throws IllegalArgumentException if the shapes differ
     */
    public float maxAbsDiff(Tensor4D other) {
        Shapes.requireShape("other", other, "", shape());
        float[] x = nchw();
        float[] y = other.nchw();
        float max = 0f;
        for (int i = 0; i < x.length; i++) {
            float a = x[i];
            float b = y[i];
            float d;
            if (Float.isFinite(a) && Float.isFinite(b)) {
                d = Math.abs(a - b);
            } else {
                d = Float.compare(a, b) == 0 ? 0f : Float.POSITIVE_INFINITY;
            }
            if (d > max) {
                max = d;
            }
        }
        return max;
    }

    /**
     * True if the shapes match and every element satisfies {@code |a - b| <= atol + rtol*|b|}
     * (numpy's {@code allclose}, with NaN equal to NaN and an infinity equal only to itself), by logical index.
     *
     * @param other the tensor to compare with
     * @param rtol the relative tolerance
     * @param atol the absolute tolerance
     * @return whether every element is close
     */
    public boolean allClose(Tensor4D other, float rtol, float atol) {
        Objects.requireNonNull(other, "other must not be null");
        if (!sameShape(other)) {
            return false;
        }
        float[] x = nchw();
        float[] y = other.nchw();
        for (int i = 0; i < x.length; i++) {
            float a = x[i];
            float b = y[i];
            if (Float.isFinite(a) && Float.isFinite(b)) {
                if (Math.abs(a - b) > atol + rtol * Math.abs(b)) {
                    return false;
                }
            } else if (Float.compare(a, b) != 0 && !(Float.isNaN(a) && Float.isNaN(b))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Equal shapes and bit-identical elements by logical index (so NaN equals NaN), whatever the layouts and
     * storages.
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Tensor4D)) {
            return false;
        }
        Tensor4D t = (Tensor4D) o;
        return sameShape(t) && Arrays.equals(nchw(), t.nchw());
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape()) + Arrays.hashCode(nchw());
    }

    /**
     * The shape, layout and storage if not heap NCHW, and, for small tensors, the values in NCHW order; e.g.
     * {@code Tensor4D[1, 1, 2, 2] [1.0, 2.0, 3.0, 4.0]}.
     */
    @Override
    public String toString() {
        final int shown = 16;
        StringBuilder sb = new StringBuilder("Tensor4D").append(shapeString());
        if (!isHeapNchw()) {
            sb.append(' ').append(layout).append(isNative() ? " native" : "");
        }
        if (isClosed()) {
            return sb.append(" (closed)").toString();
        }
        float[] values = nchw();
        sb.append(" [");
        for (int i = 0; i < Math.min(shown, values.length); i++) {
            sb.append(i == 0 ? "" : ", ").append(values[i]);
        }
        return sb.append(values.length > shown ? ", ...]" : "]").toString();
    }
}
