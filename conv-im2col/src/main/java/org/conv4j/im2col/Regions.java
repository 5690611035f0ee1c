package org.conv4j.im2col;

import org.conv4j.openblas.AbstractGemmBackend.Band;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.NativeFloats;

/**
 * The regions of a call's workspace ({@link WorkPlan}) and the three GEMMs of a unit and group on them, the same in
 * 2D and 3D. Row-major, with {@code w = u.width()} columns (the unit's images side by side):
 * <pre>
 *   W[g]    Kg x P   at weight(g)            (the filters of group g as stored: OIHW / OIDHW rows)
 *   dW[g]   Kg x P   at weightGradient(g)    (backward)
 *   cols[g] P  x w   at colsRow(u, g*P)      (column matrix rows of group g)
 *   Y[g]    Kg x w   at outRow(u, g*Kg)      (GEMM outputs, or dL/dy in the backward pass)
 * </pre>
 * with {@code Kg = K/groups} and {@code P} the patch ({@code C/groups} times the kernel taps).
 */
class Regions {

    final int kg;
    final int patch;
    final boolean identity;
    private final WorkPlan plan;

    Regions(int kg, int patch, WorkPlan plan) {
        this.kg = kg;
        this.patch = patch;
        this.identity = plan.identity();
        this.plan = plan;
    }

    /** Offset of group {@code g}'s filters {@code W[g]} (Kg x patch). */
    long weight(int g) {
        return (long) g * kg * patch;
    }

    /** Offset of group {@code g}'s rows of the weight gradient (backward only). */
    long weightGradient(int g) {
        return plan.weightGradient() + (long) g * kg * patch;
    }

    /** Offset of row {@code r} of the unit's column matrix ({@code columnRows} rows of {@code u.width()}). */
    long colsRow(Band u, int r) {
        return plan.columns() + (long) r * u.width();
    }

    /** Offset of row {@code k} of the unit's GEMM outputs ({@code K} rows of {@code u.width()}). */
    long outRow(Band u, int k) {
        return plan.outputs() + (long) k * u.width();
    }

    /** {@code Y[g] = W[g] * cols[g]}. */
    void forwardProduct(NativeFloats buf, Band u, int g) {
        Gemm.sgemm(false, false, kg, u.width(), patch, 1f,
                buf, weight(g), patch,
                buf, colsRow(u, g * patch), u.width(),
                0f, buf, outRow(u, g * kg), u.width());
    }

    /** {@code dW[g] (+)= dY[g] * cols[g]^T}: set by the call's first unit, added to by the others. */
    void weightGradientProduct(NativeFloats buf, Band u, int g) {
        Gemm.sgemm(false, true, kg, patch, u.width(), 1f,
                buf, outRow(u, g * kg), u.width(),
                buf, colsRow(u, g * patch), u.width(),
                u.first() ? 0f : 1f, buf, weightGradient(g), patch);
    }

    /** {@code dcols[g] = W[g]^T * dY[g]}, over {@code cols[g]}. */
    void columnGradientProduct(NativeFloats buf, Band u, int g) {
        Gemm.sgemm(true, false, patch, u.width(), kg, 1f,
                buf, weight(g), patch,
                buf, outRow(u, g * kg), u.width(),
                0f, buf, colsRow(u, g * patch), u.width());
    }
}
