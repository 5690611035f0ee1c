package org.conv4j.fft;

/**
 * How one spatial axis (height or width) is cut into overlap-save tiles of one transform length {@code f}.
 *
 * <p>Two kinds of problem occur along an axis; both read a <em>data</em> signal (zero outside
 * {@code [0, dataLength)}) through a window of extent {@code e} (the dilated kernel extent):
 * <ul>
 *   <li>{@link Kind#CORRELATE} (forward, and the weight gradient): output {@code o} reads data positions
 *       {@code o*s - p + [0, e)}; the data is the input ({@code s} stride, {@code p} leading padding).</li>
 *   <li>{@link Kind#CONVOLVE} (input gradient): output {@code o} (an input position) reads positions
 *       {@code o + p - e + 1 + [0, e)} of the stride-upsampled output gradient, which is non-zero only at
 *       multiples of {@code s} below {@code (outCount-1)*s + 1}.</li>
 * </ul>
 * A tile covers outputs {@code [o0, o1)} and reads positions {@code [lo, hi]}. Its data is written into the
 * length-{@code f} buffer at the circular position {@code (x - lo) mod f}. That is exact - every read sees
 * the data it should, or a zero - if and only if
 * <pre>
 *   f >= max(d1 - lo, hi - d0) + 1
 * </pre>
 * where {@code [d0, d1]} is the part of the read range holding data: reads below the data wrap to the
 * top of the buffer and must land above the data, reads above it must stay below {@code f}. Reads that alias
 * each other are harmless when both read zero. So a single tile needs only {@code dataLength + max(pad)}
 * rather than {@code dataLength + e - 1} for a padded convolution. A full tile that must hold its whole read
 * range needs {@code (outputs-1)*s + e <= f} (correlate) or {@code outputs + e - 1 <= f} (convolve).
 *
 * <p>The circular output position of output {@code o} is {@code (o - o0)*s} (correlate) and
 * {@code (o - o0) + e - 1} (convolve), both below {@code f}.
 */
final class AxisTiling {

    enum Kind { CORRELATE, CONVOLVE }

    final Kind kind;
    /** Transform length. */
    final int f;
    /** Outputs along the axis. */
    final int outCount;
    /** Outputs per tile (the last tile may have fewer). */
    final int perTile;
    /** Number of tiles. */
    final int tiles;
    final int stride;
    final int pad;
    final int extent;
    /** Length of the data signal: the input size, or {@code (outH-1)*s + 1} for the upsampled gradient. */
    final int dataLength;

    private AxisTiling(Kind kind, int f, int outCount, int perTile, int stride, int pad, int extent, int dataLength) {
        this.kind = kind;
        this.f = f;
        this.outCount = outCount;
        this.perTile = perTile;
        this.tiles = (outCount + perTile - 1) / perTile;
        this.stride = stride;
        this.pad = pad;
        this.extent = extent;
        this.dataLength = dataLength;
    }

    /**
     * The tiling of an axis with transform length {@code f}, or null if {@code f} is too short for even one
     * output per tile.
     *
     * @param outCount   outputs along the axis (forward/weight gradient: output size; input gradient: input size)
     * @param stride     convolution stride
     * @param pad        leading padding
     * @param extent     dilated kernel extent {@code (k-1)*d + 1}
     * @param dataLength correlate: input size; convolve: {@code (outH-1)*stride + 1}
     */
    static AxisTiling of(Kind kind, int f, int outCount, int stride, int pad, int extent, int dataLength) {
        if (fits(kind, f, 0, outCount, stride, pad, extent, dataLength)) {
            return new AxisTiling(kind, f, outCount, outCount, stride, pad, extent, dataLength);
        }
        if (f < extent) {
            return null;
        }
        int per = kind == Kind.CORRELATE ? (f - extent) / stride + 1 : f - extent + 1;
        return new AxisTiling(kind, f, outCount, Math.min(per, outCount), stride, pad, extent, dataLength);
    }

