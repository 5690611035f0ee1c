package org.conv4j.nd4j;

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

    /** Floating-point operations of one {@code m x n x k} product, {@code 2*m*n*k}. */
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
