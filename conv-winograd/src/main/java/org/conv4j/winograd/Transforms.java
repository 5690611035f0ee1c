package org.conv4j.winograd;

/**
 * The three transforms on blocks of {@link #LANES} tiles laid out tile-innermost: element {@code e} of the
 * {@code alpha x alpha} (or {@code m x m}) tiles of a block is the run {@code block[e*LANES .. e*LANES + n)}, one
 * float per tile. Every step is then a sum of such runs times scalars, {@code out[o + t] += c * in[p + t]} over
 * {@code t < n}: the same index on both sides, which C2 compiles to vector instructions (no shuffles, no
 * gathers). Each 2D transform {@code P^T X P} runs as two 1D passes (columns, then rows), skipping the zero
 * coefficients of {@code P^T} (about half of them in {@code B^T}).
 */
final class Transforms {

    /** Tiles per block: 64 floats per run, so the block of an F(6x6) tile (64 runs) is 16 KiB and stays in L1. */
    static final int LANES = 64;

    private Transforms() {
    }

    /**
     * {@code out = P^T X P} for each of {@code n} tiles: {@code X} (size {@code q x q}) in {@code in}, {@code P^T}
     * ({@code r x q}) in {@code pt}, the {@code r x r} result in {@code out}; {@code tmp} holds {@code r*q} runs.
     * Runs are {@link #LANES} apart.
     */
    static void apply(float[][] pt, float[] in, float[] tmp, float[] out, int n) {
        int r = pt.length;
        int q = pt[0].length;
        // columns: tmp[i][b] = sum_a P^T[i][a] * X[a][b]
        for (int i = 0; i < r; i++) {
            for (int b = 0; b < q; b++) {
                combine(pt[i], in, b * LANES, q * LANES, tmp, (i * q + b) * LANES, n);
            }
        }
        // rows: out[i][j] = sum_b P^T[j][b] * tmp[i][b]
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                combine(pt[j], tmp, i * q * LANES, LANES, out, (i * r + j) * LANES, n);
            }
        }
    }

    /**
     * {@code dst[at + t] = sum_a coef[a] * src[from + a*step + t]} for {@code t < n}, over the non-zero
     * coefficients in order (the first one sets, the others add); all zero if every coefficient is.
     */
    private static void combine(float[] coef, float[] src, int from, int step, float[] dst, int at, int n) {
        boolean set = false;
        for (int a = 0; a < coef.length; a++) {
            float c = coef[a];
            if (c == 0f) {
                continue;
            }
            int s = from + a * step;
            if (!set) {
                for (int t = 0; t < n; t++) {
                    dst[at + t] = c * src[s + t];
                }
                set = true;
            } else {
                for (int t = 0; t < n; t++) {
                    dst[at + t] += c * src[s + t];
                }
            }
        }
        if (!set) {
            for (int t = 0; t < n; t++) {
                dst[at + t] = 0f;
            }
        }
    }

    /**
     * The kernel transform {@code U = G g G^T} of one 3x3 kernel, in double, into {@code u} ({@code alpha x alpha}
     * row-major): the kernel side is computed once per call, so double costs nothing that matters and removes its
     * rounding from the error budget.
     */
    static void kernel(double[][] gm, double[] g3, double[] tmp, double[] u) {
        int alpha = gm.length;
        for (int i = 0; i < alpha; i++) {     // tmp = G g  (alpha x 3)
            for (int j = 0; j < 3; j++) {
                tmp[i * 3 + j] = gm[i][0] * g3[j] + gm[i][1] * g3[3 + j] + gm[i][2] * g3[6 + j];
            }
        }
        for (int i = 0; i < alpha; i++) {     // u = tmp G^T (alpha x alpha)
            for (int j = 0; j < alpha; j++) {
                u[i * alpha + j] = tmp[i * 3] * gm[j][0] + tmp[i * 3 + 1] * gm[j][1] + tmp[i * 3 + 2] * gm[j][2];
            }
        }
    }
}
