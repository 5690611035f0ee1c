package org.conv4j.openblas;

import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.nativeutil.NativeFloatBlock;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * A block of off-heap float32 memory that OpenBLAS reads and writes in place, with a {@link FloatBuffer}
 * view for Java code: a {@link NativeFloatBlock} (aligned to its {@value NativeFloatBlock#ALIGNMENT} bytes), or
 * the caller's direct buffer ({@link #wrap}). Element {@code i} is at byte {@code 4*i} of the block; the buffer view is direct and
 * in native byte order, and is used with absolute indexing only ({@code get(i)}, {@code put(i, v)}, and
 * the bulk forms), so a {@code NativeFloats} can be shared read-only between threads.
 *
 * <p>Why off-heap: a GEMM on Java arrays must copy them in and out of native memory on every call (JNI
 * cannot pin them for a long native call without copying). Kernels that produce a GEMM operand (im2col)
 * write it here directly, and results are copied out once. See docs/im2col.md for the measured costs.
 *
 * <p>Not thread-safe for writing; owned by one caller at a time (see {@link NativeBufferPool}). Memory is
 * released by {@link #close()} or, failing that, when JavaCPP's deallocator finds the block unreachable.
 */
public final class NativeFloats implements AutoCloseable {

    /** The largest capacity: its {@link FloatBuffer} view is indexed by int (the JDK's array size limit). */
    public static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;

    private final FloatPointer pointer;
    private final FloatBuffer buffer;
    private final int capacity;
    /** The memory this object allocated; null if it is the caller's ({@link #wrap}), which {@link #close()} leaves. */
    private final NativeFloatBlock block;

    private NativeFloats(int capacity) {
        this.capacity = capacity;
        this.block = new NativeFloatBlock(4L * capacity);
        this.pointer = new FloatPointer(block.pointer()).capacity(capacity);
        this.buffer = pointer.asBuffer();
    }

    private NativeFloats(FloatBuffer direct) {
        this.capacity = direct.capacity();
        this.pointer = new FloatPointer(direct.duplicate().position(0));
        this.buffer = direct;
        this.block = null;
    }

    /**
     * The caller's native memory, used in place: a direct buffer in the platform's byte order, whose elements
     * from 0 to its capacity are this object's. {@link #close()} leaves it to its owner, who must keep it alive
     * while this object is used.
     *
     * @param direct the direct buffer
     * @return the memory as native floats
     * @throws IllegalArgumentException if the buffer is not direct, not in the native byte order, or empty
     */
    public static NativeFloats wrap(FloatBuffer direct) {
        if (!direct.isDirect() || direct.order() != java.nio.ByteOrder.nativeOrder() || direct.capacity() < 1) {
            throw new IllegalArgumentException("direct: expected a non-empty direct buffer in the native byte order,"
                    + " got " + direct + " in " + direct.order());
        }
        return new NativeFloats(direct);
    }

    /**
     * New native memory for {@code capacity} floats (contents unspecified).
     *
     * @param capacity the number of floats
     * @return the memory
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public static NativeFloats allocate(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: expected >= 1 floats, got " + capacity);
        }
        return new NativeFloats(capacity);
    }

    /**
     * The number of floats.
     *
     * @return the capacity
     */
    public int capacity() {
        return capacity;
    }

    /**
     * The size in bytes, {@code 4 * capacity()}.
     *
     * @return the size in bytes
     */
    public long bytes() {
        return 4L * capacity;
    }

    /**
     * The Java view of the memory: direct, native order, position 0, limit {@link #capacity()}. Use absolute
     * indexing only (relative operations would move a position other callers may rely on).
     *
     * @return the view
     */
    public FloatBuffer buffer() {
        return buffer;
    }

    /**
     * A fresh pointer to element {@code offset} (for native calls; the base pointer itself never moves).
     *
     * @param offset the element
     * @return the pointer
     */
    public FloatPointer pointerAt(long offset) {
        checkRange("offset", offset, 0);
        return new FloatPointer(pointer).position(offset);
    }

    /**
     * Copies {@code length} floats from {@code src[srcOffset..]} to elements {@code index..}.
     *
     * @param src the source array
     * @param srcOffset the first source element
     * @param index the first element written
     * @param length the number of floats
     */
    public void copyFrom(float[] src, int srcOffset, int index, int length) {
        Objects.checkFromIndexSize(srcOffset, length, src.length);
        checkRange("index", index, length);
        buffer.put(index, src, srcOffset, length);
    }

    /**
     * Copies {@code length} floats from elements {@code index..} to {@code dst[dstOffset..]}.
     *
     * @param index the first element read
     * @param dst the destination array
     * @param dstOffset the first destination element
     * @param length the number of floats
     */
    public void copyTo(int index, float[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        checkRange("index", index, length);
        buffer.get(index, dst, dstOffset, length);
    }

    /**
     * Sets elements {@code index .. index+length-1} to {@code value}.
     *
     * @param index the first element set
     * @param length the number of floats
     * @param value the value
     */
    public void fill(int index, int length, float value) {
        checkRange("index", index, length);
        for (int i = index; i < index + length; i++) {
            buffer.put(i, value);
        }
    }

    private void checkRange(String what, long index, long length) {
        if (index < 0 || length < 0 || index + length > capacity || (length == 0 && index > capacity)) {
            throw new IndexOutOfBoundsException(what + ": expected a range within [0, " + capacity + "), got "
                    + index + " + " + length);
        }
    }

    /** Frees the memory now (not wrapped memory, which its owner frees). The object must not be used afterwards. */
    @Override
    public void close() {
        if (block != null) {
            block.close();
        }
    }
}
