package org.conv4j.bench;

import org.conv4j.openblas.OpenBlasSetup;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The yardstick: one square single-precision matrix product {@code C = A * B} through ND4J's
 * {@code mmul} (OpenBLAS sgemm), {@code 2*n^3} FLOPs. A convolution's GFLOP/s divided by this probe's
 * reads as "fraction of this machine's GEMM speed", which is what a GEMM-based backend can at best reach.
 */
public final class SgemmProbe {

    /** The probe's matrix size. */
    public static final int DEFAULT_SIZE = 2048;

    private final int n;
    private final INDArray a;
    private final INDArray b;
    private final INDArray c;

    /** Random {@code n x n} operands from a fixed seed. */
    public SgemmProbe(int n, long seed) {
        this.n = n;
        OpenBlasSetup.ensureLoaded(); // before ND4J loads OpenBLAS: picks the CPU's fastest safe kernels
        Nd4j.getRandom().setSeed(seed);
        this.a = Nd4j.rand(DataType.FLOAT, n, n);
        this.b = Nd4j.rand(DataType.FLOAT, n, n);
        this.c = Nd4j.create(DataType.FLOAT, n, n);
    }

    /** One product into the preallocated result. */
    public INDArray run() {
        return a.mmuli(b, c);
    }

    /** {@code 2*n^3}. */
    public long flops() {
        return 2L * n * n * n;
    }

    public int size() {
        return n;
    }
}
