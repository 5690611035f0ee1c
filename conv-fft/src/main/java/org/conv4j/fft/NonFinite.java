package org.conv4j.fft;

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
 * too: the reference multiplies padding as a real zero, and {@code 0 * NaN = NaN}).
 * Layouts are NCHW / OIHW as in {@link org.conv4j.api.Tensor4D}.
 */
final class NonFinite {

    private NonFinite() {
    }

    /** True if {@code a} holds a NaN or an infinity. */
    static boolean any(float[] a) {
        return !Tensor4D.allFinite(a, 0, a.length);
    }

    /**
     * The 4-D position {@code (a, b, r, t)} of flat index {@code e} in a row-major tensor whose last three
     * dimensions are {@code (d1, d2, d3)}: NCHW for inputs and outputs, OIHW for weights.
     */
    private static int[] position(int e, int d1, int d2, int d3) {
        return new int[] {e / (d1 * d2 * d3), (e / (d2 * d3)) % d1, (e / d3) % d2, e % d3};
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
        void visit(ConvShape s, int e, Term term);
    }

    /** Calls {@code term} for every term holding a non-finite element of {@code a} (found by {@code terms}). */
    private static void eachNonFinite(ConvShape s, float[] a, TermsOf terms, Term term) {
        for (int e = 0; e < a.length; e++) {
            if (!Float.isFinite(a[e])) {
                terms.visit(s, e, term);
            }
        }
    }

    /** The terms holding input element {@code e}: every filter of its group, every tap whose output reads it. */
    private static void ofInput(ConvShape s, int e, Term term) {
        int[] at = position(e, s.inChannels(), s.inH(), s.inW());
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int g = at[1] / cg;
        for (int k = g * kg; k < (g + 1) * kg; k++) {
            for (int i = 0; i < s.kernelH(); i++) {
                int oh = s.rows().outputFor(at[2], i);
                for (int j = 0; oh >= 0 && j < s.kernelW(); j++) {
                    int ow = s.cols().outputFor(at[3], j);
                    if (ow >= 0) {
                        term.at(e, s.weightIndex(k, at[1] - g * cg, i, j), s.outputIndex(at[0], k, oh, ow));
                    }
                }
            }
        }
    }

    /**
     * The terms holding weight element {@code e}: every output of its filter (all of them: the reference
     * multiplies padding as a real zero, and {@code 0 * NaN = NaN}).
     */
    private static void ofWeight(ConvShape s, int e, Term term) {
        int[] at = position(e, s.inChannelsPerGroup(), s.kernelH(), s.kernelW());
        int c = (at[0] / s.outChannelsPerGroup()) * s.inChannelsPerGroup() + at[1];
        for (int n = 0; n < s.batch(); n++) {
            for (int oh = 0; oh < s.outH(); oh++) {
                long ih = s.rows().inputIndex(oh, at[2]);
                for (int ow = 0; ow < s.outW(); ow++) {
                    term.at(input(s, n, c, ih, s.cols().inputIndex(ow, at[3])), e, s.outputIndex(n, at[0], oh, ow));
                }
            }
        }
    }

    /** The terms holding output (or output-gradient) element {@code e}: every channel of its group, every tap. */
    private static void ofOutput(ConvShape s, int e, Term term) {
        int[] at = position(e, s.outChannels(), s.outH(), s.outW());
        int first = (at[1] / s.outChannelsPerGroup()) * s.inChannelsPerGroup();
        for (int cl = 0; cl < s.inChannelsPerGroup(); cl++) {
            for (int i = 0; i < s.kernelH(); i++) {
                long ih = s.rows().inputIndex(at[2], i);
                for (int j = 0; j < s.kernelW(); j++) {
                    term.at(input(s, at[0], first + cl, ih, s.cols().inputIndex(at[3], j)), s.weightIndex(at[1], cl, i, j), e);
                }
            }
        }
    }

    /** The index of input element {@code (n, c, ih, iw)}, or -1 in the padding. */
    private static int input(ConvShape s, int n, int c, long ih, long iw) {
        return s.rows().contains(ih) && s.cols().contains(iw) ? s.inputIndex(n, c, (int) ih, (int) iw) : -1;
    }

    /** Adds to {@code y} the non-finite terms of the forward sums. */
    static void forward(ConvShape s, float[] x, float[] w, float[] y) {
        Term add = (xi, wi, yi) -> y[yi] += w[wi] * (xi < 0 ? 0f : x[xi]);
        eachNonFinite(s, x, NonFinite::ofInput, add);
        eachNonFinite(s, w, NonFinite::ofWeight, add);
    }

    /**
     * Adds to {@code dx} the non-finite terms of
     * {@code dx[n,c,ih,iw] = sum dy[n,k,oh,ow] * w[k,c,i,j]} over the taps that read {@code (ih, iw)}
     * (taps that read padding have no input element, as in the reference).
     */
    static void inputGradient(ConvShape s, float[] w, float[] dy, float[] dx) {
        Term add = (xi, wi, yi) -> {
            if (xi >= 0) {
                dx[xi] += dy[yi] * w[wi];
            }
        };
        eachNonFinite(s, dy, NonFinite::ofOutput, add);
        eachNonFinite(s, w, NonFinite::ofWeight, add);
    }

    /**
     * Adds to {@code dw} the non-finite terms of
     * {@code dw[k,c,i,j] = sum_{n,oh,ow} dy[n,k,oh,ow] * xpad[n, g*Cg + c, rows.inputIndex(oh, i), cols.inputIndex(ow, j)]}
     * (padding is a real zero, so a non-finite gradient reaches every tap of its filter).
     */
    static void weightGradient(ConvShape s, float[] x, float[] dy, float[] dw) {
        Term add = (xi, wi, yi) -> dw[wi] += dy[yi] * (xi < 0 ? 0f : x[xi]);
        eachNonFinite(s, dy, NonFinite::ofOutput, add);
        eachNonFinite(s, x, NonFinite::ofInput, add);
    }
}
