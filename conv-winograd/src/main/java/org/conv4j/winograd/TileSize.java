package org.conv4j.winograd;

import java.util.Arrays;
import java.util.List;

/**
 * One Winograd minimal filtering algorithm {@code F(m x m, 3 x 3)}: an {@code m x m} tile of a 3x3 correlation
 * from an {@code alpha x alpha} tile of its input, {@code alpha = m + 2}, with {@code alpha^2} multiplications
 * instead of {@code 9 m^2} (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016):
 * <pre>
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A        g: 3 x 3 kernel, d: alpha x alpha input tile, (.): element-wise
 * </pre>
 * {@code B^T} is {@code alpha x alpha}, {@code G} is {@code alpha x 3}, {@code A^T} is {@code m x alpha}.
 *
 * <p><b>Where the matrices come from</b> (the modified Toom-Cook construction of Lavin and Gray, section 4):
 * choose {@code alpha - 1} distinct interpolation points {@code a_0 .. a_{alpha-2}} and the point at infinity.
 * The linear convolution {@code s = g * h} of a 3-tap {@code g} and an {@code m}-tap {@code h} is a polynomial
 * product of degree {@code alpha - 1}; it is fixed by its values {@code s(a_j) = g(a_j) h(a_j)} and its leading
 * coefficient {@code g_2 h_{m-1}} (the value "at infinity"), by Lagrange interpolation:
 * {@code s(x) = sum_j s(a_j) L_j(x) / f_j + g_2 h_{m-1} M(x)} with {@code L_j(x) = prod_{l != j} (x - a_l)},
 * {@code f_j = L_j(a_j)} and {@code M(x) = prod_l (x - a_l)}. The correlation {@code y_i = sum_k g_k d_{i+k}}
 * is the transpose of the map {@code h -> s}, which gives, for {@code j < alpha - 1}:
 * <pre>
 *   A^T[i][j] = a_j^i                 A^T[i][alpha-1] = 1 if i = m-1, else 0
 *   G[j][k]   = a_j^k / f_j           G[alpha-1][k]   = 1 if k = 2,   else 0
 *   B^T[j][t] = coefficient of x^t in L_j(x)           B^T[alpha-1][t] = coefficient of x^t in M(x)
 * </pre>
 * This class computes them from the points in double and rounds them once to float (exact for {@code B^T} and
 * {@code A^T}, whose entries are small binary fractions; a relative 6e-8 for entries of {@code G} such as 1/6).
 * The points are the usual ones (small integers and halves):
 * <ul>
 *   <li>{@link #F2}: {@code 0, 1, -1}: the matrices printed in Lavin and Gray (up to the sign of one row of
 *       {@code B^T} and {@code G}, which cancels);</li>
 *   <li>{@link #F4}: {@code 0, 1, -1, 2, -2};</li>
 *   <li>{@link #F6}: {@code 0, 1, -1, 2, -2, 1/2, -1/2}, as NNPACK and wincnn use for F(6x6, 3x3).</li>
 * </ul>
 * Larger tiles need more and larger points, so their transforms amplify rounding error: F(6x6) is used only
 * where the accuracy test measures it within bounds (docs/winograd.md, "Accuracy").
 */
public enum TileSize {

    /** F(2x2, 3x3): 16 multiplications for 4 outputs (2.25x fewer than direct). */
    F2(2, 0, 1, -1),
    /** F(4x4, 3x3): 36 multiplications for 16 outputs (4x fewer). */
    F4(4, 0, 1, -1, 2, -2),
    /** F(6x6, 3x3): 64 multiplications for 36 outputs (5.06x fewer). */
    F6(6, 0, 1, -1, 2, -2, 0.5, -0.5);

