package org.conv4j.winograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The input, kernel and output transforms on blocks of {@code n <= }{@link #LANES} lanes (tiles, or a kernel's input
 * channels) laid out lane-innermost. A block of {@code q x q} matrices is held as {@code q} row arrays: element
 * {@code (a, b)} of lane {@code t} is {@code rows[a][b*n + t]}. {@code P^T X P} then runs as two passes of loops
 * with <em>one index expression for every array</em> and at most four loads per loop, the forms C2 compiles to
 * vector instructions (docs/direct.md, "What C2 vectorises": an offset index such as {@code x[u + 64]}, or nine
 * terms in one loop, stays scalar; a loop of four loads and two stores is vectorised, one of six loads is not):
 * <ol>
 *   <li>columns: {@code tmp[i][u] = sum_a P^T[i][a] * rows[a][u]} for {@code u < q*n} (whole rows at once);</li>
 *   <li>a transpose of the runs ({@code System.arraycopy}, an intrinsic): {@code cols[b][i*n + t] =
 *       tmp[i][b*n + t]};</li>
 *   <li>rows: {@code out[j][v] = sum_b P^T[j][b] * cols[b][v]} for {@code v < r*n}, so that element
 *       {@code (i, j)} of the result for lane {@code t} is {@code out[j][i*n + t]}.</li>
 * </ol>
 * Each pass is {@code P^T} applied to {@code q} arrays as a {@link Form}: the zero coefficients skipped (about half
 * of those of {@code B^T}), and the symmetry of the interpolation points {@code a, -a} used as butterflies, which
 * saves a third of the loads and stores. Every lane is a real tile (or kernel): the callers pass the block's own
 * count as {@code n}, so no lane holds stale data.
 */
final class Transforms {

    /**
     * The most lanes per block: runs of up to 128 floats (vector loops of up to 1024 floats; in a rough single-thread
     * probe on a loaded host the staged transforms of ResNet-50's 64-channel layer took about 15% less CPU time with
     * 128 than with 64); the F(6x6) block (8 rows of 8 runs) is 32 KiB per buffer.
     */
    static final int LANES = 128;

    /** The scratch arrays a pass of any {@link Form} of this backend needs ({@link #apply}'s {@code extra}). */
    static final int EXTRA = 7;

    private Transforms() {
    }

    /**
     * A transform matrix {@code P^T} ({@code rows x cols}) as the loops that apply it to {@code cols} source arrays,
     * in three steps:
     * <ol>
     *   <li><b>column pairs</b> {@code (j, j')} whose entries are equal or opposite in every row (the columns of
     *       {@code A^T} for the points {@code a} and {@code -a}: {@code a^i} and {@code (-a)^i}): the sum
     *       {@code x_j + x_j'} and the difference {@code x_j - x_j'} are formed once, and each row takes one of them
     *       with the coefficient {@code P^T[i][j]} instead of both sources
     *       ({@code c x_j + c x_j' = c (x_j + x_j')}, {@code c x_j - c x_j' = c (x_j - x_j')});</li>
     *   <li><b>row pairs</b> {@code (i, i')} whose entries are equal on a set {@code E} of sources and opposite on the
     *       rest {@code O} (the rows of {@code B^T} and {@code G} for {@code a} and {@code -a}): with
     *       {@code e = sum_E}, {@code o = sum_O}, row {@code i} is {@code e + o} and row {@code i'} is {@code e - o},
     *       one loop for {@code e} and one for both rows;</li>
     *   <li>the other rows term by term.</li>
     * </ol>
     * Sources are numbered as in {@code P^T}, with the sums and differences of the column pairs and the scratch
     * {@code e} after them: source {@code k} is {@code in[k]} for {@code k < cols}, else {@code extra[k - cols]}.
     * The loops keep at most three terms (a set, then additions) and a butterfly at most three terms of {@code o}.
     */
    static final class Form {
        final int rows;
        final int cols;
        /** Column pairs {@code {j, j'}}: pair {@code p} leaves its sum in extra {@code 2p}, its difference in 2p+1. */
        final int[][] colPairs;
        /** Row pairs {@code {i, i'}} with the terms of their {@code e} and {@code o}. */
        final int[][] rowPairs;
        final int[][] eIndex;
        final float[][] eCoef;
        final int[][] oIndex;
        final float[][] oCoef;
        /** The other rows and their terms. */
        final int[] single;
        final int[][] sIndex;
        final float[][] sCoef;
        /** The source index of the scratch {@code e}. */
        final int e;

