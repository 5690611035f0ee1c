package org.conv4j.testkit;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.Tensor4D;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-wise comparison of a backend's result with the reference, with a tolerance relative to the
 * reference's magnitude:
 * <pre>
 *   |actual - expected| &lt;= tolerance * max(max|expected|, termScale, MIN_SCALE)   for finite expected values
 *   actual is the same NaN / +Inf / -Inf                                           for non-finite expected values
 * </pre>
 * The scale is the largest finite magnitude of the whole reference tensor, because float32 rounding in
 * a GEMM (or an FFT) is proportional to the size of the values summed, not to the result of each sum.
 * For the same reason it is never below {@code termScale}, the largest magnitude of a single product in
 * the sums (e.g. {@code max|x| * max|w|} for the forward pass): when a whole tensor's sums cancel to
 * nearly nothing, their rounding error is still of the order of the terms.
 */
public final class Agreement {

    /** Floor of the scale, so an all-zero reference still demands near-zero results. */
    public static final float MIN_SCALE = 1e-3f;

    private Agreement() {
    }

    /**
     * The largest finite absolute value of {@code t}, at least {@link #MIN_SCALE}.
     *
     * @param t the tensor
     * @return the scale
     */
    public static float scale(Tensor4D t) {
        return Math.max(MIN_SCALE, maxFiniteAbs(t));
    }

    /**
     * Fails, with the case, the element and both values, unless {@code actual} agrees with
     * {@code expected} as described in the class comment.
     *
     * @param what names the compared tensor in the failure message
     * @param context the case, shown in the failure message
     * @param expected the reference's result
     * @param actual the backend's result
     * @param tolerance the allowed difference relative to the scale
     */
    public static void assertAgrees(String what, Object context, Tensor4D expected, Tensor4D actual, float tolerance) {
        assertAgrees(what, context, expected, actual, tolerance, 0f);
    }

    /**
     * As {@link #assertAgrees(String, Object, Tensor4D, Tensor4D, float)}, with the scale at least
     * {@code termScale}, the largest magnitude of one term of the sums.
     *
     * @param what names the compared tensor in the failure message
     * @param context the case, shown in the failure message
     * @param expected the reference's result
     * @param actual the backend's result
     * @param tolerance the allowed difference relative to the scale
     * @param termScale the largest magnitude of one term
     */
    public static void assertAgrees(String what, Object context, Tensor4D expected, Tensor4D actual, float tolerance,
                                    float termScale) {
        if (actual == null) {
            fail(what + " is null for " + context);
        }
        // compared by logical index, whatever the layouts and storages
        expected = expected.toHeapNchw();
        actual = actual.toHeapNchw();
        if (!actual.sameShape(expected)) {
            fail(what + ": expected shape " + expected.shapeString() + ", got " + actual.shapeString()
                    + " for " + context);
        }
        float scale = Math.max(scale(expected), termScale);
        float bound = tolerance * scale;
        float[] e = expected.data();
        float[] a = actual.data();
        for (int i = 0; i < e.length; i++) {
            boolean ok;
            if (Float.isFinite(e[i])) {
                ok = Float.isFinite(a[i]) && Math.abs(a[i] - e[i]) <= bound;
            } else {
                ok = Float.isNaN(e[i]) ? Float.isNaN(a[i]) : a[i] == e[i];
            }
            if (!ok) {
                fail(what + " differs from the naive reference at " + position(expected, i) + ": expected "
                        + e[i] + ", got " + a[i] + " (allowed error " + bound + " = " + tolerance + " * scale "
                        + scale + "; largest difference " + expected.maxAbsDiff(actual) + ") for " + context);
            }
        }
    }

    /**
     * {@link #assertAgrees} for the input and the weight gradient ({@code dL/dx}, {@code dL/dw}) of a backward
     * pass, named {@code what + " dx"} and {@code what + " dw"}.
     *
     * @param what names the compared tensor in the failure message
     * @param context the case, shown in the failure message
     * @param expected the reference's gradients
     * @param actual the backend's gradients
     * @param tolerance the allowed difference relative to the scale
     */
    public static void assertGradientsAgree(String what, Object context, ConvGradients expected, ConvGradients actual,
                                            float tolerance) {
        assertAgrees(what + " dx", context, expected.input(), actual.input(), tolerance);
        assertAgrees(what + " dw", context, expected.weight(), actual.weight(), tolerance);
    }

    /**
     * Fails unless the two passes gave bit-identical input and weight gradients.
     *
     * @param what names the compared tensor in the failure message
     * @param first the gradients of the first pass
     * @param second the gradients of the second pass
     */
    public static void assertSameGradients(String what, ConvGradients first, ConvGradients second) {
        assertArrayEquals(first.input().data(), second.input().data(), "dx, " + what);
        assertArrayEquals(first.weight().data(), second.weight().data(), "dw, " + what);
    }

    /**
     * The largest finite absolute value of {@code t}, 0 if there is none.
     *
     * @param t the tensor
     * @return the largest finite absolute value
     */
    public static float maxFiniteAbs(Tensor4D t) {
        float max = 0f;
        for (float v : t.toHeapNchw().data()) {
            if (Float.isFinite(v) && Math.abs(v) > max) {
                max = Math.abs(v);
            }
        }
        return max;
    }

    /** {@code (n, c, h, w)} of flat index {@code i}. */
    static String position(Tensor4D t, int i) {
        int w = i % t.w();
        int h = (i / t.w()) % t.h();
        int c = (i / (t.w() * t.h())) % t.c();
        int n = i / (t.w() * t.h() * t.c());
        return "(" + n + ", " + c + ", " + h + ", " + w + ")";
    }
}
