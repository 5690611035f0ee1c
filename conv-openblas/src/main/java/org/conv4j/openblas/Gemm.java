package org.conv4j.openblas;

import java.util.Arrays;

import org.bytedeco.openblas.global.openblas_nolapack;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

/**
 * Single-precision matrix multiplication through OpenBLAS's {@code cblas_sgemm}, the same library and entry
 * point ND4J's own GEMM uses, called directly so that operands stay in reusable native memory.
 *
 * <p>All matrices are <b>row-major</b>: element {@code (i, j)} of a matrix stored at offset {@code off} with
 * leading dimension {@code ld} is at {@code off + i*ld + j}. Every method computes
 * <pre>
 *   C = alpha * op(A) * op(B) + beta * C,    op(A): m x k,  op(B): k x n,  C: m x n
 * </pre>
 * where {@code op(X)} is {@code X} or, if its {@code trans} flag is set, {@code X^T}. So {@code A} is stored
 * as {@code m x k} ({@code lda >= k}), or as {@code k x m} ({@code lda >= m}) when transposed; likewise
 * {@code B} is {@code k x n} ({@code ldb >= n}) or {@code n x k} ({@code ldb >= k}); {@code ldc >= n}.
 * With {@code beta == 0} the previous contents of {@code C} are not read (BLAS semantics: even NaN there
 * does not leak into the result).
 *
 * <p>Threads: OpenBLAS splits each call over {@link OpenBlasSetup#threads()} threads (all cores by
 * default). Concurrent calls from several Java threads are safe. Each element of {@code C} is summed by one
 * thread in a fixed order (OpenBLAS partitions {@code m} and {@code n}, never {@code k}), so results do not
 * depend on concurrency.
 *
 * <p>{@link #thinSgemmNT} and {@link #thinSgemmTN} are the exception: plain Java on heap arrays, for thin
 * products that OpenBLAS runs badly (see their section below).
 *
 * <p>Why not {@code Nd4j.gemm}/{@code INDArray.mmul}: on 2048x2048 they ran at 118-133 GFLOP/s against
 * 184-188 for this direct call on native buffers (same JVM, same OpenBLAS; docs/im2col.md), and they need
 * the operands as INDArrays, i.e. copied into ND4J's buffers on every call.
 */
public final class Gemm {

    private static final NativeBufferPool SCRATCH = new NativeBufferPool();

    static {
        OpenBlasSetup.ensureLoaded();
    }

