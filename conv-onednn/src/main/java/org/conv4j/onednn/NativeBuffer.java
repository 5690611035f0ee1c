package org.conv4j.onednn;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A block of native memory, aligned to {@value #ALIGNMENT} bytes (a cache line, which oneDNN's kernels read
 * fastest), that oneDNN memory objects wrap without copying, and that Java fills and reads with bulk
 * copies. Owned by one {@link Context}, hence by one call at a time; not thread-safe.
 */
final class NativeBuffer implements AutoCloseable {

    static final int ALIGNMENT = 64;

    private final BytePointer raw;
    private final Pointer aligned;
    private final FloatPointer floats;
    private final long capacity;

    /** A pointer at a raw address (JavaCPP lets subclasses set it). */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    NativeBuffer(long bytes) {
        raw = new BytePointer(bytes + ALIGNMENT);
        if (raw.isNull()) {
            throw new OutOfMemoryError("onednn: could not allocate " + bytes + " bytes of native memory");
        }
        long start = (raw.address() + ALIGNMENT - 1) & -ALIGNMENT;
        aligned = new Address(start);
        floats = new FloatPointer(aligned);
        capacity = bytes;
    }

    long capacity() {
        return capacity;
    }

    /** The aligned start, for oneDNN memory objects. */
    Pointer pointer() {
        return aligned;
    }

    /** Copies {@code length} floats of {@code src} from {@code offset} to the start of this buffer. */
    void put(float[] src, int offset, int length) {
        check(length);
        floats.position(0).put(src, offset, length);
    }

    /** Copies the first {@code length} floats of this buffer to {@code dst} at {@code offset}. */
    void get(float[] dst, int offset, int length) {
        check(length);
        floats.position(0).get(dst, offset, length);
    }

    private void check(int length) {
        if (4L * length > capacity) {
            throw new IndexOutOfBoundsException("onednn: " + length + " floats do not fit in a buffer of "
                    + capacity + " bytes");
        }
    }

    @Override
    public void close() {
        raw.deallocate();
    }
}
