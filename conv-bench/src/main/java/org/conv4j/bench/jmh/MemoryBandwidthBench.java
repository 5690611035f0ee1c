package org.conv4j.bench.jmh;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Threads;

/**
 * The memory-bandwidth yardstick for memory-bound layers (docs/direct.md): one {@code System.arraycopy} of
 * {@code floats} floats, on one thread and on two. A copy reads and writes every byte, so the bandwidth is
 * {@code 2 * 4 * floats / time} (write-allocate traffic not counted, as for a convolution's output).
 * Sizes: one MobileNet depthwise tensor at batch 1 (32x112x112, cache-resident), the same at batch 8, and
 * 128 MiB (main memory).
 */
public class MemoryBandwidthBench extends MemoryCopyBench {

    @Param({"401408", "3211264", "33554432"})
    public int floats;

    private float[] src;
    private float[] dst;

    @Setup
    public void setup() {
        src = new float[floats];
        dst = new float[floats];
        for (int i = 0; i < floats; i++) {
            src[i] = i;
        }
    }

    /** One copy on one thread. */
    @Benchmark
    public float[] copy() {
        System.arraycopy(src, 0, dst, 0, floats);
        return dst;
    }

    /** One copy per thread, two threads at once (each with its own arrays): both cores' bandwidth. */
    @Benchmark
    @Threads(2)
    public float[] copyTwoThreads() {
        System.arraycopy(src, 0, dst, 0, floats);
        return dst;
    }
}