        /** The form of {@code pt} ({@code r x q}, entries exact in float). */
        Form(float[][] pt) {
            rows = pt.length;
            cols = pt[0].length;
            float[][] m = new float[rows][];
            for (int i = 0; i < rows; i++) {
                m[i] = Arrays.copyOf(pt[i], cols + EXTRA);
            }
            // 1. column pairs: rewrite each row on the pair's sum (at cols + 2p) or difference (cols + 2p + 1)
            List<int[]> cp = new ArrayList<>();
            boolean[] used = new boolean[cols];
            for (int j = 0; j < cols && 2 * cp.size() + 3 <= EXTRA; j++) {
                for (int k = j + 1; k < cols && !used[j]; k++) {
                    if (!used[k] && columnsPair(pt, j, k)) {
                        int sum = cols + 2 * cp.size();
                        for (int i = 0; i < rows; i++) {
                            if (pt[i][j] != 0f) {
                                m[i][pt[i][k] == pt[i][j] ? sum : sum + 1] = pt[i][j];
                                m[i][j] = 0f;
                                m[i][k] = 0f;
                            }
                        }
                        cp.add(new int[] {j, k});
                        used[j] = true;
                        used[k] = true;
                    }
                }
            }
            colPairs = cp.toArray(new int[0][]);
            e = cols + 2 * colPairs.length;
            // 2. row pairs
            List<int[]> rp = new ArrayList<>();
            boolean[] paired = new boolean[rows];
            for (int i = 0; i < rows; i++) {
                for (int k = i + 1; k < rows && !paired[i]; k++) {
                    if (!paired[k] && rowsPair(m[i], m[k])) {
                        rp.add(new int[] {i, k});
                        paired[i] = true;
                        paired[k] = true;
                    }
                }
            }
            rowPairs = rp.toArray(new int[0][]);
            eIndex = new int[rowPairs.length][];
            eCoef = new float[rowPairs.length][];
            oIndex = new int[rowPairs.length][];
            oCoef = new float[rowPairs.length][];
            for (int p = 0; p < rowPairs.length; p++) {
                float[] a = m[rowPairs[p][0]];
                float[] b = m[rowPairs[p][1]];
                float[] even = new float[a.length];
                float[] odd = new float[a.length];
                for (int k = 0; k < a.length; k++) {
                    (a[k] == b[k] ? even : odd)[k] = a[k];
                }
                eIndex[p] = support(even);
                eCoef[p] = values(even, eIndex[p]);
                oIndex[p] = support(odd);
                oCoef[p] = values(odd, oIndex[p]);
            }
            int[] rest = new int[rows - 2 * rowPairs.length];
            for (int i = 0, k = 0; i < rows; i++) {
                if (!paired[i]) {
                    rest[k++] = i;
                }
            }
            single = rest;
            sIndex = new int[rest.length][];
            sCoef = new float[rest.length][];
            for (int k = 0; k < rest.length; k++) {
                sIndex[k] = support(m[rest[k]]);
                sCoef[k] = values(m[rest[k]], sIndex[k]);
            }
        }

        /** Whether columns {@code j} and {@code k} are non-zero in the same rows, equal or opposite in each. */
        private static boolean columnsPair(float[][] pt, int j, int k) {
            boolean any = false;
            for (float[] row : pt) {
                if (row[j] != row[k] && row[j] != -row[k]) {
                    return false;
                }
                any |= row[j] != 0f;
            }
            return any;
        }

