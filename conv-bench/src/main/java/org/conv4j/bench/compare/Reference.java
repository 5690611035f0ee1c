package org.conv4j.bench.compare;

import java.util.Locale;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SkipRule;

/**
 * The naive result a case is compared with: the whole result, or, when the whole naive pass is
 * unaffordable, the naive result of a <em>slice</em> of the problem that still gives some output
 * elements exactly. Every tensor here is a leading block of the full result's tensor (the first images,
 * filters or channels, full planes), so {@link #diff} compares that block only.
 *
 * <p>Why the slices are exact:
 * <ul>
 *   <li>Forward, ungrouped or grouped: image {@code n} of the output depends only on image {@code n} of the
 *       input, and output channel {@code k} only on filter {@code k} and bias {@code k}. The first {@code n'}
 *       images and first {@code k'} filters (a prefix of the NCHW / OIHW arrays) give
 *       {@code y[0:n', 0:k']} exactly. With groups, {@code k'} stays {@code K} (a filter prefix would change
 *       the grouping).</li>
 *   <li>Backward, groups = 1: {@code dx[:, c]} depends only on {@code w[:, c]} and dL/dy, and
 *       {@code dw[:, c]} only on {@code x[:, c]} and dL/dy, so the first {@code c'} input channels give
 *       {@code dx[:, 0:c']} and {@code dw[:, 0:c']} exactly; {@code db} does not depend on the input at all.</li>
 * </ul>
 *
 * @param output    forward reference (a leading block of the output), or null
 * @param gradients backward reference (leading blocks of dx and dw, and the whole db), or null
 * @param scope     empty for a whole reference, else which slice it covers, for the table's note
 */
record Reference(Tensor4D output, ConvGradients gradients, String scope) {

    /** A slice's naive pass aims at this many FLOPs (about two seconds of the naive loops here). */
    static final long PARTIAL_TARGET_FLOPS = 1_000_000_000L;

    /** The whole result of a run's last call (copied: the run may overwrite its output). */
    static Reference whole(Contender.Run run, ConvPass pass) {
        return pass == ConvPass.FORWARD ? new Reference(run.output().copy(), null, "")
                : new Reference(null, run.gradients(), "");
    }

    /**
     * The naive reference for a problem: whole when {@link SkipRule#naiveReferenceAffordable}, else a slice
     * of about {@link #PARTIAL_TARGET_FLOPS}, else (one slice would itself be unaffordable, or the pass cannot
     * be sliced) null.
     */
    static Reference naive(ConvBackend naive, Problem p, ConvPass pass) {
        BenchShape s = p.shape();
        if (SkipRule.naiveReferenceAffordable(s, pass)) {
            if (pass == ConvPass.FORWARD) {
                return new Reference(naive.forward(p.input(), p.weight(), p.bias(), s.params()), null, "");
            }
            return new Reference(null, naive.backward(p.input(), p.weight(), p.gradOutput(), s.params()), "");
        }
        return pass == ConvPass.FORWARD ? forwardSlice(naive, p) : backwardSlice(naive, p);
    }

    private static Reference forwardSlice(ConvBackend naive, Problem p) {
        BenchShape s = p.shape();
        ConvShape g = s.geometry();
        boolean grouped = g.groups() > 1;
        long perImageFilter = s.forwardFlops() / ((long) g.batch() * g.outChannels());
        long perImage = perImageFilter * g.outChannels();
        int filters = grouped ? g.outChannels()
                : (int) Math.max(1, Math.min(g.outChannels(), PARTIAL_TARGET_FLOPS / perImageFilter));
        if (perImageFilter * filters > SkipRule.NAIVE_REFERENCE_MAX_FLOPS || (grouped && perImage > SkipRule.NAIVE_REFERENCE_MAX_FLOPS)) {
            return null;
        }
        Tensor4D x = prefix(p.input(), 1);
        Tensor4D w = prefix(p.weight(), filters);
        float[] b = java.util.Arrays.copyOf(p.bias(), filters);
        Tensor4D y = naive.forward(x, w, b, s.params());
        return new Reference(y, null, String.format(Locale.ROOT, "image 0 of %d, filters 0-%d of %d", g.batch(),
                filters - 1, g.outChannels()));
    }

