package org.conv4j.winograd;

/**
 * The input, kernel and output transforms on blocks of {@code n <= }{@link #LANES} lanes (tiles, or a kernel's input
 * channels) laid out lane-innermost. A block of {@code q x q} matrices is held as {@code q} row arrays: element
 * {@code (a, b)} of lane {@code t} is {@code rows[a][b*n + t]}. {@code P^T X P} then runs as two passes of loops
 * with <em>one index expression for every array</em> and at most three terms per loop, the form C2 compiles to
 * vector instructions (docs/direct.md, "What C2 vectorises": an offset index such as {@code x[u + 64]}, or nine
 * terms in one loop, stays scalar):
 * <ol>
 *   <li>columns: {@code tmp[i][u] = sum_a P^T[i][a] * rows[a][u]} for {@code u < q*n} (whole rows at once);</li>
 *   <li>a transpose of the runs ({@code System.arraycopy}, an intrinsic): {@code cols[b][i*n + t] =
 *       tmp[i][b*n + t]};</li>
 *   <li>rows: {@code out[j][v] = sum_b P^T[j][b] * cols[b][v]} for {@code v < r*n}, so that element
 *       {@code (i, j)} of the result for lane {@code t} is {@code out[j][i*n + t]}.</li>
 * </ol>
 * The zero coefficients of {@code P^T} are skipped (about half of those of {@code B^T}). Every lane is a real tile
 * (or kernel): the callers pass the block's own count as {@code n}, so no lane holds stale data.
 */
final class Transforms {

    /**
     * The most lanes per block: runs of up to 128 floats (vector loops of up to 1024 floats; in a rough single-thread
     * probe on a loaded host the staged transforms of ResNet-50's 64-channel layer took about 15% less CPU time with
     * 128 than with 64); the F(6x6) block (8 rows of 8 runs) is 32 KiB per buffer, the four buffers 128 KiB (in L2).
     * Fused blocks are usually narrower ({@link WinogradTuning#BLOCK_FLOATS}).
     */
    static final int LANES = 128;

    private Transforms() {
    }

    /** A transform matrix {@code P^T} ({@code r x q}) as its non-zero entries per row. */
    record Sparse(int rows, int cols, int[][] index, float[][] coef) {

        static Sparse of(float[][] pt) {
            int r = pt.length;
            int[][] index = new int[r][];
            float[][] coef = new float[r][];
            for (int i = 0; i < r; i++) {
                int count = 0;
                for (float v : pt[i]) {
                    count += v != 0f ? 1 : 0;
                }
                index[i] = new int[count];
                coef[i] = new float[count];
                for (int a = 0, k = 0; a < pt[i].length; a++) {
                    if (pt[i][a] != 0f) {
                        index[i][k] = a;
                        coef[i][k++] = pt[i][a];
                    }
                }
            }
            return new Sparse(r, pt[0].length, index, coef);
        }
    }

    /** Scratch: {@code count} arrays of {@code length} floats. */
    static float[][] buffers(int count, int length) {
        return new float[count][length];
    }

    /**
     * {@code out = P^T X P} for a block of {@code n} lanes (see the class comment): {@code X} in {@code rows}
     * ({@code q} arrays of at least {@code q*n}), {@code tmp} and {@code cols} scratch ({@code r} and {@code q}
     * arrays of at least {@code q*n} and {@code r*n}), the result in {@code out} ({@code r} arrays of at least
     * {@code r*n}).
     */
    static void apply(Sparse pt, float[][] rows, float[][] tmp, float[][] cols, float[][] out, int n) {
        int r = pt.rows();
        int q = pt.cols();
        for (int i = 0; i < r; i++) {
            combine(pt.index()[i], pt.coef()[i], rows, tmp[i], q * n);
        }
        for (int i = 0; i < r; i++) {
            for (int b = 0; b < q; b++) {
                System.arraycopy(tmp[i], b * n, cols[b], i * n, n);
            }
        }
        for (int j = 0; j < r; j++) {
            combine(pt.index()[j], pt.coef()[j], cols, out[j], r * n);
        }
    }

    /**
     * {@code dst[u] = sum_k coef[k] * src[index[k]][u]} for {@code u < n}, three terms per loop (the first loop
     * sets, the others add); all zero if there is no term.
     */
    private static void combine(int[] index, float[] coef, float[][] src, float[] dst, int n) {
        int terms = index.length;
        if (terms == 0) {
            java.util.Arrays.fill(dst, 0, n, 0f);
            return;
        }
        for (int k = 0; k < terms; k += 3) {
            int left = Math.min(3, terms - k);
            float c0 = coef[k];
            float[] s0 = src[index[k]];
            if (left == 1) {
                if (k == 0) {
                    for (int u = 0; u < n; u++) {
                        dst[u] = c0 * s0[u];
                    }
                } else {
                    for (int u = 0; u < n; u++) {
                        dst[u] += c0 * s0[u];
                    }
                }
                continue;
            }
            float c1 = coef[k + 1];
            float[] s1 = src[index[k + 1]];
            if (left == 2) {
                if (k == 0) {
                    for (int u = 0; u < n; u++) {
                        dst[u] = c0 * s0[u] + c1 * s1[u];
                    }
                } else {
                    for (int u = 0; u < n; u++) {
                        dst[u] += c0 * s0[u] + c1 * s1[u];
                    }
                }
                continue;
            }
            float c2 = coef[k + 2];
            float[] s2 = src[index[k + 2]];
            if (k == 0) {
                for (int u = 0; u < n; u++) {
                    dst[u] = c0 * s0[u] + c1 * s1[u] + c2 * s2[u];
                }
            } else {
                for (int u = 0; u < n; u++) {
                    dst[u] += c0 * s0[u] + c1 * s1[u] + c2 * s2[u];
                }
            }
        }
    }
}
