package org.conv4j.fft;

import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

/**
 * Exact treatment of NaN and infinities, which a Fourier transform would spread to every output.
 *
 * <p>The transforms see every non-finite operand replaced by zero; this class then adds the missing
 * terms to exactly the outputs (or gradient elements) whose sum contains a non-finite operand. Why adding
 * only the non-finite terms is exact: every such term is itself non-finite ({@code Inf * 0 = NaN},
 * {@code Inf * finite = +-Inf}, {@code NaN * anything = NaN}), and a sum holding at least one non-finite
 * term is NaN if any term is NaN or if terms of both infinite signs occur, and otherwise the infinity of
 * that sign, whatever the finite terms are. So the reference's value of such an output is determined by
 * its non-finite terms alone, and {@code fftValue + term1 + term2 + ...} in float gives exactly that:
 * the finite FFT value does not matter, float addition over {+Inf, -Inf, NaN} is commutative, and it is
 * idempotent, so a term counted twice (a non-finite input times a non-finite weight is visited from both
 * sides) changes nothing. Outputs with no non-finite term are untouched.
 *
 * <p>Cost: per non-finite input element, its {@code K/groups * kH * kW} products; per non-finite weight,
 * the {@code N * outH * outW} outputs of its filter (all of which it reaches, through the zero padding
 * too: the reference multiplies padding as a real zero, and {@code 0 * NaN = NaN}); in 3D likewise with
 * {@code kD * kH * kW} and {@code N * outD * outH * outW}. Layouts are NCHW / OIHW as in
 * {@link org.conv4j.api.Tensor4D} and NCDHW as in {@link org.conv4j.api.Tensor5D}; the enumerations work on
 * any rank ({@link Geometry}).
 */
final class NonFinite {

    private NonFinite() {
    }

    /** True if {@code a} holds a NaN or an infinity. */
    static boolean any(float[] a) {
        return !Tensor4D.allFinite(a, 0, a.length);
    }

    /**
     * The geometry the enumerations below work on, of any rank: batch, channels, groups and one {@link ConvAxis}
     * per spatial axis (rows and columns in 2D; depth, rows and columns in 3D). Tensors are row-major: input
     * {@code (N, C, in_0, in_1, ..)}, weight {@code (K, C/groups, kernel_0, ..)}, output {@code (N, K, out_0, ..)}.
     */
    record Geometry(int batch, int inChannels, int outChannels, int groups, ConvAxis[] axes) {

        static Geometry of(ConvShape s) {
            return new Geometry(s.batch(), s.inChannels(), s.outChannels(), s.params().groups(),
                    new ConvAxis[] {s.rows(), s.cols()});
        }

        static Geometry of(Conv3dShape s) {
            return new Geometry(s.batch(), s.inChannels(), s.outChannels(), s.params().groups(),
                    new ConvAxis[] {s.depth(), s.rows(), s.cols()});
        }

        int cg() {
            return inChannels / groups;
        }

        int kg() {
            return outChannels / groups;
        }

        int[] in() {
            return sizes(ConvAxis::in);
        }

        int[] kernel() {
            return sizes(ConvAxis::kernel);
        }

        int[] out() {
            return sizes(ConvAxis::out);
        }

        private int[] sizes(java.util.function.ToIntFunction<ConvAxis> f) {
            int[] r = new int[axes.length];
            for (int a = 0; a < axes.length; a++) {
                r[a] = f.applyAsInt(axes[a]);
            }
            return r;
        }
    }

    /** The flat row-major index of {@code (first, second, pos...)} with trailing sizes {@code (d1, dims...)}. */
    private static int index(int first, int second, int d1, int[] pos, int[] dims) {
        long i = (long) first * d1 + second;
        for (int a = 0; a < dims.length; a++) {
            i = i * dims[a] + pos[a];
        }
        return (int) i;
    }

