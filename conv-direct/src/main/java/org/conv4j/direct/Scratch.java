package org.conv4j.direct;

/**
 * Per-thread scratch rows, grown on demand and reused by every later call on that thread, so that a pass
 * touches no fresh memory after its first call (fresh pages are slow on the project's VMs). Each slot is
 * one array; a kernel uses distinct slots for buffers that are alive at the same time.
 */
final class Scratch {

    /** Slots: accumulator, up to three tap buffers, the gradOutput copy. */
    static final int ACC = 0;
    static final int TAP = 1;
    static final int DY = 4;
    private static final int SLOTS = 5;

    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final float[][] rows = new float[SLOTS][0];
    private float[][] lanes = new float[0][0];

    private Scratch() {
    }

    static Scratch get() {
        return PER_THREAD.get();
    }

    /** Slot {@code slot} with at least {@code length} floats (contents unspecified). */
    float[] row(int slot, int length) {
        float[] r = rows[slot];
        if (r.length < length) {
            r = new float[Math.max(length, 2 * r.length)];
            rows[slot] = r;
        }
        return r;
    }

    /** {@code count} separate lane arrays of at least {@code length} floats each (contents unspecified). */
    float[][] lanes(int count, int length) {
        if (lanes.length < count) {
            lanes = java.util.Arrays.copyOf(lanes, count);
        }
        for (int j = 0; j < count; j++) {
            if (lanes[j] == null || lanes[j].length < length) {
                lanes[j] = new float[length];
            }
        }
        return lanes;
    }
}
