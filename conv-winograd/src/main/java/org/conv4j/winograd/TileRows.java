package org.conv4j.winograd;

/**
 * The gathers and scatters between one row of an NCHW plane and a segment of consecutive tiles held lane-innermost
 * ({@link Transforms}): tile {@code k} of the segment covers columns {@code x0 + k*m .. x0 + k*m + m - 1} of the
 * row, and its column {@code q} is lane {@code at + k} of array {@code q}. Along the row that is a transpose of
 * {@code len x m} floats, one loop per row with {@code m} adjacent loads or stores per tile (a loop for
 * {@code m = 2, 4, 6} each, so that the offsets are constants). A gather reads only columns inside its array (the
 * caller pads a stretch that crosses the source's edge); a scatter writes the tiles over the destination's right edge
 * column by column with a test.
 */
final class TileRows {

    private TileRows() {
    }

    /**
     * {@code d[q][at + k] = src[x + k*m + q]} for {@code q < m}, {@code k < len}: every column inside {@code src}
     * (the caller pads a row stretch that crosses an edge, {@code WinogradEngine.gather}).
     */
    static void gather(float[] src, int x, int m, float[][] d, int at, int len) {
        switch (m) {
            case 2 -> gather2(src, x, d, at, at + len);
            case 4 -> gather4(src, x, d, at, at + len);
            case 6 -> gather6(src, x, d, at, at + len);
            default -> gatherAny(src, x, m, d, at, len);
        }
    }

    /** {@link #gather} for any {@code m}, column by column. */
    private static void gatherAny(float[] src, int x, int m, float[][] d, int at, int len) {
        for (int q = 0; q < m; q++) {
            float[] dq = d[q];
            for (int k = 0; k < len; k++) {
                dq[at + k] = src[x + k * m + q];
            }
        }
    }

    /** Tiles inside the row, m = 2: lanes {@code i0 .. i1 - 1}, the first tile's columns at {@code src[x ..]}. */
    private static void gather2(float[] src, int x, float[][] d, int i0, int i1) {
        float[] d0 = d[0];
        float[] d1 = d[1];
        for (int i = i0; i < i1; i++, x += 2) {
            d0[i] = src[x];
            d1[i] = src[x + 1];
        }
    }

    /** As {@link #gather2}, m = 4. */
    private static void gather4(float[] src, int x, float[][] d, int i0, int i1) {
        float[] d0 = d[0];
        float[] d1 = d[1];
        float[] d2 = d[2];
        float[] d3 = d[3];
        for (int i = i0; i < i1; i++, x += 4) {
            d0[i] = src[x];
            d1[i] = src[x + 1];
            d2[i] = src[x + 2];
            d3[i] = src[x + 3];
        }
    }

    /** As {@link #gather2}, m = 6. */
    private static void gather6(float[] src, int x, float[][] d, int i0, int i1) {
        float[] d0 = d[0];
        float[] d1 = d[1];
        float[] d2 = d[2];
        float[] d3 = d[3];
        float[] d4 = d[4];
        float[] d5 = d[5];
        for (int i = i0; i < i1; i++, x += 6) {
            d0[i] = src[x];
            d1[i] = src[x + 1];
            d2[i] = src[x + 2];
            d3[i] = src[x + 3];
            d4[i] = src[x + 4];
            d5[i] = src[x + 5];
        }
    }

    /**
     * {@code dst[start + k*m + j] = y[j][from + k] + add} for {@code j < m}, {@code k < len}, where
     * {@code k*m + j < limit} (the columns left in the destination row from the segment's first): tiles over the
     * right edge keep what lies inside.
     */
    static void scatter(float[][] y, int from, float add, float[] dst, int start, int limit, int m, int len) {
        int full = Math.min(len, limit / m);
        switch (m) {
            case 2 -> scatter2(y, from, add, dst, start, full);
            case 4 -> scatter4(y, from, add, dst, start, full);
            case 6 -> scatter6(y, from, add, dst, start, full);
            default -> scatterEdge(y, from, add, dst, start, limit, m, 0, full);
        }
        scatterEdge(y, from, add, dst, start, limit, m, full, len);
    }

    /** {@link #scatter} for tiles {@code k0 .. k1 - 1}, column by column with a test. */
    private static void scatterEdge(float[][] y, int from, float add, float[] dst, int start, int limit, int m,
                                    int k0, int k1) {
        for (int j = 0; j < m; j++) {
            float[] yj = y[j];
            for (int k = k0; k < k1 && k * m + j < limit; k++) {
                dst[start + k * m + j] = yj[from + k] + add;
            }
        }
    }

    /** The first {@code full} tiles, all inside, m = 2. */
    private static void scatter2(float[][] y, int from, float add, float[] dst, int e, int full) {
        float[] y0 = y[0];
        float[] y1 = y[1];
        for (int i = from; i < from + full; i++, e += 2) {
            dst[e] = y0[i] + add;
            dst[e + 1] = y1[i] + add;
        }
    }

    /** As {@link #scatter2}, m = 4. */
    private static void scatter4(float[][] y, int from, float add, float[] dst, int e, int full) {
        float[] y0 = y[0];
        float[] y1 = y[1];
        float[] y2 = y[2];
        float[] y3 = y[3];
        for (int i = from; i < from + full; i++, e += 4) {
            dst[e] = y0[i] + add;
            dst[e + 1] = y1[i] + add;
            dst[e + 2] = y2[i] + add;
            dst[e + 3] = y3[i] + add;
        }
    }

    /** As {@link #scatter2}, m = 6. */
    private static void scatter6(float[][] y, int from, float add, float[] dst, int e, int full) {
        float[] y0 = y[0];
        float[] y1 = y[1];
        float[] y2 = y[2];
        float[] y3 = y[3];
        float[] y4 = y[4];
        float[] y5 = y[5];
        for (int i = from; i < from + full; i++, e += 6) {
            dst[e] = y0[i] + add;
            dst[e + 1] = y1[i] + add;
            dst[e + 2] = y2[i] + add;
            dst[e + 3] = y3[i] + add;
            dst[e + 4] = y4[i] + add;
            dst[e + 5] = y5[i] + add;
        }
    }
}