    /** The smallest length for which the whole axis is one tile. */
    static int singleTileLength(Kind kind, int outCount, int stride, int pad, int extent, int dataLength) {
        long lo = lo(kind, 0, stride, pad, extent);
        long hi = hi(kind, outCount, stride, pad, extent);
        long need = need(kind, 0, outCount, lo, hi, stride, extent, dataLength);
        return (int) Math.min(Integer.MAX_VALUE, need);
    }

    private static boolean fits(Kind kind, int f, int o0, int o1, int stride, int pad, int extent, int dataLength) {
        long lo = lo(kind, o0, stride, pad, extent);
        long hi = hi(kind, o1, stride, pad, extent);
        return need(kind, o0, o1, lo, hi, stride, extent, dataLength) <= f;
    }

    private static long need(Kind kind, int o0, int o1, long lo, long hi, int stride, int extent, int dataLength) {
        long outputsSpan = kind == Kind.CORRELATE ? (long) (o1 - 1 - o0) * stride + 1 : (long) (o1 - o0);
        long need = Math.max(extent, outputsSpan);
        long d0 = dataFirst(kind, lo, stride, dataLength);
        long d1 = dataLast(kind, hi, stride, dataLength);
        if (d0 <= d1) {
            need = Math.max(need, Math.max(d1 - lo, hi - d0) + 1);
        }
        return need;
    }

    private static long lo(Kind kind, int o0, int stride, int pad, int extent) {
        return kind == Kind.CORRELATE ? (long) o0 * stride - pad : (long) o0 + pad - extent + 1;
    }

    private static long hi(Kind kind, int o1, int stride, int pad, int extent) {
        return kind == Kind.CORRELATE ? (long) (o1 - 1) * stride - pad + extent - 1 : (long) o1 - 1 + pad;
    }

    /** First data position at or after {@code lo} (convolve: a multiple of the stride). */
    private static long dataFirst(Kind kind, long lo, int stride, int dataLength) {
        long x = Math.max(lo, 0);
        if (kind == Kind.CONVOLVE) {
            x = (x + stride - 1) / stride * stride;
        }
        return x;
    }

    /** Last data position at or before {@code hi}. */
    private static long dataLast(Kind kind, long hi, int stride, int dataLength) {
        long x = Math.min(hi, dataLength - 1);
        if (kind == Kind.CONVOLVE && x >= 0) {
            x = x / stride * stride;
        }
        return x;
    }

    /** First output of tile {@code t}. */
    int first(int t) {
        return t * perTile;
    }

    /** One past the last output of tile {@code t}. */
    int end(int t) {
        return Math.min(outCount, (t + 1) * perTile);
    }

    /** Start of the read range of tile {@code t}: the data position written to buffer index 0. */
    long lo(int t) {
        return lo(kind, first(t), stride, pad, extent);
    }

    /** First data position tile {@code t} reads (may exceed {@link #dataLast(int)} if it reads none). */
    long dataFirst(int t) {
        return dataFirst(kind, lo(t), stride, dataLength);
    }

    /** Last data position tile {@code t} reads. */
    long dataLast(int t) {
        return dataLast(kind, hi(kind, end(t), stride, pad, extent), stride, dataLength);
    }

    /** Buffer index of data position {@code x} in tile {@code t}: {@code (x - lo) mod f}. */
    int bufferIndex(int t, long x) {
        return (int) Math.floorMod(x - lo(t), (long) f);
    }

    /** Circular output position of output {@code o} of tile {@code t} (reduced mod {@code f}). */
    int outputIndex(int t, int o) {
        long t0 = kind == Kind.CORRELATE ? (long) (o - first(t)) * stride : (long) (o - first(t)) + extent - 1;
        return (int) Math.floorMod(t0, (long) f);
    }

    @Override
    public String toString() {
        return kind + "{f=" + f + ", tiles=" + tiles + " x " + perTile + " of " + outCount + "}";
    }
}
