package org.conv4j.onednn;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BatchedMatmul} against a float64 triple loop, on operands with row pitches and batch strides larger than
 * their rows (as the Winograd stage lays them out), at offsets into shared buffers; and its argument checks, which
 * are what keeps oneDNN inside the caller's memory.
 */
class BatchedMatmulTest {

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer random(int floats, long seed) {
        FloatBuffer b = direct(floats);
        Random r = new Random(seed);
        for (int i = 0; i < floats; i++) {
            b.put(i, (float) r.nextGaussian());
        }
        return b;
    }

    @Test
    void multipliesEveryBatchEntryWithPitchesAndOffsets() {
        int[][] sizes = {{1, 1, 1, 2}, {16, 1, 3, 2}, {4, 3, 1, 5}, {3, 5, 7, 2}, {16, 17, 33, 19}, {64, 16, 3, 16},
                {36, 64, 100, 128}};
        for (int[] z : sizes) {
            check(z[0], z[1], z[2], z[3], 3, 5, 1, true);
        }
    }

    /** Random small shapes, each operand's pitches dense or padded: 200 products. */
    @Test
    void randomShapesWithDenseAndPaddedPitches() {
        Random r = new Random(20261207);
        for (int i = 0; i < 200; i++) {
            check(1 + r.nextInt(20), 1 + r.nextInt(6), 1 + r.nextInt(20), 2 + r.nextInt(6), r.nextInt(2) * 3,
                    r.nextInt(2) * 5, r.nextInt(2) * 2, r.nextBoolean());
        }
    }

    /**
     * One product against the float64 triple loop, with rows padded by {@code padA}, {@code padB}, {@code padC}
     * floats and, if {@code padBatch}, gaps between the batch entries; every operand at an offset.
     */
    private static void check(int batch, int m, int n, int k, int padA, int padB, int padC, boolean padBatch) {
        long lda = k + padA;
        long ldb = n + padB;
        long ldc = n + padC;
        long batchA = m * lda + (padBatch ? 2 : 0);
        long batchB = k * ldb + (padBatch ? 7 : 0);
        long batchC = m * ldc + (padBatch ? 4 : 0);
        BatchedMatmul.Shape shape = new BatchedMatmul.Shape(batch, m, n, k, batchA, lda, batchB, ldb, batchC, ldc);
        int offA = 11;
        int offB = 5;
        int offC = 9;
        FloatBuffer a = random((int) (offA + batch * batchA), 1);
        FloatBuffer b = random((int) (offB + batch * batchB), 2);
        FloatBuffer c = direct((int) (offC + batch * batchC));
        for (int i = 0; i < c.capacity(); i++) {
            c.put(i, Float.NaN); // what the product does not write stays NaN; what it writes must not be
        }
        long scratch = BatchedMatmul.scratchpadBytes(shape);
        FloatBuffer s = direct((int) Math.max(1, (scratch + 3) / 4) + 3);
        BatchedMatmul.multiply(shape, a, offA, b, offB, c, offC, s, 3);
        double largest = 0;
        double worst = 0;
        for (int e = 0; e < batch; e++) {
            for (int row = 0; row < m; row++) {
                for (int q = 0; q < n; q++) {
                    double sum = 0;
                    for (int i = 0; i < k; i++) {
                        sum += (double) a.get((int) (offA + e * batchA + row * lda + i))
                                * b.get((int) (offB + e * batchB + i * ldb + q));
                    }
                    float got = c.get((int) (offC + e * batchC + row * ldc + q));
                    largest = Math.max(largest, Math.abs(sum));
                    worst = Math.max(worst, Float.isNaN(got) ? Double.POSITIVE_INFINITY : Math.abs(got - sum));
                }
            }
        }
        assertTrue(worst <= 1e-5 * Math.max(1, largest), shape + ": largest difference " + worst + " of " + largest);
        assertTrue(Float.isNaN(c.get(offC - 1)), "only the product's elements are written");
    }

