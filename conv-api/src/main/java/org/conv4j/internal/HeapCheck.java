package org.conv4j.internal;

import java.util.Arrays;

/**
 * Fails fast, before any work is done, when a tensor a call must return cannot fit in the heap at all:
 * {@code 4 * elements} bytes above {@link Runtime#maxMemory()} (the {@code -Xmx}) can never be allocated,
 * whatever the collector frees, so the call stops with a message naming the tensor and the sizes instead of
 * failing with a bare {@link OutOfMemoryError} after some of the work.
 */
public final class HeapCheck {

    private HeapCheck() {
    }

    /**
     * @throws OutOfMemoryError naming {@code what}, its shape, its bytes and the max heap, if it cannot fit
     */
    public static void ensureFits(String what, int... shape) {
        long elements = 1;
        for (int d : shape) {
            elements *= d;
        }
        long bytes = elements * Float.BYTES;
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new OutOfMemoryError(what + ": the tensor of shape " + Arrays.toString(shape) + " needs " + bytes
                    + " bytes, more than the maximum heap of " + max + " bytes (-Xmx); nothing was computed");
        }
    }
}
