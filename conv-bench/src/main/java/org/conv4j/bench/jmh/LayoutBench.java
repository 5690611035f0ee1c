package org.conv4j.bench.jmh;

import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The price of the conversions a call pays at the edge when its operands are not heap NCHW
 * (docs/architecture.md, "Storage, ownership and conversions"), against a plain {@code System.arraycopy} of the
 * same bytes into a preallocated array: {@code copyFrom} between the storages and layouts, into a preallocated
 * destination, on ResNet-50's 3x3 layer's activations (64 channels, 56x56) at batch 1 and 8. Bandwidth is
 * {@code 2 * 4 * floats / time} (read and write).
 */
public class LayoutBench extends MemoryCopyBench {

    /** Batch size of the (batch, 64, 56, 56) tensor. */
    @Param({"1", "8"})
    public int batch;

    private float[] plainSource;
    private float[] plainTarget;
    private Tensor4D heapNchw;
    private Tensor4D heapNhwc;
    private Tensor4D nativeNchw;
    private Tensor4D nativeNhwc;
    private Tensor4D target;
    private Tensor4D nativeTarget;
    private Tensor4D nativeNhwcTarget;

    @Setup(Level.Trial)
    public void setup() {
        heapNchw = Tensor4D.random(1, batch, 64, 56, 56);
        heapNhwc = heapNchw.toLayout(MemoryLayout.NHWC);
        nativeNchw = heapNchw.toNative(MemoryLayout.NCHW);
        nativeNhwc = heapNchw.toNative(MemoryLayout.NHWC);
        target = Tensor4D.zeros(batch, 64, 56, 56);
        nativeTarget = Tensor4D.allocateNative(MemoryLayout.NCHW, batch, 64, 56, 56);
        nativeNhwcTarget = Tensor4D.allocateNative(MemoryLayout.NHWC, batch, 64, 56, 56);
        plainSource = heapNchw.data().clone();
        plainTarget = new float[plainSource.length];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nativeNchw.close();
        nativeNhwc.close();
        nativeTarget.close();
        nativeNhwcTarget.close();
    }

    /** The yardstick: the same bytes, array to array. */
    @Benchmark
    public float[] arraycopy() {
        System.arraycopy(plainSource, 0, plainTarget, 0, plainSource.length);
        return plainTarget;
    }

    /** Heap NHWC into heap NCHW: a transpose of each image's (C, H*W) matrix. */
    @Benchmark
    public Tensor4D heapNhwcToHeapNchw() {
        return target.copyFrom(heapNhwc);
    }

    /** Native NCHW into heap NCHW: a bulk read of the direct buffer. */
    @Benchmark
    public Tensor4D nativeNchwToHeapNchw() {
        return target.copyFrom(nativeNchw);
    }

    /** Native NHWC into heap NCHW: a bulk read, then the transpose. */
    @Benchmark
    public Tensor4D nativeNhwcToHeapNchw() {
        return target.copyFrom(nativeNhwc);
    }

    /** Heap NCHW into native NCHW: the way back for a result. */
    @Benchmark
    public Tensor4D heapNchwToNativeNchw() {
        return nativeTarget.copyFrom(heapNchw);
    }

    /** Heap NCHW into native NHWC: a heap result written to a channels-last caller's tensor. */
    @Benchmark
    public Tensor4D heapNchwToNativeNhwc() {
        return nativeNhwcTarget.copyFrom(heapNchw);
    }
}
