package org.conv4j.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.nio.FloatBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.conv4j.spi.LruCache;

/**
 * Batched products of row-major float matrices in native memory by oneDNN's matmul primitive, for the GEMM stages of
 * other backends (the {@code winograd} backend's element-wise stage):
 * <pre>
 *   C[b] = A[b] * B[b]   for b &lt; batch;   A[b]: m x k,  B[b]: k x n,  C[b]: m x n (overwritten)
 *   element (r, q) of X[b] at offsetX + b * batchStrideX + r * ldX + q   (X = A, B, C)
 * </pre>
 * All operands in their plain layouts as given: nothing is reordered. On AVX-512 oneDNN runs these products with
 * its {@code brg_matmul} kernels, which pack each operand block as they go; measured beside OpenBLAS's sgemm called
 * once per batch entry on the same operands, it ran the Winograd stage's shapes (a batch of 16-64 products with sides
 * of 64-512 and 16-3136 columns) at 1.2-1.9x OpenBLAS's rate (docs/winograd.md, "Speed").
 *
 * <p>A product's primitive is built once per {@link Shape} and kept ({@link #PRIMITIVES}); its scratchpad is the
 * caller's ({@link #scratchpadBytes}), so that the caller counts it in its workspace. Thread-safe: the primitive keeps
 * no state of its own (user scratchpad), and each call runs on a stream of its own, taken from a pool.
 */
public final class BatchedMatmul {

    /** Distinct product shapes kept: a network's Winograd layers need a few per layer and tile size. */
    static final int PRIMITIVE_CACHE_CAPACITY = 256;

    private static final LruCache<Shape, Primitive> PRIMITIVES = new LruCache<>(PRIMITIVE_CACHE_CAPACITY);

    /** Idle streams, one per call in flight at most kept. */
    private static final ConcurrentLinkedDeque<stream> STREAMS = new ConcurrentLinkedDeque<>();

    private BatchedMatmul() {
    }