        /** Whether two rows are equal on a non-empty set of sources and opposite on a non-empty set of at most 3. */
        private static boolean rowsPair(float[] a, float[] b) {
            int equal = 0;
            int opposite = 0;
            for (int k = 0; k < a.length; k++) {
                if (a[k] == 0f && b[k] == 0f) {
                    continue;
                }
                if (a[k] == b[k]) {
                    equal++;
                } else if (a[k] == -b[k]) {
                    opposite++;
                } else {
                    return false;
                }
            }
            return equal > 0 && opposite > 0 && opposite <= 3;
        }

        private static int[] support(float[] row) {
            int count = 0;
            for (float v : row) {
                count += v != 0f ? 1 : 0;
            }
            int[] index = new int[count];
            for (int k = 0, c = 0; k < row.length; k++) {
                if (row[k] != 0f) {
                    index[c++] = k;
                }
            }
            return index;
        }

        private static float[] values(float[] row, int[] index) {
            float[] v = new float[index.length];
            for (int k = 0; k < index.length; k++) {
                v[k] = row[index[k]];
            }
            return v;
        }
    }

    /** Scratch: {@code count} arrays of {@code length} floats. */
    static float[][] buffers(int count, int length) {
        return new float[count][length];
    }

    /**
     * {@code out = P^T X P} for a block of {@code n} lanes (see the class comment): {@code X} in {@code rows}
     * ({@code q} arrays of at least {@code q*n}), {@code tmp} and {@code cols} scratch ({@code r} and {@code q}
     * arrays of at least {@code q*n} and {@code r*n}), {@code extra} scratch ({@link #EXTRA} arrays of at least
     * {@code max(q, r)*n}), the result in {@code out} ({@code r} arrays of at least {@code r*n}).
     */
    static void apply(Form pt, float[][] rows, float[][] tmp, float[][] cols, float[][] out, float[][] extra, int n) {
        int r = pt.rows;
        int q = pt.cols;
        pass(pt, rows, tmp, extra, q * n);
        for (int i = 0; i < r; i++) {
            for (int b = 0; b < q; b++) {
                System.arraycopy(tmp[i], b * n, cols[b], i * n, n);
            }
        }
        pass(pt, cols, out, extra, r * n);
    }

    /** {@code dst[i][u] = sum_k P^T[i][k] * in[k][u]} for {@code u < len}, as the form's loops. */
    private static void pass(Form f, float[][] in, float[][] dst, float[][] extra, int len) {
        for (int p = 0; p < f.colPairs.length; p++) {
            sumAndDifference(in[f.colPairs[p][0]], in[f.colPairs[p][1]], extra[2 * p], extra[2 * p + 1], len);
        }
        for (int p = 0; p < f.rowPairs.length; p++) {
            float[] e = source(f, f.e, in, extra);
            combine(f.eIndex[p], f.eCoef[p], f.cols, in, extra, e, len);
            butterfly(e, f.oIndex[p], f.oCoef[p], f.cols, in, extra, dst[f.rowPairs[p][0]], dst[f.rowPairs[p][1]], len);
        }
        for (int k = 0; k < f.single.length; k++) {
            combine(f.sIndex[k], f.sCoef[k], f.cols, in, extra, dst[f.single[k]], len);
        }
    }

    /** Source {@code k}: {@code in[k]} for {@code k < f.cols}, else {@code extra[k - f.cols]}. */
    private static float[] source(Form f, int k, float[][] in, float[][] extra) {
        return k < f.cols ? in[k] : extra[k - f.cols];
    }

    private static float[] source(int cols, int k, float[][] in, float[][] extra) {
        return k < cols ? in[k] : extra[k - cols];
    }

