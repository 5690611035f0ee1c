package org.conv4j.fft;

import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.spi.WorkspaceBudget;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fft backend's 3D forward and backward passes against the naive 3D reference ({@code Conv3d.on(naive)}), with
 * the 2D backend's tolerance ({@link FftBackend#TOLERANCE}, relative to the largest finite magnitude of the reference
 * result, as the conformance kit's {@link Agreement} compares), over strides, six-sided padding, dilation, groups,
 * odd and prime sizes, 1x1x1 kernels, a kernel as large as the input and batches; non-finite values in the input,
 * in the weights with padding, and in the output gradient must land exactly where the reference puts them.
 */
class Fft3dConformanceTest {

    private static final FftBackend FFT = new FftBackend();
    private static final Conv3d.OnBackend NAIVE = Conv3d.on(Conv2d.backend("naive"));

    /** One case: input {@code (n, c, d, h, w)}, {@code k} filters of {@code kd x kh x kw}, parameters. */
    private record Case(String name, int n, int c, int d, int h, int w, int k, int kd, int kh, int kw,
                        Conv3dParams p) {
        Tensor5D input(long seed) {
            return Tensor5D.random(seed, n, c, d, h, w);
        }

        Tensor5D weight(long seed) {
            return Tensor5D.random(seed + 1, k, c / p.groups(), kd, kh, kw);
        }

        float[] bias() {
            float[] b = new float[k];
            for (int i = 0; i < k; i++) {
                b[i] = 0.25f * (i % 5) - 0.5f;
            }
            return b;
        }

        @Override
        public String toString() {
            return name + " x(" + n + "," + c + "," + d + "," + h + "," + w + ") w(" + k + "," + c / p.groups() + ","
                    + kd + "," + kh + "," + kw + ") " + p;
        }
    }

    private static Conv3dParams.Builder params() {
        return Conv3dParams.builder();
    }

    private static List<Case> cases() {
        List<Case> l = new ArrayList<>();
        l.add(new Case("plain 3x3x3", 1, 2, 6, 7, 8, 3, 3, 3, 3, params().build()));
        l.add(new Case("same padding", 1, 3, 8, 8, 8, 4, 3, 3, 3, params().padding(1).build()));
        l.add(new Case("strides", 2, 2, 9, 10, 11, 3, 3, 3, 3, params().stride(2, 3, 2).padding(1).build()));
        l.add(new Case("asymmetric padding", 1, 2, 5, 6, 7, 2, 3, 2, 3,
                params().padding(2, 0, 1, 3, 0, 2).build()));
        l.add(new Case("dilation", 1, 2, 9, 9, 10, 2, 3, 2, 3, params().dilation(2, 3, 1).padding(1).build()));
        l.add(new Case("groups", 2, 4, 6, 6, 6, 6, 3, 3, 3, params().groups(2).padding(1).build()));
        l.add(new Case("depthwise", 1, 3, 5, 6, 7, 3, 3, 3, 3, params().groups(3).padding(1, 1, 0, 2, 2, 0).build()));
        l.add(new Case("prime sizes", 1, 2, 7, 11, 13, 3, 5, 3, 7, params().padding(2, 1, 1, 1, 3, 3).build()));
        l.add(new Case("1x1x1", 2, 3, 5, 6, 7, 4, 1, 1, 1, params().build()));
        l.add(new Case("1x1x1 strided padded", 1, 3, 5, 6, 7, 2, 1, 1, 1, params().stride(2).padding(1).build()));
        l.add(new Case("kernel equals input", 2, 2, 4, 5, 6, 3, 4, 5, 6, params().build()));
        l.add(new Case("kernel equals input padded", 1, 2, 3, 4, 5, 2, 3, 4, 5, params().padding(1).build()));
        l.add(new Case("7x7x7", 1, 2, 12, 12, 12, 2, 7, 7, 7, params().padding(3).build()));
        l.add(new Case("everything", 3, 4, 7, 9, 8, 6, 3, 2, 3,
                params().stride(2, 1, 2).padding(1, 0, 1, 1, 0, 2).dilation(1, 2, 1).groups(2).build()));
        l.add(new Case("stride above kernel", 1, 2, 10, 11, 9, 2, 2, 2, 2, params().stride(3).padding(1).build()));
        l.add(new Case("padding beyond kernel", 1, 1, 4, 4, 4, 2, 2, 2, 2, params().padding(3).build()));
        l.add(new Case("flat depth", 2, 2, 1, 9, 10, 2, 1, 3, 3, params().padding(0, 0, 1, 1, 1, 1).build()));
        return l;
    }