    private Gemm() {
    }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} on native memory, in place. See the class comment for
     * the layout.
     *
     * @param transA whether {@code op(A)} is {@code A^T}
     * @param transB whether {@code op(B)} is {@code B^T}
     * @param m the rows of {@code op(A)} and {@code C}
     * @param n the columns of {@code op(B)} and {@code C}
     * @param k the columns of {@code op(A)} and rows of {@code op(B)}
     * @param alpha the factor of the product
     * @param a the buffer holding {@code A}
     * @param aOffset the first element of {@code A}
     * @param lda the leading dimension (row stride) of {@code A}
     * @param b the buffer holding {@code B}
     * @param bOffset the first element of {@code B}
     * @param ldb the leading dimension (row stride) of {@code B}
     * @param beta the factor of {@code C}'s previous contents (0: overwritten)
     * @param c the buffer holding {@code C}
     * @param cOffset the first element of {@code C}
     * @param ldc the leading dimension (row stride) of {@code C}
     * @throws IllegalArgumentException if a size is below 1, a leading dimension is too small, or a matrix
     *         does not fit in its buffer at its offset
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             NativeFloats a, long aOffset, int lda,
                             NativeFloats b, long bOffset, int ldb,
                             float beta, NativeFloats c, long cOffset, int ldc) {
        checkSizes(transA, transB, m, n, k, lda, ldb, ldc);
        checkFits("a", extent(transA ? k : m, transA ? m : k, lda), aOffset, a.capacity());
        checkFits("b", extent(transB ? n : k, transB ? k : n, ldb), bOffset, b.capacity());
        checkFits("c", extent(m, n, ldc), cOffset, c.capacity());
        openblas_nolapack.cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                a.pointerAt(aOffset), lda, b.pointerAt(bOffset), ldb, beta, c.pointerAt(cOffset), ldc);
    }

    /**
     * The same on Java arrays with offsets: the operands are copied into pooled native memory, multiplied,
     * and {@code C} is copied back. Convenient for small or occasional products; hot loops should keep their
     * operands in {@link NativeFloats} and call the other overload.
     *
     * @param transA whether {@code op(A)} is {@code A^T}
     * @param transB whether {@code op(B)} is {@code B^T}
     * @param m the rows of {@code op(A)} and {@code C}
     * @param n the columns of {@code op(B)} and {@code C}
     * @param k the columns of {@code op(A)} and rows of {@code op(B)}
     * @param alpha the factor of the product
     * @param a the buffer holding {@code A}
     * @param aOffset the first element of {@code A}
     * @param lda the leading dimension (row stride) of {@code A}
     * @param b the buffer holding {@code B}
     * @param bOffset the first element of {@code B}
     * @param ldb the leading dimension (row stride) of {@code B}
     * @param beta the factor of {@code C}'s previous contents (0: overwritten)
     * @param c the buffer holding {@code C}
     * @param cOffset the first element of {@code C}
     * @param ldc the leading dimension (row stride) of {@code C}
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOffset, int lda,
                             float[] b, int bOffset, int ldb,
                             float beta, float[] c, int cOffset, int ldc) {
        checkSizes(transA, transB, m, n, k, lda, ldb, ldc);
        long aLen = extent(transA ? k : m, transA ? m : k, lda);
        long bLen = extent(transB ? n : k, transB ? k : n, ldb);
        long cLen = extent(m, n, ldc);
        checkFits("a", aLen, aOffset, a.length);
        checkFits("b", bLen, bOffset, b.length);
        checkFits("c", cLen, cOffset, c.length);
        NativeFloats scratch = SCRATCH.acquire(aLen + bLen + cLen);
        try {
            scratch.copyFrom(a, aOffset, 0, (int) aLen);
            scratch.copyFrom(b, bOffset, (int) aLen, (int) bLen);
            int cAt = (int) (aLen + bLen);
            if (beta != 0f) {
                scratch.copyFrom(c, cOffset, cAt, (int) cLen);
            }
            sgemm(transA, transB, m, n, k, alpha, scratch, 0, lda, scratch, aLen, ldb, beta, scratch, cAt, ldc);
            if (ldc == n) {
                scratch.copyTo(cAt, c, cOffset, (int) cLen);
            } else {
                // only the m x n elements: the gaps between rows of C belong to the caller
                for (int i = 0; i < m; i++) {
                    scratch.copyTo(cAt + i * ldc, c, cOffset + i * ldc, n);
                }
            }
        } finally {
            SCRATCH.release(scratch);
        }
    }

    // ------------------------------------------------------------------------- thin products in Java

    /*
     * Products with one tiny dimension (a few rows or a few columns against hundreds of thousands of
     * columns: the weight gradient and the column gradient of a convolution with one filter and a 2x2
     * kernel) run better in Java on heap arrays than through cblas_sgemm: OpenBLAS has nothing to block,
     * the operands would have to be copied to native memory, and OpenBLAS may split such a product over its
     * threads and then wait for a busy core (docs/im2col.md, "Small and thin convolutions").
     * Callers decide when to use them ({@link GemmTuning#THIN_GEMM}); both are single-threaded with a fixed
     * summation order.
     */

    /**
     * Lanes of the dot products in {@link #thinSgemmNT}: eight independent partial sums, so that consecutive
     * multiply-adds do not wait for each other.
     */
    private static final int DOT_LANES = 8;

    /**
     * Terms of a dot product summed in float lanes before the block's total is added to a double: 64 terms
     * per lane keep float rounding at the level of a short sum, and the double total keeps the long sums of
     * the weight gradient (one term per output position: 249,001 for a 2x2 kernel on a 500x500 image) as
     * accurate as OpenBLAS's (with one float running sum per lane instead, that weight gradient differed from
     * the naive reference by 5.2e-4, against 1.3e-4 for OpenBLAS).
     */
    private static final int DOT_BLOCK = 64 * DOT_LANES;

    /**
     * {@code C (m x p) += A (m x q) * B^T (q x p)} on arrays, row-major: {@code A} with leading dimension
     * {@code lda}, {@code B} stored as {@code p x q} with leading dimension {@code ldb}, {@code C} dense
     * ({@code p} per row). Each element adds the dot product of row {@code i} of {@code A} and row {@code r}
     * of {@code B}: blocks of {@link #DOT_BLOCK} terms are summed in {@link #DOT_LANES} float partial sums
     * (lane {@code t % 8} takes term {@code t}) combined pairwise, the block totals and the tail in a double.
     * A fixed order, so results do not depend on threads or callers. {@code C} is in double so that a
     * caller can add the products of many bands without float rounding at each addition. Every product is
     * computed ({@code 0 * NaN} is NaN).
     *
     * @param a the array holding {@code A}
     * @param aOffset the first element of {@code A}
     * @param lda the leading dimension (row stride) of {@code A}
     * @param m the rows of {@code A} and {@code C}
     * @param p the columns of {@code C} (rows of {@code B})
     * @param b the array holding {@code B}
     * @param bOffset the first element of {@code B}
     * @param ldb the leading dimension (row stride) of {@code B}
     * @param q the columns of {@code A} and {@code B}
     * @param c the array of {@code C} (double sums)
     * @param cOffset the first element of {@code C}
     */
    public static void thinSgemmNT(float[] a, int aOffset, int lda, int m, int p,
                                   float[] b, int bOffset, int ldb, int q, double[] c, int cOffset) {
        int body = q - q % DOT_LANES;
        for (int i = 0; i < m; i++) {
            int ai = aOffset + i * lda;
            for (int r = 0; r < p; r++) {
                int br = bOffset + r * ldb;
                double sum = 0;
                for (int t0 = 0; t0 < body; t0 += DOT_BLOCK) {
                    int t1 = Math.min(body, t0 + DOT_BLOCK);
                    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, s4 = 0f, s5 = 0f, s6 = 0f, s7 = 0f;
                    for (int t = t0; t < t1; t += DOT_LANES) {
                        s0 += a[ai + t] * b[br + t];
                        s1 += a[ai + t + 1] * b[br + t + 1];
                        s2 += a[ai + t + 2] * b[br + t + 2];
                        s3 += a[ai + t + 3] * b[br + t + 3];
                        s4 += a[ai + t + 4] * b[br + t + 4];
                        s5 += a[ai + t + 5] * b[br + t + 5];
                        s6 += a[ai + t + 6] * b[br + t + 6];
                        s7 += a[ai + t + 7] * b[br + t + 7];
                    }
                    sum += ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
                }
                for (int t = body; t < q; t++) {
                    sum += a[ai + t] * b[br + t];
                }
                c[cOffset + i * p + r] += sum;
            }
        }
    }

    /**
     * {@code C (p x q) = A^T (p x m) * B (m x q)} on arrays, row-major: {@code A} stored dense as {@code m x p},
     * {@code B} and {@code C} with leading dimensions {@code ldb} and {@code ldc}. Each row {@code r} of
     * {@code C} is set to zero and then accumulates {@code A[i][r] * B[i]} for {@code i = 0 .. m-1} (the inner
     * loop runs along contiguous memory and vectorises), as a plain row-major product would. Every product is
     * computed, so {@code 0 * NaN} is NaN as in BLAS.
     *
     * @param a the array holding {@code A}
     * @param aOffset the first element of {@code A}
     * @param m the rows of {@code A} and {@code B}
     * @param p the columns of {@code A} (rows of {@code C})
     * @param b the array holding {@code B}
     * @param bOffset the first element of {@code B}
     * @param ldb the leading dimension (row stride) of {@code B}
     * @param q the columns of {@code B} and {@code C}
     * @param c the array of {@code C}
     * @param cOffset the first element of {@code C}
     * @param ldc the leading dimension (row stride) of {@code C}
     */
    public static void thinSgemmTN(float[] a, int aOffset, int m, int p,
                                   float[] b, int bOffset, int ldb, int q, float[] c, int cOffset, int ldc) {
        rowsByAxpy(a, aOffset, 1, p, p, m, b, bOffset, ldb, q, c, cOffset, ldc);
    }

    /**
     * {@code C (m x q) = A (m x k) * B (k x q)} on arrays, row-major: {@code A} dense, {@code B} and {@code C}
     * with leading dimensions {@code ldb} and {@code ldc}; the same loop as {@link #thinSgemmTN} with {@code A}
     * read untransposed: each row {@code i} of {@code C} is set to zero and then accumulates
     * {@code A[i][r] * B[r]} for {@code r = 0 .. k-1}. Every product is computed.
     *
     * @param a the array holding {@code A}
     * @param aOffset the first element of {@code A}
     * @param m the rows of {@code A} and {@code C}
     * @param k the columns of {@code A} (rows of {@code B})
     * @param b the array holding {@code B}
     * @param bOffset the first element of {@code B}
     * @param ldb the leading dimension (row stride) of {@code B}
     * @param q the columns of {@code B} and {@code C}
     * @param c the array of {@code C}
     * @param cOffset the first element of {@code C}
     * @param ldc the leading dimension (row stride) of {@code C}
     */
    public static void thinSgemmNN(float[] a, int aOffset, int m, int k,
                                   float[] b, int bOffset, int ldb, int q, float[] c, int cOffset, int ldc) {
        rowsByAxpy(a, aOffset, k, 1, m, k, b, bOffset, ldb, q, c, cOffset, ldc);
    }

    /**
     * Row {@code r < rows} of {@code C} = {@code sum_i a[aOffset + r*rowStep + i*termStep] * B[i]} over
     * {@code i < terms}, in that order, one axpy along a row of {@code B} per term.
     */
    private static void rowsByAxpy(float[] a, int aOffset, int rowStep, int termStep, int rows, int terms,
                                   float[] b, int bOffset, int ldb, int q, float[] c, int cOffset, int ldc) {
        for (int r = 0; r < rows; r++) {
            int row = cOffset + r * ldc;
            Arrays.fill(c, row, row + q, 0f);
            for (int i = 0; i < terms; i++) {
                float v = a[aOffset + r * rowStep + i * termStep];
                int from = bOffset + i * ldb;
                for (int t = 0; t < q; t++) {
                    c[row + t] += v * b[from + t];
                }
            }
        }
    }

    /**
     * Floating-point operations of one {@code m x n x k} product, {@code 2*m*n*k}.
     *
     * @param m the rows of the product
     * @param n its columns
     * @param k the inner dimension
     * @return {@code 2*m*n*k}
     */
    public static long flops(int m, int n, int k) {
        return 2L * m * n * k;
    }

    /** Elements spanned by a {@code rows x cols} row-major matrix with leading dimension {@code ld}. */
    static long extent(int rows, int cols, int ld) {
        return (long) (rows - 1) * ld + cols;
    }

    private static void checkSizes(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        if (m < 1 || n < 1 || k < 1) {
            throw new IllegalArgumentException("m, n, k: expected every size >= 1, got m=" + m + ", n=" + n
                    + ", k=" + k);
        }
        checkLd("lda", lda, transA ? m : k);
        checkLd("ldb", ldb, transB ? k : n);
        checkLd("ldc", ldc, n);
    }

    private static void checkLd(String name, int ld, int min) {
        if (ld < min) {
            throw new IllegalArgumentException(name + ": expected >= " + min + " (the row length), got " + ld);
        }
    }

    private static void checkFits(String name, long extent, long offset, long capacity) {
        if (offset < 0 || offset + extent > capacity) {
            throw new IllegalArgumentException(name + ": expected " + extent + " elements from offset " + offset
                    + " to fit in " + capacity + ", got offset " + offset + " with " + (capacity - offset)
                    + " available");
        }
    }
}
