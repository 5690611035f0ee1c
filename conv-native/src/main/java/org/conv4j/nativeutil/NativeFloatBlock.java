package org.conv4j.nativeutil;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.conv4j.spi.ParallelChunks;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * A block of native memory for floats, aligned to {@value #ALIGNMENT} bytes (a cache line, which native kernels
 * read fastest), that native calls use in place and that Java fills and reads with bulk copies: oneDNN memory
 * objects wrap it without copying, OpenBLAS's {@code NativeFloats} are views of it. Float {@code i} is at byte
 * {@code 4*i} from {@link #pointer()}. Owned by one caller at a time; not thread-safe. Freed by {@link #close()}
 * or, failing that, when JavaCPP's deallocator finds it unreachable.
 *
 * <p>The copies go through direct {@link FloatBuffer} views of the block (the JDK's bulk copy, no JNI: JavaCPP's
 * {@code FloatPointer.put(float[])} copies the whole Java array in and out of a temporary C array on every
 * call). Large copies are split into contiguous chunks run on the common fork-join pool
 * ({@link ParallelChunks}).
 */
public final class NativeFloatBlock implements AutoCloseable {

    /** The alignment of the block's start, in bytes. */
    public static final int ALIGNMENT = 64;

    /** The largest view: a {@link java.nio.ByteBuffer} holds at most {@code Integer.MAX_VALUE} bytes. */
    public static final int MAX_VIEW_FLOATS = Integer.MAX_VALUE / 4;

    private final BytePointer raw;
    private final Pointer aligned;
    private final long capacity;

    /**
     * A new block of {@code bytes} bytes (contents unspecified).
     *
     * @param bytes the size in bytes, at least 0
     * @throws OutOfMemoryError if the native memory cannot be allocated
     */
    public NativeFloatBlock(long bytes) {
        raw = new BytePointer(bytes + ALIGNMENT);
        if (raw.isNull()) {
            throw new OutOfMemoryError("could not allocate " + bytes + " bytes of native memory");
        }
        long start = (raw.address() + ALIGNMENT - 1) & -ALIGNMENT;
        aligned = NativePointers.at(start);
        capacity = bytes;
    }

    /**
     * The size in bytes.
     *
     * @return the size
     */
    public long capacity() {
        return capacity;
    }

    /**
     * The aligned start, for native calls.
     *
     * @return the start
     */
    public Pointer pointer() {
        return aligned;
    }

    /**
     * Copies {@code length} floats of {@code src} from {@code offset} to the start of this block.
     *
     * @param src the source
     * @param offset the first float copied
     * @param length the number of floats
     * @throws IndexOutOfBoundsException if the floats do not fit in the block
     */
    public void put(float[] src, int offset, int length) {
        check(length);
        inChunks(length, (from, count) -> view(from, count).put(0, src, offset + from, count));
    }

    /**
     * Copies the first {@code length} floats of this block to {@code dst} at {@code offset}.
     *
     * @param dst the destination
     * @param offset the first float written
     * @param length the number of floats
     * @throws IndexOutOfBoundsException if the block holds fewer floats
     */
    public void get(float[] dst, int offset, int length) {
        check(length);
        inChunks(length, (from, count) -> view(from, count).get(0, dst, offset + from, count));
    }

    /**
     * Whether the first {@code src.length} floats of this block equal {@code src}: bit for bit, but any NaN equals any
     * NaN ({@link FloatBuffer#mismatch}, compared at memory speed, in the same chunks as {@link #put}).
     *
     * @param src the floats
     * @return true if the block starts with them
     */
    public boolean holds(float[] src) {
        if (4L * src.length > capacity) {
            return false;
        }
        return allChunks(src.length,
                (from, count) -> view(from, count).mismatch(FloatBuffer.wrap(src, from, count)) == -1);
    }

    /** Copies one chunk: floats {@code from .. from + count - 1} of the block. */
    private interface ChunkCopy {
        void copy(int from, int count);
    }

    /**
     * Runs {@code copy} over floats {@code 0 .. length - 1} of the block in {@link ParallelChunks} (they write disjoint
     * memory), on the calling thread below the parallel size; no chunk exceeds {@link #MAX_VIEW_FLOATS}.
     */
    private static void inChunks(int length, ChunkCopy copy) {
        allChunks(length, (from, count) -> {
            copy.copy(from, count);
            return true;
        });
    }

    /** Checks floats {@code from .. from + count - 1} of the block. */
    private interface ChunkTest {
        boolean test(int from, int count);
    }

    /**
     * Whether {@code test} holds on every chunk of floats {@code 0 .. length - 1}, in {@link ParallelChunks} as
     * {@link #inChunks} (stopping early where one fails).
     */
    private static boolean allChunks(int length, ChunkTest test) {
        int parallel = ParallelChunks.count(length);
        int chunks = Math.max(Math.max(1, parallel), (int) ((length + (long) MAX_VIEW_FLOATS - 1) / MAX_VIEW_FLOATS));
        IntStream each = IntStream.range(0, chunks);
        return (parallel > 1 ? each.parallel() : each).allMatch(c -> {
            int from = ParallelChunks.start(length, c, chunks);
            return test.test(from, ParallelChunks.start(length, c + 1, chunks) - from);
        });
    }

    /** A direct, native-order view of floats {@code from .. from + count - 1} (at most {@link #MAX_VIEW_FLOATS}). */
    private FloatBuffer view(long from, int count) {
        return new BytePointer(NativePointers.at(aligned.address() + 4 * from)).capacity(4L * count).asByteBuffer()
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private void check(int length) {
        if (4L * length > capacity) {
            throw new IndexOutOfBoundsException(length + " floats do not fit in a block of "
                    + capacity + " bytes");
        }
    }

    /** Frees the memory now; the block must not be used afterwards. */
    @Override
    public void close() {
        raw.deallocate();
    }
}