    @TestFactory
    Stream<DynamicTest> forwardAgreesWithNaive() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tensor5D x = c.input(11);
            Tensor5D w = c.weight(11);
            float[] b = c.bias();
            assertTrue(FFT.supports3d(Conv3dShape.forward(x, w, b, c.p), ConvPass.FORWARD), c.toString());
            agrees("forward", c, NAIVE.forward(x, w, b, c.p), Conv3d.on(FFT).forward(x, w, b, c.p));
        }));
    }

    @TestFactory
    Stream<DynamicTest> backwardAgreesWithNaive() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tensor5D x = c.input(21);
            Tensor5D w = c.weight(21);
            Conv3dShape s = Conv3dShape.forward(x, w, null, c.p);
            Tensor5D dy = Tensor5D.random(23, c.n, c.k, s.depth().out(), s.rows().out(), s.cols().out());
            backwardAgrees(c, x, w, dy);
        }));
    }

    /** The copying padding modes, which the facade applies before the backend's zero-padded pass. */
    @TestFactory
    Stream<DynamicTest> paddingModes() {
        return Stream.of(PaddingMode.REFLECT, PaddingMode.CIRCULAR, PaddingMode.REPLICATE).map(m ->
                DynamicTest.dynamicTest(m.toString(), () -> {
                    Case c = new Case("mode " + m, 2, 2, 5, 6, 7, 3, 3, 3, 2,
                            params().padding(1, 2, 0, 1, 1, 1).stride(1, 2, 1).paddingMode(m).build());
                    Tensor5D x = c.input(81);
                    Tensor5D w = c.weight(81);
                    agrees("forward", c, NAIVE.forward(x, w, c.bias(), c.p), Conv3d.on(FFT).forward(x, w, c.bias(), c.p));
                    Conv3dShape s = Conv3dShape.forward(x, w, null, c.p);
                    backwardAgrees(c, x, w, Tensor5D.random(83, c.n, c.k, s.depth().out(), s.rows().out(),
                            s.cols().out()));
                }));
    }

    /** NaN and infinities in the input: only the outputs (and weight gradients) whose window holds one. */
    @TestFactory
    Stream<DynamicTest> nonFiniteInput() {
        return Stream.of(cases().get(2), cases().get(4), cases().get(13)).map(c -> DynamicTest.dynamicTest(
                c.toString(), () -> {
                    Tensor5D x = c.input(31);
                    Tensor5D w = c.weight(31);
                    float[] d = x.data();
                    d[3] = Float.NaN;
                    d[d.length / 2] = Float.POSITIVE_INFINITY;
                    d[d.length - 2] = Float.NEGATIVE_INFINITY;
                    agrees("forward", c, NAIVE.forward(x, w, c.bias(), c.p), Conv3d.on(FFT).forward(x, w, c.bias(), c.p));
                    Conv3dShape s = Conv3dShape.forward(x, w, null, c.p);
                    Tensor5D dy = Tensor5D.random(33, c.n, c.k, s.depth().out(), s.rows().out(), s.cols().out());
                    backwardAgrees(c, x, w, dy);
                }));
    }

    /** A non-finite weight with padding: padding is a real zero, so it reaches every output of its filter as NaN. */
    @TestFactory
    Stream<DynamicTest> nonFiniteWeightWithPadding() {
        return Stream.of(cases().get(1), cases().get(3), cases().get(13)).map(c -> DynamicTest.dynamicTest(
                c.toString(), () -> {
                    Tensor5D x = c.input(41);
                    Tensor5D w = c.weight(41);
                    float[] d = w.data();
                    d[0] = Float.POSITIVE_INFINITY;
                    d[d.length - 1] = Float.NaN;
                    agrees("forward", c, NAIVE.forward(x, w, c.bias(), c.p), Conv3d.on(FFT).forward(x, w, c.bias(), c.p));
                    Conv3dShape s = Conv3dShape.forward(x, w, null, c.p);
                    Tensor5D dy = Tensor5D.random(43, c.n, c.k, s.depth().out(), s.rows().out(), s.cols().out());
                    backwardAgrees(c, x, w, dy);
                }));
    }

    @TestFactory
    Stream<DynamicTest> nonFiniteGradOutput() {
        return Stream.of(cases().get(2), cases().get(5), cases().get(13)).map(c -> DynamicTest.dynamicTest(
                c.toString(), () -> {
                    Tensor5D x = c.input(51);
                    Tensor5D w = c.weight(51);
                    Conv3dShape s = Conv3dShape.forward(x, w, null, c.p);
                    Tensor5D dy = Tensor5D.random(53, c.n, c.k, s.depth().out(), s.rows().out(), s.cols().out());
                    float[] d = dy.data();
                    d[1] = Float.NaN;
                    d[d.length - 1] = Float.NEGATIVE_INFINITY;
                    backwardAgrees(c, x, w, dy);
                }));
    }

    /** Concurrent calls give the serial result bit for bit (plans shared, scratch per thread). */
    @Test
    void concurrentCallsAgreeWithSerial() throws Exception {
        Case c = cases().get(13);
        Tensor5D x = c.input(61);
        Tensor5D w = c.weight(61);
        float[] serial = Conv3d.on(FFT).forward(x, w, c.bias(), c.p).data();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> Conv3d.on(FFT).forward(x, w, c.bias(), c.p).data()));
            }
            for (Future<float[]> f : results) {
                assertArrayEquals(serial, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A transform whose smallest workspace exceeds the whole process-wide budget (here 1000^3 points for a tiny
     * input, from the padding and the stride): declined through supports3d, and a call on it says why. A small
     * per-call limit only splits the work (the kit's tiled run, {@link FftTiledConformanceTest}, uses one byte).
     */
    @Test
    void declinesWhatExceedsTheBudget() {
        Tensor5D x = Tensor5D.random(1, 1, 1, 2, 2, 2);
        Tensor5D w = Tensor5D.random(2, 1, 1, 1, 1, 1);
        Conv3dParams p = params().stride(999).padding(499).build();
        Conv3dShape s = Conv3dShape.forward(x, w, null, p);
        FftPlanner.Plan3d plan = FftPlanner.plan3d(ConvPass.FORWARD, s, FftSizes.maxTransform());
        assertEquals(1000, plan.w().f);
        assertTrue(FftBackend.minimum3dBytes(plan) > WorkspaceBudget.global().totalBytes());
        assertFalse(FFT.supports3d(s, ConvPass.FORWARD));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Conv3d.on(FFT).forward(x, w, null, p));
        assertTrue(e.getMessage().startsWith("fft backend"), e.getMessage());
        FftBackend tiny = new FftBackend(1, FftSizes.MAX_TRANSFORM);
        Case c = cases().get(13);
        agrees("forward, 1-byte limit", c, NAIVE.forward(c.input(71), c.weight(71), c.bias(), c.p),
                Conv3d.on(tiny).forward(c.input(71), c.weight(71), c.bias(), c.p));
    }

    /** An axis longer than the largest transform length is declined (no tiling in 3D), never overflowed. */
    @Test
    void declinesAxesBeyondTheLargestTransform() {
        FftBackend capped = new FftBackend(FFT.workspaceBytes(), 16);
        Tensor5D x = Tensor5D.random(1, 1, 1, 4, 4, 40);
        Tensor5D w = Tensor5D.random(2, 1, 1, 1, 1, 3);
        Conv3dShape s = Conv3dShape.forward(x, w, null, Conv3dParams.DEFAULT);
        assertFalse(capped.supports3d(s, ConvPass.FORWARD));
        assertFalse(capped.supports3d(s, ConvPass.BACKWARD));
        assertEquals(Double.POSITIVE_INFINITY, capped.estimate3dNanos(s, ConvPass.FORWARD));
    }

    /**
     * The estimate is finite and grows much more slowly than the multiply-adds with the kernel: from 3x3x3 to
     * 9x9x9 on the same volume the direct work grows 27 times.
     */
    @Test
    void estimateGrowsSlowlyWithTheKernel() {
        Conv3dShape small = shape(32, 3, 8);
        Conv3dShape large = shape(32, 9, 8);
        for (ConvPass pass : new ConvPass[] {ConvPass.FORWARD, ConvPass.BACKWARD}) {
            double a = FFT.estimate3dNanos(small, pass);
            double b = FFT.estimate3dNanos(large, pass);
            assertTrue(a > 0 && Double.isFinite(a) && b > 0 && Double.isFinite(b), a + " " + b);
            assertTrue(b < 3 * a, pass + ": " + a + " -> " + b);
        }
    }

    /** A {@code size^3} volume, {@code channels -> channels}, a {@code kernel^3} kernel with "same" padding. */
    private static Conv3dShape shape(int size, int kernel, int channels) {
        Tensor5D x = Tensor5D.zeros(1, channels, size, size, size);
        Tensor5D w = Tensor5D.zeros(channels, channels, kernel, kernel, kernel);
        return Conv3dShape.forward(x, w, null, params().padding(kernel / 2).build());
    }

    private static void backwardAgrees(Case c, Tensor5D x, Tensor5D w, Tensor5D dy) {
        Conv3dGradients expected = NAIVE.backward(x, w, dy, c.p);
        Conv3dGradients actual = Conv3d.on(FFT).backward(x, w, dy, c.p);
        agrees("dx", c, expected.input(), actual.input());
        agrees("dw", c, expected.weight(), actual.weight());
        float[] eb = expected.bias();
        float[] ab = actual.bias();
        for (int i = 0; i < eb.length; i++) {
            boolean ok = Float.isFinite(eb[i]) ? Math.abs(eb[i] - ab[i]) <= 1e-5f * Math.max(1, Math.abs(eb[i]))
                    : Float.isNaN(eb[i]) ? Float.isNaN(ab[i]) : eb[i] == ab[i];
            assertTrue(ok, "db[" + i + "]: expected " + eb[i] + ", got " + ab[i] + " for " + c);
        }
    }

    /** The kit's comparison ({@link Agreement#assertAgrees}) on the volumes viewed as {@code (N, C, D*H, W)}. */
    private static void agrees(String what, Case c, Tensor5D expected, Tensor5D actual) {
        assertTrue(actual.sameShape(expected), what + ": shape " + actual.shapeString() + " for " + c);
        Agreement.assertAgrees(what, c, flat(expected), flat(actual), FftBackend.TOLERANCE);
    }

    private static Tensor4D flat(Tensor5D t) {
        return Tensor4D.wrap(t.toHeapNcdhw().data(), t.n(), t.c(), t.d() * t.h(), t.w());
    }
}
