package org.conv4j.onednn;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;

/**
 * When oneDNN may read and write two native tensors where they are (the in-place paths of {@link OnednnBackend},
 * {@link PreparedForward} and {@link PreparedGradients}), from pinned views of their storage.
 */
final class CallerMemory {

    private CallerMemory() {
    }

    /**
     * Whether oneDNN can use {@code a} and {@code b} (views of two native tensors, position 0, limit their size) as
     * they are: both in the platform's byte order (oneDNN reads floats in that order), and not overlapping. An
     * overlap is possible with wrapped buffers (or one tensor passed as both input and output) and would have oneDNN
     * write an output over an input it is still reading; the copies at the edge give such calls the right result.
     */
    static boolean usable(FloatBuffer a, FloatBuffer b) {
        return readable(a) && readable(b) && !overlap(a, b);
    }

    /**
     * Whether oneDNN can read {@code b} (a view of a native tensor, or null for an operand a pass does not have) as it
     * is: in the platform's byte order. Two operands that are only read may share memory.
     */
    static boolean readable(FloatBuffer b) {
        return b == null || b.order() == ByteOrder.nativeOrder();
    }

    /** Whether the floats of the two direct buffers, position to limit, share an address. */
    static boolean overlap(FloatBuffer a, FloatBuffer b) {
        long startA = new FloatPointer(a).address();
        long startB = new FloatPointer(b).address();
        return startA < startB + 4L * b.remaining() && startB < startA + 4L * a.remaining();
    }
}