    /**
     * The geometry of a batched product: sizes, and for each operand the floats between batch entries and between
     * rows (columns are adjacent).
     *
     * @param batch the products
     * @param m     rows of {@code A} and {@code C}
     * @param n     columns of {@code B} and {@code C}
     * @param k     columns of {@code A}, rows of {@code B}: at least 2
     * @param batchA floats from {@code A[b]} to {@code A[b+1]}
     * @param lda   floats from a row of {@code A[b]} to the next
     * @param batchB floats from {@code B[b]} to {@code B[b+1]}
     * @param ldb   floats from a row of {@code B[b]} to the next
     * @param batchC floats from {@code C[b]} to {@code C[b+1]}
     * @param ldc   floats from a row of {@code C[b]} to the next
     */
    public record Shape(int batch, int m, int n, int k, long batchA, long lda, long batchB, long ldb, long batchC,
                        long ldc) {

        /**
         * A product's geometry.
         *
         * @param batch  the products
         * @param m      rows of {@code A} and {@code C}
         * @param n      columns of {@code B} and {@code C}
         * @param k      columns of {@code A}, rows of {@code B}: at least 2
         * @param batchA floats from {@code A[b]} to {@code A[b+1]}
         * @param lda    floats from a row of {@code A[b]} to the next
         * @param batchB floats from {@code B[b]} to {@code B[b+1]}
         * @param ldb    floats from a row of {@code B[b]} to the next
         * @param batchC floats from {@code C[b]} to {@code C[b+1]}
         * @param ldc    floats from a row of {@code C[b]} to the next
         * @throws IllegalArgumentException if a size is below 1 ({@code k} below 2), a row pitch below its row's
         *         length, or a batch stride below 0
         */
        public Shape {
            positive("batch", batch);
            positive("m", m);
            positive("n", n);
            // oneDNN 3.11's brg_matmul computes wrong products for k = 1 with strided operands (BatchedMatmulTest
            // found them in 87 of 400 random shapes): an outer product is not what this class is for
            atLeast("k", k, 2);
            atLeast("lda", lda, k);
            atLeast("ldb", ldb, n);
            atLeast("ldc", ldc, n);
            atLeast("batchA", batchA, 0);
            atLeast("batchB", batchB, 0);
            atLeast("batchC", batchC, 0);
        }

        /** The floats an operand spans from its first element: its last element's offset + 1. */
        static long span(int batch, int rows, int cols, long batchStride, long ld) {
            return (batch - 1) * batchStride + (rows - 1) * ld + cols;
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + ": expected >= 1, got " + value);
            }
        }

        private static void atLeast(String name, long value, long min) {
            if (value < min) {
                throw new IllegalArgumentException(name + ": expected >= " + min + ", got " + value);
            }
        }
    }

    /**
     * Whether oneDNN's natives load on this platform (else {@link #multiply} and {@link #scratchpadBytes} throw
     * {@link UnsupportedOperationException}).
     *
     * @return true if products can run here
     */
    public static boolean available() {
        try {
            Dnnl.engine();
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The scratchpad the product of {@code shape} needs (builds and keeps its primitive).
     *
     * @param shape the product
     * @return bytes, 0 if none
     * @throws UnsupportedOperationException if oneDNN cannot be loaded here
     */
    public static long scratchpadBytes(Shape shape) {
        return primitive(shape).scratchpadBytes;
    }

    /**
     * The kernel oneDNN runs for {@code shape} (its implementation string, e.g. {@code brg_matmul:avx512_core}).
     *
     * @param shape the product
     * @return the implementation
     * @throws UnsupportedOperationException if oneDNN cannot be loaded here
     */
    public static String implementation(Shape shape) {
        return primitive(shape).implementation;
    }

    /**
     * {@code C[b] = A[b] * B[b]} for every {@code b} (see the class comment), each operand at its float offset in a
     * direct buffer of native byte order.
     *
     * @param shape      the product
     * @param a          holds {@code A}
     * @param offsetA    the float of {@code A[0]}'s first element
     * @param b          holds {@code B}
     * @param offsetB    the float of {@code B[0]}'s first element
     * @param c          holds {@code C} (must not overlap {@code A} or {@code B})
     * @param offsetC    the float of {@code C[0]}'s first element
     * @param scratchpad at least {@link #scratchpadBytes} bytes from {@code offsetScratchpad} (ignored if that is 0)
     * @param offsetScratchpad the scratchpad's first float
     * @throws IllegalArgumentException if an operand does not lie within its buffer, or a buffer is not direct
     * @throws UnsupportedOperationException if oneDNN cannot be loaded here
     */
    public static void multiply(Shape shape, FloatBuffer a, long offsetA, FloatBuffer b, long offsetB, FloatBuffer c,
                                long offsetC, FloatBuffer scratchpad, long offsetScratchpad) {
        Primitive p = primitive(shape);
        FloatPointer pa = within("a", a, offsetA, Shape.span(shape.batch, shape.m, shape.k, shape.batchA, shape.lda));
        FloatPointer pb = within("b", b, offsetB, Shape.span(shape.batch, shape.k, shape.n, shape.batchB, shape.ldb));
        FloatPointer pc = within("c", c, offsetC, Shape.span(shape.batch, shape.m, shape.n, shape.batchC, shape.ldc));
        FloatPointer ps = p.scratchpadBytes == 0 ? null
                : within("scratchpad", scratchpad, offsetScratchpad, (p.scratchpadBytes + 3) / 4);
        stream s = STREAMS.pollFirst();
        if (s == null) {
            s = new stream(Dnnl.engine());
        }
        try (memory ma = new memory(p.src, Dnnl.engine(), pa);
             memory mb = new memory(p.weights, Dnnl.engine(), pb);
             memory mc = new memory(p.dst, Dnnl.engine(), pc);
             memory ms = ps == null ? null : new memory(p.scratchpad, Dnnl.engine(), ps);
             IntMemoryMap args = new IntMemoryMap()) {
            args.put(DNNL_ARG_SRC, ma);
            args.put(DNNL_ARG_WEIGHTS, mb);
            args.put(DNNL_ARG_DST, mc);
            if (ms != null) {
                args.put(DNNL_ARG_SCRATCHPAD, ms);
            }
            p.primitive.execute(s, args);
            s._wait();
        } finally {
            STREAMS.addFirst(s);
            if (STREAMS.size() > Runtime.getRuntime().availableProcessors()) {
                stream extra = STREAMS.pollLast();
                if (extra != null) {
                    extra.close();
                }
            }
        }
    }

    /**
     * A pointer to float {@code offset} of {@code buffer}, after checking that {@code floats} floats from there lie
     * inside it: oneDNN reads and writes exactly the extents of the descriptors, so this check is what keeps it
     * within the caller's memory.
     */
    private static FloatPointer within(String name, FloatBuffer buffer, long offset, long floats) {
        if (buffer == null || !buffer.isDirect() || buffer.order() != java.nio.ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(name + ": expected a direct buffer in the native byte order, got "
                    + buffer);
        }
        if (offset < 0 || floats > buffer.capacity() - offset) {
            throw new IllegalArgumentException(name + ": expected " + floats + " floats from offset " + offset
                    + " within the buffer's " + buffer.capacity());
        }
        return new FloatPointer(buffer.duplicate().clear().position((int) offset).slice());
    }

    private static Primitive primitive(Shape shape) {
        Dnnl.engine(); // the natives, or UnsupportedOperationException
        return PRIMITIVES.get(shape, Primitive::new);
    }

    /** A product's descriptors, primitive and scratchpad size. */
    private static final class Primitive {
        final memory.desc src;
        final memory.desc weights;
        final memory.desc dst;
        final memory.desc scratchpad;
        final long scratchpadBytes;
        final matmul primitive;
        final String implementation;

        Primitive(Shape s) {
            src = strided(new long[] {s.batch, s.m, s.k}, new long[] {s.batchA, s.lda, 1});
            weights = strided(new long[] {s.batch, s.k, s.n}, new long[] {s.batchB, s.ldb, 1});
            dst = strided(new long[] {s.batch, s.m, s.n}, new long[] {s.batchC, s.ldc, 1});
            try (primitive_attr attr = Dnnl.userScratchpad()) {
                matmul.primitive_desc pd = new matmul.primitive_desc(Dnnl.engine(), src, weights, dst, attr, false);
                scratchpad = pd.scratchpad_desc();
                scratchpadBytes = scratchpad.get_size();
                implementation = pd.impl_info_str().getString();
                primitive = new matmul(pd);
            }
        }

        private static memory.desc strided(long[] dims, long[] strides) {
            return new memory.desc(dims, memory.data_type.f32, strides);
        }
    }
}
