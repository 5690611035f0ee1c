package org.conv4j.api;

import org.conv4j.spi.BudgetedIdlePool;
import org.conv4j.spi.WorkspaceBudget;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The native memory of tensors ({@link Tensor4D#allocateNative}, and the copies {@code toNative} makes): direct
 * buffers in the platform's byte order, and the memory of closed tensors kept for the next allocation of the same
 * size.
 *
 * <p>Why keep it: the first touch of a page the process has not used costs a page fault, and on virtual machines
 * 5-10 us per 4 KiB page; the C library returns large freed blocks to the system, so a call that allocates a
 * 12.8 MB result and a caller that closes it after use paid about 30 ms of page faults per call where the
 * convolution took 2 ms (MobileNet's depthwise layers at batch 8, backward, on such a VM). Kept blocks are idle
 * memory of the process-wide workspace budget ({@link WorkspaceBudget#global()}, through a {@link
 * BudgetedIdlePool}): counted with the calls' workspace, freed when a call needs the room or at {@link
 * Workspace#releaseIdle()}. A block is kept only while the budget has room for it, and only blocks of at least
 * {@link #MIN_KEPT_BYTES} (smaller ones the C library keeps itself). A reused block is zeroed, as a new one is,
 * except for a result a backend writes in full ({@code AbstractConvBackend.newNativeResult}): zeroing 25 MB costs
 * about 0.8 ms here, a third of a depthwise layer's backward pass.
 */
final class NativeBlocks {

    /** Blocks below this size are freed at once: 256 KiB. */
    static final int MIN_KEPT_BYTES = 256 << 10;

    /** The most blocks kept (a network's layers use a few sizes each). */
    static final int MAX_KEPT = 16;

    /** The source of the zeroes a reused block is filled with; read only. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10);

    /**
     * The kept blocks, made at the first block large enough to keep: the process-wide budget is created then (it
     * reads {@code conv4j.workspace.total}, whose bad value is an {@link IllegalArgumentException} of that call, not a
     * failed initialisation of this class), and small tensors never create it.
     */
    private static volatile BudgetedIdlePool<ByteBuffer> kept;

    private NativeBlocks() {
    }

    /**
     * A direct buffer of {@code bytes} bytes in the platform's byte order, position 0, limit its capacity: a kept
     * block of exactly that size, or a new one (zeroed by the JDK).
     *
     * @param bytes the size
     * @param zeroed whether a kept block is zeroed (false only for a result its caller writes in full)
     * @return the buffer, owned by the caller until it is {@link #free}d
     */
    static ByteBuffer allocate(int bytes, boolean zeroed) {
        ByteBuffer b = bytes >= MIN_KEPT_BYTES ? kept().take(bytes, bytes) : null;
        if (b == null) {
            return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        }
        b.clear();
        for (int at = 0; zeroed && at < bytes; at += ZEROS.capacity()) {
            b.put(at, ZEROS, 0, Math.min(ZEROS.capacity(), bytes - at)); // absolute: ZEROS's position stays
        }
        return b;
    }

    /**
     * Frees {@code block} (from {@link #allocate}, no longer used): kept for reuse if it is large enough and the
     * budget has room for it, else returned to the system at once.
     *
     * @param block the buffer
     */
    static void free(ByteBuffer block) {
        long bytes = block.capacity();
        WorkspaceBudget budget = bytes >= MIN_KEPT_BYTES ? WorkspaceBudget.global() : null;
        if (budget != null && bytes <= budget.totalBytes() - budget.grantedBytes() - budget.idleBytes()) {
            kept().keep(block);
        } else {
            Freer.free(block);
        }
    }

    /** The kept blocks' pool, made on first use (see {@link #kept}). */
    private static BudgetedIdlePool<ByteBuffer> kept() {
        BudgetedIdlePool<ByteBuffer> k = kept;
        if (k == null) {
            synchronized (NativeBlocks.class) {
                k = kept;
                if (k == null) {
                    k = new BudgetedIdlePool<>(MAX_KEPT, WorkspaceBudget.global(), ByteBuffer::capacity, Freer::free);
                    kept = k;
                }
            }
        }
        return k;
    }

    /** Bytes of the blocks kept (for tests). */
    static long keptBytes() {
        BudgetedIdlePool<ByteBuffer> k = kept;
        return k == null ? 0 : k.idleBytes();
    }

    /**
     * Frees a direct buffer's memory at once through {@code sun.misc.Unsafe.invokeCleaner} (module
     * {@code jdk.unsupported}, present in every JDK since 9, as Netty and Lucene use it); where it is not
     * accessible, the memory is left to the JDK's cleaner, which frees it when the buffer is unreachable.
     */
    private static final class Freer {
        private static final Object UNSAFE;
        private static final Method INVOKE_CLEANER;

        static {
            Object unsafe = null;
            Method invoke = null;
            try {
                Class<?> type = Class.forName("sun.misc.Unsafe");
                Field field = type.getDeclaredField("theUnsafe");
                field.setAccessible(true);
                unsafe = field.get(null);
                invoke = type.getMethod("invokeCleaner", ByteBuffer.class);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                unsafe = null;
                invoke = null;
            }
            UNSAFE = unsafe;
            INVOKE_CLEANER = invoke;
        }

        static void free(ByteBuffer direct) {
            if (INVOKE_CLEANER == null) {
                return;
            }
            try {
                INVOKE_CLEANER.invoke(UNSAFE, direct);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // left to the JDK's cleaner
            }
        }
    }
}
