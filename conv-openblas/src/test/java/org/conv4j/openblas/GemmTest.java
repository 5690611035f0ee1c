package org.conv4j.openblas;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmTest {

    static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return a;
    }

    /** The reference: C = alpha op(A) op(B) + beta C in double, on the same row-major layout. */
    static float[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int ao, int lda,
                             float[] b, int bo, int ldb, float beta, float[] c, int co, int ldc) {
        float[] out = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    double y = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s += x * y;
                }
                double prev = beta == 0f ? 0 : (double) beta * c[co + i * ldc + j];
                out[co + i * ldc + j] = (float) (alpha * s + prev);
            }
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * (1 + Math.abs(expected[i])),
                    "element " + i + ": expected " + expected[i] + ", got " + actual[i]);
        }
    }

    @Test
    void allTransposeCombinationsWithOffsetsAndPaddedLeadingDimensions() {
        int m = 37;
        int n = 53;
        int k = 29;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + 3;
                int ldb = (tb ? k : n) + 5;
                int ldc = n + 2;
                int ao = 7;
                int bo = 11;
                int co = 13;
                float[] a = random(1, ao + (ta ? k : m) * lda);
                float[] b = random(2, bo + (tb ? n : k) * ldb);
                float[] c = random(3, co + m * ldc + 4);
                float[] expected = reference(ta, tb, m, n, k, 0.5f, a, ao, lda, b, bo, ldb, 2f, c, co, ldc);

                float[] viaArrays = c.clone();
                Gemm.sgemm(ta, tb, m, n, k, 0.5f, a, ao, lda, b, bo, ldb, 2f, viaArrays, co, ldc);
                assertClose(expected, viaArrays, 1e-5);

                try (NativeFloats na = NativeFloats.allocate(a.length); NativeFloats nb = NativeFloats.allocate(b.length);
                     NativeFloats nc = NativeFloats.allocate(c.length)) {
                    na.copyFrom(a, 0, 0, a.length);
                    nb.copyFrom(b, 0, 0, b.length);
                    nc.copyFrom(c, 0, 0, c.length);
                    Gemm.sgemm(ta, tb, m, n, k, 0.5f, na, ao, lda, nb, bo, ldb, 2f, nc, co, ldc);
                    float[] viaNative = new float[c.length];
                    nc.copyTo(0, viaNative, 0, c.length);
                    assertClose(expected, viaNative, 1e-5);
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInTheOutput() {
        float[] a = random(4, 6 * 5);
        float[] b = random(5, 5 * 7);
        float[] c = new float[6 * 7];
        java.util.Arrays.fill(c, Float.NaN);
        Gemm.sgemm(false, false, 6, 7, 5, 1f, a, 0, 5, b, 0, 7, 0f, c, 0, 7);
        float[] expected = reference(false, false, 6, 7, 5, 1f, a, 0, 5, b, 0, 7, 0f, new float[42], 0, 7);
        assertClose(expected, c, 1e-5);
    }

    @Test
    void largerProductAgreesWithReference() {
        int m = 64;
        int n = 300;
        int k = 576;
        float[] a = random(6, m * k);
        float[] b = random(7, k * n);
        float[] c = new float[m * n];
        Gemm.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        assertClose(reference(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, new float[m * n], 0, n), c, 1e-4);
    }

    @Test
    void arrayOverloadLeavesTheGapsBetweenOutputRowsAlone() {
        float[] a = random(8, 4 * 3);
        float[] b = random(9, 3 * 2);
        float[] c = new float[4 * 5];
        java.util.Arrays.fill(c, 42f);
        Gemm.sgemm(false, false, 4, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 5);
        for (int i = 0; i < 4; i++) {
            for (int j = 2; j < 5; j++) {
                assertEquals(42f, c[i * 5 + j], "gap element (" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirName() {
        float[] x = new float[100];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 0, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2));
        assertTrue(e.getMessage().contains("m=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 2, 2, 3, 1f, x, 0, 2, x, 0, 2, 0f, x, 0, 2));
        assertTrue(e.getMessage().startsWith("lda: expected >= 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.sgemm(false, false, 10, 10, 10, 1f, x, 0, 10, x, 1, 10, 0f, x, 0, 10));
        assertTrue(e.getMessage().startsWith("b: expected 100 elements"), e.getMessage());
        try (NativeFloats small = NativeFloats.allocate(4)) {
            e = assertThrows(IllegalArgumentException.class,
                    () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, small, 0, 2, small, 0, 2, 0f, small, 1, 2));
            assertTrue(e.getMessage().startsWith("c: expected 4 elements from offset 1"), e.getMessage());
        }
    }

    @Test
    void flopsCountsMultiplyAndAdd() {
        assertEquals(2L * 2048 * 2048 * 2048, Gemm.flops(2048, 2048, 2048));
    }

    @Test
    void thinSgemmNTAddsDotProductsOfRows() {
        // A (2 x 3) * B^T with B (2 x 3): C[i][r] += sum_t A[i][t] * B[r][t], on offsets and leading dimensions.
        float[] a = {9, 1, 2, 3, 0, 4, 5, 6, 0};      // offset 1, lda 4: rows {1,2,3}, {4,5,6}
        float[] b = {1, 0, 1, 7, 2, 1, 0, 7};         // offset 0, ldb 4: rows {1,0,1}, {2,1,0}
        double[] c = {100, 1, 1, 1, 1};               // offset 1: adds to the existing values
        Gemm.thinSgemmNT(a, 1, 4, 2, 2, b, 0, 4, 3, c, 1);
        assertArrayEquals(new double[]{100, 1 + 4, 1 + 4, 1 + 10, 1 + 13}, c);
    }

    @Test
    void thinSgemmTNMultipliesTheTransposeAndPropagatesNaN() {
        // A stored 2 x 3 (m x p); C (3 x 2) = A^T * B with B (2 x 2), ldc 3 leaves column 2 of C alone.
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {1, Float.NaN, 10, 100};
        float[] c = {-1, -1, 42, -1, -1, 42, -1, -1, 42};
        Gemm.thinSgemmTN(a, 0, 2, 3, b, 0, 2, 2, c, 0, 3);
        assertEquals(1 + 40, c[0]);
        assertTrue(Float.isNaN(c[1]));
        assertEquals(2 + 50, c[3]);
        assertEquals(3 + 60, c[6]);
        assertEquals(42, c[2]);
        assertEquals(42, c[5]);
        assertEquals(42, c[8]);
    }

    @Test
    void thinSgemmNNMultipliesAsStored() {
        // A (2 x 3) at offset 1; B (3 x 2) with ldb 3; C (2 x 2) with ldc 3 leaves column 2 of C alone.
        float[] a = {9, 1, 2, 3, 4, 5, 6};
        float[] b = {1, 2, 0, 3, 4, 0, 5, 6, 0};
        float[] c = {-1, -1, 42, -1, -1, 42};
        Gemm.thinSgemmNN(a, 1, 2, 3, b, 0, 3, 2, c, 0, 3);
        assertArrayEquals(new float[] {1 + 6 + 15, 2 + 8 + 18, 42, 4 + 15 + 30, 8 + 20 + 36, 42}, c);
    }
}
