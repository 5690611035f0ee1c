package org.conv4j.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Which loop forms HotSpot's C2 vectorises, measured by time per element (docs/direct.md#what-c2-vectorises):
 * run once as is and once with {@code -jvmArgsAppend -XX:-UseSuperWord}; a form whose time does not change
 * is not vectorised. {@code len} floats per array (16 KiB at 4096: L1-resident).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LoopFormBench {

    @Param({"4096"})
    public int len;

    private float[] y;
    private float[] x;
    private float[] t0;
    private float[] t1;
    private float[] t2;
    private float[][] taps;
    private int offset = 1;

    @Setup
    public void setup() {
        y = new float[len + 16];
        x = new float[len + 16];
        t0 = new float[len];
        t1 = new float[len];
        t2 = new float[len];
        taps = new float[9][len];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 13) * 0.25f;
        }
    }

    /** {@code y[q] += w * x[q]}: every access indexed alike. */
    @Benchmark
    public float[] axpySameIndex() {
        float[] a = y;
        float[] b = x;
        for (int q = 0; q < len; q++) {
            a[q] += 0.5f * b[q];
        }
        return a;
    }

    /** {@code y[q] += w * x[q + offset]}: the load has another index than the store. */
    @Benchmark
    public float[] axpyOffset() {
        float[] a = y;
        float[] b = x;
        int off = offset;
        for (int q = 0; q < len; q++) {
            a[q] += 0.5f * b[q + off];
        }
        return a;
    }

    /** {@code y[q] += w0*x[q] + w1*x[q+1] + w2*x[q+2]}: three taps read in place (constant offsets). */
    @Benchmark
    public float[] threeTapsInPlace() {
        float[] a = y;
        float[] b = x;
        for (int q = 0; q < len; q++) {
            a[q] += 0.5f * b[q] + 0.25f * b[q + 1] + 0.125f * b[q + 2];
        }
        return a;
    }

    /** {@code y[q] += w0*t0[q] + w1*t1[q] + w2*t2[q]}: three taps from copies indexed alike. */
    @Benchmark
    public float[] threeTapsCopied() {
        float[] a = y;
        float[] b0 = t0;
        float[] b1 = t1;
        float[] b2 = t2;
        for (int q = 0; q < len; q++) {
            a[q] += 0.5f * b0[q] + 0.25f * b1[q] + 0.125f * b2[q];
        }
        return a;
    }

    /** Nine taps from copies in one loop: a body larger than C2's unrolling budget. */
    @Benchmark
    public float[] nineTapsCopied() {
        float[] a = y;
        float[][] t = taps;
        float[] b0 = t[0];
        float[] b1 = t[1];
        float[] b2 = t[2];
        float[] b3 = t[3];
        float[] b4 = t[4];
        float[] b5 = t[5];
        float[] b6 = t[6];
        float[] b7 = t[7];
        float[] b8 = t[8];
        for (int q = 0; q < len; q++) {
            a[q] = 0.1f * b0[q] + 0.2f * b1[q] + 0.3f * b2[q] + 0.4f * b3[q] + 0.5f * b4[q]
                    + 0.6f * b5[q] + 0.7f * b6[q] + 0.8f * b7[q] + 0.9f * b8[q];
        }
        return a;
    }

    /** {@code System.arraycopy} of {@code len} floats: the cost of one tap copy. */
    @Benchmark
    public float[] copy() {
        System.arraycopy(x, offset, t0, 0, len);
        return t0;
    }
}