    /** Decodes flat index {@code e} into {@code pos} (trailing sizes {@code dims}); returns {@code (first, second)}. */
    private static int[] decode(int e, int d1, int[] dims, int[] pos) {
        for (int a = dims.length - 1; a >= 0; a--) {
            pos[a] = e % dims[a];
            e /= dims[a];
        }
        return new int[] {e / d1, e % d1};
    }

    /** Advances the multi-index {@code i} below {@code dims} (odometer); false after the last. */
    private static boolean next(int[] i, int[] dims) {
        for (int a = dims.length - 1; a >= 0; a--) {
            if (++i[a] < dims[a]) {
                return true;
            }
            i[a] = 0;
        }
        return false;
    }

    private static boolean empty(int[] dims) {
        for (int d : dims) {
            if (d == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * One term {@code x[xi] * w[wi]} of the sum of output {@code yi} (or, backward, the term of a gradient that
     * pairs the same three elements): {@code xi} is -1 where the tap reads padding.
     */
    @FunctionalInterface
    private interface Term {
        void at(int xi, int wi, int yi);
    }

    /** Enumerates the terms that hold element {@code e} of one operand. */
    @FunctionalInterface
    private interface TermsOf {
        void visit(Geometry s, int e, Term term);
    }

    /** Calls {@code term} for every term holding a non-finite element of {@code a} (found by {@code terms}). */
    private static void eachNonFinite(Geometry s, float[] a, TermsOf terms, Term term) {
        for (int e = 0; e < a.length; e++) {
            if (!Float.isFinite(a[e])) {
                terms.visit(s, e, term);
            }
        }
    }

    /** The terms holding input element {@code e}: every filter of its group, every tap whose output reads it. */
    private static void ofInput(Geometry s, int e, Term term) {
        int[] in = s.in();
        int[] kernel = s.kernel();
        int[] out = s.out();
        int[] pos = new int[in.length];
        int[] nc = decode(e, s.inChannels(), in, pos);
        int cg = s.cg();
        int kg = s.kg();
        int g = nc[1] / cg;
        if (empty(kernel)) {
            return;
        }
        int[] tap = new int[kernel.length];
        int[] o = new int[kernel.length];
        do {
            boolean reads = true;
            for (int a = 0; a < tap.length && reads; a++) {
                o[a] = s.axes()[a].outputFor(pos[a], tap[a]);
                reads = o[a] >= 0;
            }
            if (reads) {
                for (int k = g * kg; k < (g + 1) * kg; k++) {
                    term.at(e, index(k, nc[1] - g * cg, cg, tap, kernel), index(nc[0], k, s.outChannels(), o, out));
                }
            }
        } while (next(tap, kernel));
    }

    /**
     * The terms holding weight element {@code e}: every output of its filter (all of them: the reference
     * multiplies padding as a real zero, and {@code 0 * NaN = NaN}).
     */
    private static void ofWeight(Geometry s, int e, Term term) {
        int[] in = s.in();
        int[] kernel = s.kernel();
        int[] out = s.out();
        int[] tap = new int[kernel.length];
        int[] kc = decode(e, s.cg(), kernel, tap);
        int c = (kc[0] / s.kg()) * s.cg() + kc[1];
        if (empty(out)) {
            return;
        }
        for (int n = 0; n < s.batch(); n++) {
            int[] o = new int[out.length];
            do {
                term.at(input(s, n, c, o, tap, in), e, index(n, kc[0], s.outChannels(), o, out));
            } while (next(o, out));
        }
    }

    /** The terms holding output (or output-gradient) element {@code e}: every channel of its group, every tap. */
    private static void ofOutput(Geometry s, int e, Term term) {
        int[] in = s.in();
        int[] kernel = s.kernel();
        int[] out = s.out();
        int[] o = new int[out.length];
        int[] nk = decode(e, s.outChannels(), out, o);
        int first = (nk[1] / s.kg()) * s.cg();
        if (empty(kernel)) {
            return;
        }
        for (int cl = 0; cl < s.cg(); cl++) {
            int[] tap = new int[kernel.length];
            do {
                term.at(input(s, nk[0], first + cl, o, tap, in), index(nk[1], cl, s.cg(), tap, kernel), e);
            } while (next(tap, kernel));
        }
    }

    /** The index of the input element output {@code o} reads through tap {@code tap}, or -1 in the padding. */
    private static int input(Geometry s, int n, int c, int[] o, int[] tap, int[] in) {
        long i = (long) n * s.inChannels() + c;
        for (int a = 0; a < o.length; a++) {
            long p = s.axes()[a].inputIndex(o[a], tap[a]);
            if (!s.axes()[a].contains(p)) {
                return -1;
            }
            i = i * in[a] + p;
        }
        return (int) i;
    }

    /** Adds to {@code y} the non-finite terms of the forward sums (2D, NCHW / OIHW). */
    static void forward(ConvShape s, float[] x, float[] w, float[] y) {
        forward(Geometry.of(s), x, w, y);
    }

    /** Adds to {@code y} the non-finite terms of the forward sums (3D, NCDHW). */
    static void forward(Conv3dShape s, float[] x, float[] w, float[] y) {
        forward(Geometry.of(s), x, w, y);
    }

    private static void forward(Geometry s, float[] x, float[] w, float[] y) {
        Term add = (xi, wi, yi) -> y[yi] += w[wi] * (xi < 0 ? 0f : x[xi]);
        eachNonFinite(s, x, NonFinite::ofInput, add);
        eachNonFinite(s, w, NonFinite::ofWeight, add);
    }

    /** {@link #inputGradient(Geometry, float[], float[], float[])} in 2D. */
    static void inputGradient(ConvShape s, float[] w, float[] dy, float[] dx) {
        inputGradient(Geometry.of(s), w, dy, dx);
    }

    /** {@link #inputGradient(Geometry, float[], float[], float[])} in 3D. */
    static void inputGradient(Conv3dShape s, float[] w, float[] dy, float[] dx) {
        inputGradient(Geometry.of(s), w, dy, dx);
    }

    /**
     * Adds to {@code dx} the non-finite terms of
     * {@code dx[n,c,pos] = sum dy[n,k,o] * w[k,c,tap]} over the taps that read {@code pos}
     * (taps that read padding have no input element, as in the reference).
     */
    private static void inputGradient(Geometry s, float[] w, float[] dy, float[] dx) {
        Term add = (xi, wi, yi) -> {
            if (xi >= 0) {
                dx[xi] += dy[yi] * w[wi];
            }
        };
        eachNonFinite(s, dy, NonFinite::ofOutput, add);
        eachNonFinite(s, w, NonFinite::ofWeight, add);
    }

    /** {@link #weightGradient(Geometry, float[], float[], float[])} in 2D. */
    static void weightGradient(ConvShape s, float[] x, float[] dy, float[] dw) {
        weightGradient(Geometry.of(s), x, dy, dw);
    }

    /** {@link #weightGradient(Geometry, float[], float[], float[])} in 3D. */
    static void weightGradient(Conv3dShape s, float[] x, float[] dy, float[] dw) {
        weightGradient(Geometry.of(s), x, dy, dw);
    }

    /**
     * Adds to {@code dw} the non-finite terms of
     * {@code dw[k,c,tap] = sum_{n,o} dy[n,k,o] * xpad[n, g*Cg + c, inputIndex(o, tap) per axis]}
     * (padding is a real zero, so a non-finite gradient reaches every tap of its filter).
     */
    private static void weightGradient(Geometry s, float[] x, float[] dy, float[] dw) {
        Term add = (xi, wi, yi) -> dw[wi] += dy[yi] * (xi < 0 ? 0f : x[xi]);
        eachNonFinite(s, dy, NonFinite::ofOutput, add);
        eachNonFinite(s, x, NonFinite::ofInput, add);
    }
}
