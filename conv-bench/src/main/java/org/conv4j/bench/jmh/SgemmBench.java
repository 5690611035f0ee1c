package org.conv4j.bench.jmh;

import java.util.SplittableRandom;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SgemmProbe;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.NativeFloats;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The GEMM yardstick: a {@code size x size} float matrix product, {@code 2*size^3} FLOPs per call. At the
 * default 2048: GFLOP/s = 17.18 / (ms per call). Convolution GFLOP/s from {@link ConvBench} divided by this
 * reads as a fraction of the machine's GEMM speed. Two ways, because they differ by about 30% here:
 * {@link #sgemm()} through ND4J's {@code mmul} (what an ND4J user gets), and {@link #cblas()} through
 * OpenBLAS's {@code cblas_sgemm} on native buffers (conv-openblas's {@code Gemm}, what the GEMM backends call:
 * the machine's real GEMM ceiling).
 */
public class SgemmBench extends MillisecondBench {

    @Param({"2048"})
    public int size;

    private SgemmProbe probe;
    private NativeFloats a;
    private NativeFloats b;
    private NativeFloats c;

    @Setup
    public void setup() {
        probe = new SgemmProbe(size, Problem.DEFAULT_SEED);
        int elements = Math.multiplyExact(size, size);
        a = NativeFloats.allocate(elements);
        b = NativeFloats.allocate(elements);
        c = NativeFloats.allocate(elements);
        SplittableRandom random = new SplittableRandom(Problem.DEFAULT_SEED);
        for (int i = 0; i < elements; i++) {
            a.buffer().put(i, (float) random.nextDouble(-1, 1));
            b.buffer().put(i, (float) random.nextDouble(-1, 1));
        }
    }

    @TearDown
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }

    /** {@code C = A * B} through ND4J's {@code INDArray.mmul}. */
    @Benchmark
    public INDArray sgemm() {
        return probe.run();
    }

    /** {@code C = A * B} through {@code cblas_sgemm} on native buffers (conv-openblas's {@code Gemm}). */
    @Benchmark
    public float cblas() {
        Gemm.sgemm(false, false, size, size, size, 1f, a, 0, size, b, 0, size, 0f, c, 0, size);
        return c.buffer().get(0);
    }
}
