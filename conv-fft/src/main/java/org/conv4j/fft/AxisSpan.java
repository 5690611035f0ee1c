package org.conv4j.fft;

/**
 * The positions of one box of a signal along one axis: source index {@code q} in {@code [from, to]} goes to
 * buffer index {@code q*step + offset} (none if {@code from > to}). The 2D gradient placements of {@link FftBackend}
 * and the 3D placements of {@link Fft3d} use it. The factories, for 3D, also check that those indices lie in
 * {@code [0, f)}: the single-tile rule of {@link AxisTiling} guarantees it, so a violation is a planning error, not
 * an input one.
 */
record AxisSpan(int from, int to, int step, int offset) {

    /** {@code [from, to]} at {@code q*step + offset}, checked to lie in a transform of length {@code f}. */
    static AxisSpan of(int from, int to, int step, int offset, int f) {
        if (from <= to && ((long) from * step + offset < 0 || (long) to * step + offset >= f)) {
            throw new IllegalStateException("fft 3D: positions " + from + ".." + to + " (step " + step
                    + ", offset " + offset + ") outside a transform of length " + f);
        }
        return new AxisSpan(from, to, step, offset);
    }

    /** The data positions tile 0 of {@code t} reads (multiples of {@code step}), at {@code x - lo}. */
    static AxisSpan data(AxisTiling t, int step) {
        long first = t.dataFirst(0);
        long last = t.dataLast(0);
        if (first > last) {
            return new AxisSpan(0, -1, step, 0);
        }
        return of((int) (first / step), (int) (last / step), step, (int) -t.lo(0), t.f);
    }

    /** {@code [0, count)} at {@code q*step}, in a transform of length {@code f}. */
    static AxisSpan all(int count, int step, int f) {
        return of(0, count - 1, step, 0, f);
    }

    /** The number of positions, 0 if none. */
    int count() {
        return Math.max(0, to - from + 1);
    }

    /** The buffer index of source index {@code q}. */
    int at(int q) {
        return q * step + offset;
    }
}
