package org.conv4j.strided;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.FloatBuffer;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * PRIVATE ADAPTER, TO BE REPLACED BY conv-nd4j: single-precision GEMM on off-heap memory with explicit
 * element offsets and leading dimensions, i.e. on strided matrix VIEWS, plus the off-heap buffers it runs on.
 *
 * <p>Why it exists: the zero-copy path multiplies a weight block by a {@link WindowView#tapMatrix tap matrix},
 * a view of the padded input whose leading dimension ({@code Hp*Wp}) is larger than its column count. ND4J
 * 1.0.0-M2.1 cannot take such a view as it is: {@code Nd4j.gemm} rejects a view as the result
 * ("C array should NOT be a view") and, for the operands, copies ({@code dup}) any matrix whose row stride is
 * not its column count; {@code reshape} of the 6-D window view to a matrix silently copies too (measured in
 * docs/strided.md). BLAS itself takes {@code (pointer + offset, lda)} and reads the view in place, so this
 * class hands the view's offset and leading dimension straight to OpenBLAS's {@code cblas_sgemm}, the same
 * library ND4J's native backend links to (org.bytedeco openblas, pulled in by nd4j-native).
 * The request to move this into conv-nd4j is in the module's report.
 *
 * <p>All matrices are row-major. Not thread-confined: every call of the backend allocates its own
 * {@link Floats}, so concurrent calls share nothing.
 */
final class NativeGemm {

    private NativeGemm() {
    }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C} with {@code op(A)} of shape {@code (m, k)}, {@code op(B)}
     * of shape {@code (k, n)} and {@code C} of shape {@code (m, n)}; each matrix starts at its element offset
     * in its buffer and has the given leading dimension (row stride, in elements, of the matrix as stored).
     *
     * @throws IllegalArgumentException if a matrix, as described, would reach outside its buffer (checked
     *         before BLAS sees the pointer: BLAS itself would read or write junk)
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      Floats a, long aOff, int lda, Floats b, long bOff, int ldb,
                      float beta, Floats c, long cOff, int ldc) {
        checkMatrix("A", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix("B", b, bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix("C", c, cOff, m, n, ldc);
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a.at(aOff), lda, b.at(bOff), ldb, beta, c.at(cOff), ldc);
    }

    /** A stored {@code (rows, cols)} row-major matrix at {@code off} with row stride {@code ld} must fit. */
    private static void checkMatrix(String name, Floats buf, long off, int rows, int cols, int ld) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(name + ": expected a leading dimension >= " + Math.max(1, cols)
                    + ", got " + ld);
        }
        new WindowView(new long[] {rows, cols}, new long[] {ld, 1}, off).checkFits(buf.length);
    }

    /**
     * An off-heap float buffer (zero-filled at allocation) with a {@link FloatBuffer} view for bulk copies
     * from and to Java arrays (the absolute bulk {@code get}/{@code put} of a direct buffer are plain
     * memory copies, no JNI call).
     */
    static final class Floats implements AutoCloseable {
        private final FloatPointer pointer;
        private final FloatBuffer buffer;
        final long length;

        Floats(long length) {
            if (length < 1 || length > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("length: expected 1 to " + Integer.MAX_VALUE
                        + " floats for one off-heap buffer, got " + length);
            }
            this.length = length;
            this.pointer = new FloatPointer(length);
            Pointer.memset(pointer, 0, length * Float.BYTES);
            this.buffer = pointer.asBuffer();
        }

        /** Copies {@code len} floats from {@code src[srcOff..]} to element {@code at}. */
        void put(long at, float[] src, int srcOff, int len) {
            buffer.put((int) at, src, srcOff, len);
        }

        /** Copies {@code len} floats from element {@code at} to {@code dst[dstOff..]}. */
        void get(long at, float[] dst, int dstOff, int len) {
            buffer.get((int) at, dst, dstOff, len);
        }

        /**
         * A pointer to element {@code off}. It is a fresh Java object (position() mutates the object, not the
         * memory, so callers never share one) and must NOT be closed: javacpp gives it a proxy deallocator
         * that would free this whole buffer. The memory is freed once, by {@link #close()}.
         */
        FloatPointer at(long off) {
            return new FloatPointer(pointer).position(off);
        }

        /** Sets every element to zero. */
        void zero() {
            Pointer.memset(pointer, 0, length * Float.BYTES);
        }

        @Override
        public void close() {
            pointer.close();
        }
    }
}