    /**
     * Products of one shape (one cached primitive) on eight threads at once, each on its own operands and scratchpad,
     * give bit for bit what the same products give one after another.
     */
    @Test
    void concurrentProductsMatchSerialOnes() throws Exception {
        BatchedMatmul.Shape shape = new BatchedMatmul.Shape(36, 64, 96, 128, 64 * 130, 130, 128 * 97, 97, 64 * 97, 97);
        int threads = 8;
        FloatBuffer[] a = new FloatBuffer[threads];
        FloatBuffer[] b = new FloatBuffer[threads];
        float[][] serial = new float[threads][];
        int floatsC = (int) (shape.batch() * shape.batchC());
        long scratchFloats = Math.max(1, (BatchedMatmul.scratchpadBytes(shape) + 3) / 4);
        for (int t = 0; t < threads; t++) {
            a[t] = random((int) (shape.batch() * shape.batchA()), 10 + t);
            b[t] = random((int) (shape.batch() * shape.batchB()), 20 + t);
            FloatBuffer c = direct(floatsC);
            BatchedMatmul.multiply(shape, a[t], 0, b[t], 0, c, 0, direct((int) scratchFloats), 0);
            serial[t] = new float[floatsC];
            c.get(0, serial[t]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int which = t;
                results.add(pool.submit(() -> {
                    FloatBuffer c = direct(floatsC);
                    FloatBuffer scratch = direct((int) scratchFloats);
                    start.await();
                    for (int round = 0; round < 5; round++) {
                        BatchedMatmul.multiply(shape, a[which], 0, b[which], 0, c, 0, scratch, 0);
                    }
                    float[] out = new float[floatsC];
                    c.get(0, out);
                    return out;
                }));
            }
            start.countDown();
            for (int t = 0; t < threads; t++) {
                float[] got = results.get(t).get();
                for (int i = 0; i < floatsC; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(serial[t][i])) {
                        throw new AssertionError("thread " + t + ": element " + i + " is " + got[i]
                                + " concurrently, " + serial[t][i] + " serially");
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rejectsOperandsOutsideTheirBuffers() {
        BatchedMatmul.Shape shape = new BatchedMatmul.Shape(2, 4, 4, 4, 16, 4, 16, 4, 16, 4);
        FloatBuffer ok = direct(32);
        FloatBuffer small = direct(31);
        FloatBuffer scratch = direct(1 << 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchedMatmul.multiply(shape, small, 0, ok, 0, ok, 0, scratch, 0));
        assertTrue(e.getMessage().startsWith("a: expected 32 floats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BatchedMatmul.multiply(shape, ok, 0, ok, 1, direct(32), 0, scratch, 0));
        assertTrue(e.getMessage().startsWith("b: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BatchedMatmul.multiply(shape, ok, 0, direct(32), 0, FloatBuffer.allocate(32), 0, scratch, 0));
        assertTrue(e.getMessage().startsWith("c: expected a direct buffer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BatchedMatmul.multiply(shape, ok, -1, direct(32), 0, direct(32), 0, scratch, 0));
        assertTrue(e.getMessage().startsWith("a: "), e.getMessage());
    }

    @Test
    void rejectsInvalidShapes() {
        assertEquals("k: expected >= 2, got 1", assertThrows(IllegalArgumentException.class,
                () -> new BatchedMatmul.Shape(1, 1, 1, 1, 0, 1, 0, 1, 0, 1)).getMessage());
        assertEquals("m: expected >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> new BatchedMatmul.Shape(1, 0, 1, 2, 0, 2, 0, 1, 0, 1)).getMessage());
        assertEquals("ldb: expected >= 5, got 4", assertThrows(IllegalArgumentException.class,
                () -> new BatchedMatmul.Shape(1, 2, 5, 3, 0, 3, 0, 4, 0, 5)).getMessage());
        assertEquals("batchC: expected >= 0, got -1", assertThrows(IllegalArgumentException.class,
                () -> new BatchedMatmul.Shape(1, 2, 5, 3, 0, 3, 0, 5, -1, 5)).getMessage());
    }
}