    /** {@code sum[u] = x[u] + y[u]}, {@code difference[u] = x[u] - y[u]} for {@code u < len}. */
    private static void sumAndDifference(float[] x, float[] y, float[] sum, float[] difference, int len) {
        for (int u = 0; u < len; u++) {
            float a = x[u];
            float b = y[u];
            sum[u] = a + b;
            difference[u] = a - b;
        }
    }

    /**
     * {@code plus[u] = e[u] + o}, {@code minus[u] = e[u] - o} with {@code o = sum_k coef[k] * source(index[k])[u]}
     * (one to three terms), for {@code u < len}. One loop per term count, each with its sources and coefficients
     * in locals: a loop over the terms inside the lane loop would keep C2 from vectorising it.
     */
    private static void butterfly(float[] e, int[] index, float[] coef, int cols, float[][] in, float[][] extra,
                                  float[] plus, float[] minus, int len) {
        float c0 = coef[0];
        float[] s0 = source(cols, index[0], in, extra);
        if (index.length == 1) {
            for (int u = 0; u < len; u++) {
                butterflyAt(e, c0 * s0[u], plus, minus, u);
            }
            return;
        }
        float c1 = coef[1];
        float[] s1 = source(cols, index[1], in, extra);
        if (index.length == 2) {
            for (int u = 0; u < len; u++) {
                butterflyAt(e, c0 * s0[u] + c1 * s1[u], plus, minus, u);
            }
            return;
        }
        float c2 = coef[2];
        float[] s2 = source(cols, index[2], in, extra);
        for (int u = 0; u < len; u++) {
            butterflyAt(e, c0 * s0[u] + c1 * s1[u] + c2 * s2[u], plus, minus, u);
        }
    }

    /**
     * Lane {@code u} of {@link #butterfly}: {@code plus[u] = e[u] + o}, {@code minus[u] = e[u] - o}. It is 23 bytes
     * of bytecode, under the 35 ({@code MaxInlineSize}) C2 inlines at any call site, so each of the butterfly's loops
     * compiles, and vectorises, as if these lines stood in it.
     */
    private static void butterflyAt(float[] e, float o, float[] plus, float[] minus, int u) {
        float v = e[u];
        plus[u] = v + o;
        minus[u] = v - o;
    }

    /**
     * {@code dst[u] = sum_k coef[k] * source(index[k])[u]} for {@code u < len}, three terms per loop (the first loop
     * sets, the others add); all zero if there is no term.
     */
    private static void combine(int[] index, float[] coef, int cols, float[][] in, float[][] extra, float[] dst,
                                int len) {
        int terms = index.length;
        if (terms == 0) {
            Arrays.fill(dst, 0, len, 0f);
            return;
        }
        for (int k = 0; k < terms; k += 3) {
            int left = Math.min(3, terms - k);
            float c0 = coef[k];
            float[] s0 = source(cols, index[k], in, extra);
            if (left == 1) {
                if (k == 0) {
                    for (int u = 0; u < len; u++) {
                        dst[u] = c0 * s0[u];
                    }
                } else {
                    for (int u = 0; u < len; u++) {
                        dst[u] += c0 * s0[u];
                    }
                }
                continue;
            }
            float c1 = coef[k + 1];
            float[] s1 = source(cols, index[k + 1], in, extra);
            if (left == 2) {
                if (k == 0) {
                    for (int u = 0; u < len; u++) {
                        dst[u] = c0 * s0[u] + c1 * s1[u];
                    }
                } else {
                    for (int u = 0; u < len; u++) {
                        dst[u] += c0 * s0[u] + c1 * s1[u];
                    }
                }
                continue;
            }
            float c2 = coef[k + 2];
            float[] s2 = source(cols, index[k + 2], in, extra);
            if (k == 0) {
                for (int u = 0; u < len; u++) {
                    dst[u] = c0 * s0[u] + c1 * s1[u] + c2 * s2[u];
                }
            } else {
                for (int u = 0; u < len; u++) {
                    dst[u] += c0 * s0[u] + c1 * s1[u] + c2 * s2[u];
                }
            }
        }
    }
}
