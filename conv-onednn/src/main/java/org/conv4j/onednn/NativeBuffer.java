package org.conv4j.onednn;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.conv4j.spi.ParallelChunks;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A block of native memory, aligned to {@value #ALIGNMENT} bytes (a cache line, which oneDNN's kernels read
 * fastest), that oneDNN memory objects wrap without copying, and that Java fills and reads with bulk
 * copies. Owned by one {@link Context}, hence by one call at a time; not thread-safe.
 *
 * <p>The copies go through direct {@link FloatBuffer} views of the block (the JDK's bulk copy, no JNI: JavaCPP's
 * {@code FloatPointer.put(float[])} copies the whole Java array in and out of a temporary C array on every
 * call). Large copies are split into contiguous chunks run on the common fork-join pool
 * ({@link ParallelChunks}).
 */
final class NativeBuffer implements AutoCloseable {

    static final int ALIGNMENT = 64;

    /** The largest view: a {@link java.nio.ByteBuffer} holds at most {@code Integer.MAX_VALUE} bytes. */
    static final int MAX_VIEW_FLOATS = Integer.MAX_VALUE / 4;

    private final BytePointer raw;
    private final Pointer aligned;
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
        inChunks(length, (from, count) -> view(from, count).put(0, src, offset + from, count));
    }

    /** Copies the first {@code length} floats of this buffer to {@code dst} at {@code offset}. */
    void get(float[] dst, int offset, int length) {
        check(length);
        inChunks(length, (from, count) -> view(from, count).get(0, dst, offset + from, count));
    }

    /** Copies one chunk: floats {@code from .. from + count - 1} of the buffer. */
    private interface ChunkCopy {
        void copy(int from, int count);
    }

    /**
     * Runs {@code copy} over floats {@code 0 .. length - 1} of the buffer in {@link ParallelChunks} (they write disjoint
     * memory), on the calling thread below the parallel size; no chunk exceeds {@link #MAX_VIEW_FLOATS}.
     */
    private static void inChunks(int length, ChunkCopy copy) {
        int parallel = ParallelChunks.count(length);
        int chunks = Math.max(Math.max(1, parallel), (int) ((length + (long) MAX_VIEW_FLOATS - 1) / MAX_VIEW_FLOATS));
        IntStream each = IntStream.range(0, chunks);
        (parallel > 1 ? each.parallel() : each).forEach(c -> {
            int from = ParallelChunks.start(length, c, chunks);
            copy.copy(from, ParallelChunks.start(length, c + 1, chunks) - from);
        });
    }

    /** A direct, native-order view of floats {@code from .. from + count - 1} (at most {@link #MAX_VIEW_FLOATS}). */
    private FloatBuffer view(long from, int count) {
        return new BytePointer(new Address(aligned.address() + 4 * from)).capacity(4L * count).asByteBuffer()
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
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
