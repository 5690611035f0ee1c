package org.conv4j.winograd;

/**
 * The gathers and scatters between one row of an NCHW plane and a segment of consecutive tiles held lane-innermost
 * ({@link Transforms}): tile {@code k} of the segment covers columns {@code x0 + k*m .. x0 + k*m + m - 1} of the
 * row, and its column {@code q} is lane {@code at + k} of array {@code q}. Along the row that is a transpose of
 * {@code len x m} floats; the tiles whose {@code m} columns all lie inside the row run as one loop per row with
 * {@code m} adjacent loads or stores per tile (a loop for {@code m = 2, 4, 6} each, so that the offsets are
 * constants), the tiles over an edge column by column with a test.
 */
final class TileRows {

    private TileRows() {
    }

    /**
     * {@code d[q][at + k] = src[row + x0 + k*m + q]} for {@code q < m}, {@code k < len}; 0 where the column
     * {@code x0 + k*m + q} lies outside {@code [0, width)}.
     */
    static void gather(float[] src, int row, int x0, int width, int m, float[][] d, int at, int len) {
        int lo = fullFrom(x0, m, len);
        int hi = Math.max(lo, Math.min(len, (width - x0) / m));
        gatherEdge(src, row, x0, width, m, d, at, 0, lo);
        int x = row + x0 + lo * m;
        switch (m) {
            case 2 -> gather2(src, x, d, at + lo, at + hi);
            case 4 -> gather4(src, x, d, at + lo, at + hi);
            case 6 -> gather6(src, x, d, at + lo, at + hi);
            default -> gatherEdge(src, row, x0, width, m, d, at, lo, hi);
        }
        gatherEdge(src, row, x0, width, m, d, at, hi, len);
    }

    /**
     * The first tile whose columns are all at or right of column 0: {@code ceil(-x0 / m)} (0 if {@code x0 >= 0}),
     * at most {@code len}. Tiles from there to {@code (width - x0) / m} (rounded down: the last whose column
     * {@code m - 1} is left of {@code width}; for a negative quotient Java's truncation gives 0 or less, under it)
     * lie inside.
     */
    private static int fullFrom(int x0, int m, int len) {
        return x0 >= 0 ? 0 : Math.min(len, (m - 1 - x0) / m);
    }

    /** {@link #gather} for tiles {@code k0 .. k1 - 1}, column by column with a test. */
    private static void gatherEdge(float[] src, int row, int x0, int width, int m, float[][] d, int at, int k0,
                                   int k1) {
        for (int q = 0; q < m; q++) {
            float[] dq = d[q];
            for (int k = k0; k < k1; k++) {
                int x = x0 + k * m + q;
                dq[at + k] = x >= 0 && x < width ? src[row + x] : 0f;
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