    private static Reference backwardSlice(ConvBackend naive, Problem p) {
        BenchShape s = p.shape();
        ConvShape g = s.geometry();
        if (g.groups() > 1) {
            return null;
        }
        long perChannel = s.backwardFlops() / g.inChannels();
        if (perChannel > SkipRule.NAIVE_REFERENCE_MAX_FLOPS) {
            return null;
        }
        int channels = (int) Math.max(1, Math.min(g.inChannels(), PARTIAL_TARGET_FLOPS / perChannel));
        Tensor4D x = leadingChannels(p.input(), channels);
        Tensor4D w = leadingChannels(p.weight(), channels);
        ConvGradients r = naive.backward(x, w, p.gradOutput(), s.params());
        return new Reference(null, r, String.format(Locale.ROOT, "dx and dw for input channels 0-%d of %d; db whole",
                channels - 1, g.inChannels()));
    }

    /** The first {@code n} entries along dimension 0 (a prefix of the array). */
    static Tensor4D prefix(Tensor4D t, int n) {
        return Tensor4D.wrap(java.util.Arrays.copyOf(t.data(), n * t.c() * t.h() * t.w()), n, t.c(), t.h(), t.w());
    }

    /** The first {@code c} entries along dimension 1, for every entry of dimension 0. */
    static Tensor4D leadingChannels(Tensor4D t, int c) {
        int plane = t.h() * t.w();
        float[] out = new float[t.n() * c * plane];
        for (int n = 0; n < t.n(); n++) {
            System.arraycopy(t.data(), n * t.c() * plane, out, n * c * plane, c * plane);
        }
        return Tensor4D.wrap(out, t.n(), c, t.h(), t.w());
    }

    /**
     * {maxAbsDiff, relative diff} of the run's last result against this reference, over the block the
     * reference covers; relative is divided by the largest |reference value|. For backward, the worst of
     * dx, dw and db.
     */
    double[] diff(Contender.Run run, ConvPass pass) {
        if (pass == ConvPass.FORWARD) {
            return blockDiff(run.output(), output);
        }
        ConvGradients got = run.gradients();
        double[] dx = blockDiff(got.input(), gradients.input());
        double[] dw = blockDiff(got.weight(), gradients.weight());
        double[] db = blockDiff(got.biasTensor(), gradients.biasTensor());
        return new double[] {Math.max(dx[0], Math.max(dw[0], db[0])), Math.max(dx[1], Math.max(dw[1], db[1]))};
    }

    /**
     * Compares {@code full[0:ref.n, 0:ref.c]} with {@code ref} (equal planes), as {@link Tensor4D#maxAbsDiff}
     * does: two non-finite values of the same kind are equal, any other pairing with one is infinitely far.
     */
    static double[] blockDiff(Tensor4D full, Tensor4D ref) {
        if (ref.n() > full.n() || ref.c() > full.c() || ref.h() != full.h() || ref.w() != full.w()) {
            throw new IllegalArgumentException("reference: expected a leading block of " + full.shapeString()
                    + ", got " + ref.shapeString());
        }
        int plane = ref.h() * ref.w();
        double max = 0;
        double maxRef = 0;
        for (int n = 0; n < ref.n(); n++) {
            for (int c = 0; c < ref.c(); c++) {
                int fo = (n * full.c() + c) * plane;
                int ro = (n * ref.c() + c) * plane;
                for (int i = 0; i < plane; i++) {
                    float a = full.data()[fo + i];
                    float b = ref.data()[ro + i];
                    double d;
                    if (Float.isFinite(a) && Float.isFinite(b)) {
                        d = Math.abs((double) a - b);
                        maxRef = Math.max(maxRef, Math.abs(b));
                    } else {
                        d = Float.compare(a, b) == 0 ? 0 : Double.POSITIVE_INFINITY;
                    }
                    max = Math.max(max, d);
                }
            }
        }
        return new double[] {max, max / Math.max(maxRef, Float.MIN_NORMAL)};
    }
}