    /** Output tile side {@code m}. */
    final int m;
    /** Input tile side {@code alpha = m + 2}. */
    final int alpha;
    /** {@code B^T}, alpha x alpha, row-major, in float (the input transform). */
    final float[][] bt;
    /** {@code G}, alpha x 3, as computed in double. */
    final double[][] g;
    /** {@code A^T}, m x alpha, in float (the output transform). */
    final float[][] at;
    /** {@link #bt}, {@code G} and {@link #at} as the transforms run them (in float). */
    final Transforms.Form inputForm;
    final Transforms.Form kernelForm;
    final Transforms.Form outputForm;

    TileSize(int m, double... points) {
        this.m = m;
        this.alpha = m + 2;
        int n = alpha;
        if (points.length != n - 1) {
            throw new AssertionError("F(" + m + "): expected " + (n - 1) + " points, got " + points.length);
        }
        double[][] bt = new double[n][];
        double[][] g = new double[n][3];
        double[][] at = new double[m][n];
        for (int j = 0; j < n - 1; j++) {
            double f = 1;
            double[] poly = {1};
            for (int l = 0; l < n - 1; l++) {
                if (l != j) {
                    f *= points[j] - points[l];
                    poly = timesLinear(poly, points[l]);
                }
            }
            bt[j] = Arrays.copyOf(poly, n); // degree alpha - 2: the last coefficient is 0
            for (int k = 0; k < 3; k++) {
                g[j][k] = Math.pow(points[j], k) / f;
            }
            for (int i = 0; i < m; i++) {
                at[i][j] = Math.pow(points[j], i);
            }
        }
        double[] all = {1};
        for (int l = 0; l < n - 1; l++) {
            all = timesLinear(all, points[l]);
        }
        bt[n - 1] = all;
        g[n - 1][2] = 1;
        at[m - 1][n - 1] = 1;
        this.bt = toFloat(bt);
        this.g = g;
        this.at = toFloat(at);
        this.inputForm = new Transforms.Form(this.bt);
        this.kernelForm = new Transforms.Form(toFloat(g));
        this.outputForm = new Transforms.Form(this.at);
    }

    /** The coefficients (lowest power first) of {@code p(x) * (x - a)}. */
    private static double[] timesLinear(double[] p, double a) {
        double[] r = new double[p.length + 1];
        for (int t = 0; t < p.length; t++) {
            r[t + 1] += p[t];
            r[t] -= a * p[t];
        }
        return r;
    }

    private static float[][] toFloat(double[][] a) {
        float[][] r = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = new float[a[i].length];
            for (int j = 0; j < a[i].length; j++) {
                r[i][j] = (float) a[i][j];
            }
        }
        return r;
    }

    /**
     * The output tile side {@code m}.
     *
     * @return m
     */
    public int outputTile() {
        return m;
    }

    /**
     * The input tile side {@code alpha = m + 2}; {@code alpha^2} GEMMs per call.
     *
     * @return alpha
     */
    public int inputTile() {
        return alpha;
    }

    /**
     * {@code B^T} (a copy).
     *
     * @return the matrix, rows of {@code alpha} values
     */
    public float[][] inputTransform() {
        return deepCopy(bt);
    }

    /**
     * {@code G} (a copy).
     *
     * @return the matrix, {@code alpha} rows of 3
     */
    public double[][] kernelTransform() {
        double[][] r = new double[g.length][];
        for (int i = 0; i < g.length; i++) {
            r[i] = g[i].clone();
        }
        return r;
    }

    /**
     * {@code A^T} (a copy).
     *
     * @return the matrix, {@code m} rows of {@code alpha} values
     */
    public float[][] outputTransform() {
        return deepCopy(at);
    }

    private static float[][] deepCopy(float[][] a) {
        float[][] r = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i].clone();
        }
        return r;
    }

    /** The tile sizes the backend chooses from: those whose measured error stays within 1e-4 (see the class comment). */
    static List<TileSize> usable() {
        return WinogradTuning.TILE_SIZES;
    }

    @Override
    public String toString() {
        return "F(" + m + "x" + m + ",3x3)";
    }
}
