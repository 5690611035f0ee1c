package org.conv4j.testkit;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The conformance kit: every backend module runs it with a one-line subclass,
 * <pre>{@code class Im2colConformanceTest extends ConvBackendConformance {
 *     @Override protected ConvBackend backend() { return new Im2colBackend(); } }}</pre>
 * and the {@code naive} backend on its test classpath (it is the reference).
 *
 * <p>What it checks, each against the naive reference within {@link #tolerance()} (see {@link Agreement}):
 * <ul>
 *   <li>{@link ConvCases#edgeCases() named edge cases} and a {@link ConvCases#sweep seeded sweep}: forward,
 *       {@code forwardInto} a NaN-filled output, and all three gradients; the inputs must not change;</li>
 *   <li>non-finite values (NaN, +Inf, -Inf) in input, weight or gradOutput affect exactly the outputs whose
 *       window contains them;</li>
 *   <li>every kind of bad input fails with an exception naming the argument, expected and actual value;</li>
 *   <li>8 threads calling at once get bit-identical results to serial calls.</li>
 * </ul>
 * System properties {@value #CASES_PROPERTY} and {@value #SEED_PROPERTY} resize or reseed the sweep; every
 * failure message prints the case's seed and configuration.
 */
public abstract class ConvBackendConformance {

    /** Number of random sweep cases (default {@value #DEFAULT_CASES}). */
    public static final String CASES_PROPERTY = "conv4j.kit.cases";
    /** Seed of the random sweep. */
    public static final String SEED_PROPERTY = "conv4j.kit.seed";
    public static final int DEFAULT_CASES = 250;
    public static final long DEFAULT_SEED = 0x5EED_C0DEL;

    /** The backend under test. */
    protected abstract ConvBackend backend();

    /**
     * Largest allowed difference from the reference, relative to the reference tensor's largest
     * magnitude (see {@link Agreement}). The default suits float32 GEMM; backends document their own.
     */
    protected float tolerance() {
        return 1e-5f;
    }

    /** The reference backend, found by name through {@link Conv2d}. */
    protected static ConvBackend reference() {
        try {
            return Conv2d.backend("naive");
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("The conformance kit compares with the naive backend: add "
                    + "org.conv4j:conv-naive as a test dependency", e);
        }
    }

    /**
     * What the backend under test is compared with: the naive reference, or, when the backend under test is
     * the naive reference itself, the independently written {@link PaddedReference} (a reference compared
     * with itself would agree whatever it computed).
     */
    private ConvBackend expected() {
        ConvBackend ref = reference();
        return ref.getClass() == backend().getClass() ? new PaddedReference() : ref;
    }

    // ---------------------------------------------------------------- agreement with the reference

    @TestFactory
    Stream<DynamicTest> edgeCasesAgreeWithReference() {
        return ConvCases.edgeCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkAgreement(c)));
    }

    @TestFactory
    Stream<DynamicTest> sweepAgreesWithReference() {
        int count = Integer.getInteger(CASES_PROPERTY, DEFAULT_CASES);
        long seed = Long.getLong(SEED_PROPERTY, DEFAULT_SEED);
        return ConvCases.sweep(seed, count).stream()
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> checkAgreement(c)));
    }

    private void checkAgreement(ConvCase c) {
        ConvBackend backend = backend();
        ConvBackend ref = expected();
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        float[] b = c.bias();
        Tensor4D dy = c.gradOutput();
        Tensor4D x0 = x.copy();
        Tensor4D w0 = w.copy();
        Tensor4D dy0 = dy.copy();
        float[] b0 = b == null ? null : b.clone();

        Tensor4D expected = ref.forward(x, w, b, c.params());
        float term = Agreement.maxFiniteAbs(x) * Agreement.maxFiniteAbs(w);
        Agreement.assertAgrees("forward", c, expected, backend.forward(x, w, b, c.params()), tolerance(), term);

        Tensor4D prefilled = Tensor4D.filled(Float.NaN, expected.n(), expected.c(), expected.h(), expected.w());
        Tensor4D into = backend.forwardInto(x, w, b, c.params(), prefilled);
        assertTrue(into == prefilled, "forwardInto must return the output it was given, for " + c);
        Agreement.assertAgrees("forwardInto (NaN-filled output)", c, expected, prefilled, tolerance(), term);

        assertGradientsAgree(c, x, w, dy, ref.backward(x, w, dy, c.params()), backend.backward(x, w, dy, c.params()));

        assertEquals(x0, x, "input was modified by " + backend.name() + " for " + c);
        assertEquals(w0, w, "weight was modified by " + backend.name() + " for " + c);
        assertEquals(dy0, dy, "gradOutput was modified by " + backend.name() + " for " + c);
        assertArrayEquals(b0, b, "bias was modified by " + backend.name() + " for " + c);
    }

    /**
     * Compares the three gradients; each one's scale is at least its largest single term:
     * {@code max|dy|*max|w|} for dx, {@code max|dy|*max|x|} for dw, {@code max|dy|} for db.
     */
    private void assertGradientsAgree(Object context, Tensor4D x, Tensor4D w, Tensor4D dy, ConvGradients expected,
                                      ConvGradients actual) {
        if (actual == null) {
            fail("backward returned null for " + context);
        }
        float gy = Agreement.maxFiniteAbs(dy);
        Agreement.assertAgrees("dL/dx", context, expected.input(), actual.input(), tolerance(),
                gy * Agreement.maxFiniteAbs(w));
        Agreement.assertAgrees("dL/dw", context, expected.weight(), actual.weight(), tolerance(),
                gy * Agreement.maxFiniteAbs(x));
        Agreement.assertAgrees("dL/db", context, expected.biasTensor(), actual.biasTensor(), tolerance(), gy);
    }

    // ---------------------------------------------------------------- non-finite locality

    /** Geometries for the locality checks: padding, stride, dilation, groups, a stride that skips inputs. */
    private static List<ConvCase> localityCases() {
        return List.of(
                new ConvCase("locality, padded", 71, 2, 3, 9, 11, 4, 3, 3, ConvParams.builder().padding(1, 2, 0, 1).build(), true),
                new ConvCase("locality, stride 3 > kernel 2", 72, 1, 2, 13, 13, 3, 2, 2, ConvParams.builder().stride(3).build(), false),
                new ConvCase("locality, dilated", 73, 1, 2, 12, 14, 2, 3, 3, ConvParams.builder().dilation(2, 3).padding(2).build(), true),
                new ConvCase("locality, groups 2", 74, 2, 4, 8, 8, 4, 3, 3, ConvParams.builder().groups(2).padding(1).build(), true),
                new ConvCase("locality, large kernel", 75, 1, 2, 24, 24, 2, 9, 9, ConvParams.builder().padding(4).build(), false));
    }

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    @TestFactory
    Stream<DynamicTest> nonFiniteInputAffectsOnlyItsWindows() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvCase c : localityCases()) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " in input, " + c, () -> {
                    Tensor4D x = c.input();
                    ConvShape s = c.shape();
                    // one value in the interior, one on the border of the last image
                    int[][] spots = {{0, 0, s.inH() / 2, s.inW() / 2}, {s.batch() - 1, s.inChannels() - 1, s.inH() - 1, 0}};
                    boolean[] affected = new boolean[s.batch() * s.outChannels() * s.outPlane()];
                    for (int[] p : spots) {
                        x.set(p[0], p[1], p[2], p[3], bad);
                        markAffectedOutputs(s, p, affected);
                    }
                    Tensor4D y = backend().forward(x, c.weight(), c.bias(), c.params());
                    int nonFinite = 0;
                    for (int i = 0; i < affected.length; i++) {
                        float v = y.data()[i];
                        if (affected[i] == Float.isFinite(v)) {
                            fail("output " + Agreement.position(y, i) + " = " + v + (affected[i]
                                    ? " should be non-finite: its window holds a " + bad
                                    : " should be finite: its window holds no " + bad) + ", for " + c);
                        }
                        nonFinite += affected[i] ? 1 : 0;
                    }
                    assertTrue(nonFinite > 0 && nonFinite < affected.length,
                            "the locality case must have both affected and unaffected outputs: " + c);
                    Tensor4D expected = expected().forward(x, c.weight(), c.bias(), c.params());
                    Agreement.assertAgrees("forward with " + bad + " in input", c, expected, y, tolerance());
                    Tensor4D dy = c.gradOutput();
                    assertGradientsAgree(bad + " in input, " + c, x, c.weight(), dy,
                            expected().backward(x, c.weight(), dy, c.params()),
                            backend().backward(x, c.weight(), dy, c.params()));
                }));
                tests.add(DynamicTest.dynamicTest(bad + " in weight and gradOutput, " + c, () -> {
                    Tensor4D w = c.weight();
                    w.set(0, 0, w.h() / 2, w.w() - 1, bad);
                    Tensor4D x = c.input();
                    Agreement.assertAgrees("forward with " + bad + " in weight", c,
                            expected().forward(x, w, c.bias(), c.params()),
                            backend().forward(x, w, c.bias(), c.params()), tolerance());
                    Tensor4D dy = c.gradOutput();
                    assertGradientsAgree(bad + " in weight, " + c, x, w, dy,
                            expected().backward(x, w, dy, c.params()),
                            backend().backward(x, w, dy, c.params()));
                    dy.set(dy.n() - 1, dy.c() - 1, dy.h() / 2, dy.w() / 2, bad);
                    Tensor4D cleanW = c.weight();
                    assertGradientsAgree(bad + " in gradOutput, " + c, x, cleanW, dy,
                            expected().backward(x, cleanW, dy, c.params()),
                            backend().backward(x, cleanW, dy, c.params()));
                }));
            }
        }
        return tests.stream();
    }

    /** Marks every output {@code (n, k, oh, ow)} whose window reads input element {@code p = (n, c, ih, iw)}. */
    private static void markAffectedOutputs(ConvShape s, int[] p, boolean[] affected) {
        boolean[] rows = outputsReading(s.rows(), p[2]);
        boolean[] cols = outputsReading(s.cols(), p[3]);
        int group = p[1] / s.inChannelsPerGroup();
        for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
            for (int oh = 0; oh < s.outH(); oh++) {
                for (int ow = 0; ow < s.outW(); ow++) {
                    affected[s.outputIndex(p[0], k, oh, ow)] |= rows[oh] && cols[ow];
                }
            }
        }
    }

    /** The outputs along {@code axis} that read input position {@code position} through some tap. */
    private static boolean[] outputsReading(ConvAxis axis, int position) {
        boolean[] hit = new boolean[axis.out()];
        for (int tap = 0; tap < axis.kernel(); tap++) {
            int o = axis.outputFor(position, tap);
            if (o >= 0) {
                hit[o] = true;
            }
        }
        return hit;
    }

    // ---------------------------------------------------------------- bad input

    private record BadInput(String description, Class<? extends RuntimeException> type, String argument, Executable call) {
    }

    private List<BadInput> badInputs() {
        ConvBackend b = backend();
        ConvParams plain = ConvParams.DEFAULT;
        Tensor4D x = Tensor4D.random(1, 2, 4, 8, 8);
        Tensor4D w = Tensor4D.random(2, 6, 4, 3, 3);
        Tensor4D dy = Tensor4D.random(3, 2, 6, 6, 6);
        ConvParams groups2 = ConvParams.builder().groups(2).build();
        return List.of(
                new BadInput("null input", NullPointerException.class, "input", () -> b.forward(null, w, null, plain)),
                new BadInput("null weight", NullPointerException.class, "weight", () -> b.forward(x, null, null, plain)),
                new BadInput("null params", NullPointerException.class, "params", () -> b.forward(x, w, null, null)),
                new BadInput("null input (backward)", NullPointerException.class, "input", () -> b.backward(null, w, dy, plain)),
                new BadInput("null gradOutput", NullPointerException.class, "gradOutput", () -> b.backward(x, w, null, plain)),
                new BadInput("null output", NullPointerException.class, "output", () -> b.forwardInto(x, w, null, plain, null)),
                new BadInput("groups not dividing C", IllegalArgumentException.class, "groups",
                        () -> b.forward(Tensor4D.zeros(1, 5, 8, 8), Tensor4D.zeros(4, 2, 3, 3), null, groups2)),
                new BadInput("groups not dividing K", IllegalArgumentException.class, "groups",
                        () -> b.forward(x, Tensor4D.zeros(3, 2, 3, 3), null, groups2)),
                new BadInput("weight channels != C/groups", IllegalArgumentException.class, "weight",
                        () -> b.forward(x, Tensor4D.zeros(6, 3, 3, 3), null, plain)),
                new BadInput("weight channels != C/groups (backward)", IllegalArgumentException.class, "weight",
                        () -> b.backward(x, Tensor4D.zeros(6, 4, 3, 3), dy, groups2)),
                new BadInput("kernel larger than input", IllegalArgumentException.class, "weight",
                        () -> b.forward(x, Tensor4D.zeros(6, 4, 9, 3), null, plain)),
                new BadInput("dilated kernel larger than padded input", IllegalArgumentException.class, "weight",
                        () -> b.forward(x, w, null, ConvParams.builder().dilation(4).build())),
                new BadInput("kernel larger than input (backward)", IllegalArgumentException.class, "weight",
                        () -> b.backward(x, Tensor4D.zeros(6, 4, 3, 10), dy, plain)),
                new BadInput("bias of the wrong length", IllegalArgumentException.class, "bias",
                        () -> b.forward(x, w, new float[5], plain)),
                new BadInput("gradOutput of the wrong shape", IllegalArgumentException.class, "gradOutput",
                        () -> b.backward(x, w, Tensor4D.zeros(2, 6, 6, 7), plain)),
                new BadInput("gradOutput with the wrong channel count", IllegalArgumentException.class, "gradOutput",
                        () -> b.backward(x, w, Tensor4D.zeros(2, 5, 6, 6), plain)),
                new BadInput("output of the wrong shape", IllegalArgumentException.class, "output",
                        () -> b.forwardInto(x, w, null, plain, Tensor4D.zeros(2, 6, 6, 5))),
                new BadInput("output element count overflows int", IllegalArgumentException.class, "output",
                        () -> b.forward(Tensor4D.zeros(1, 1, 200, 200), Tensor4D.zeros(60_000, 1, 1, 1), null, plain)),
                new BadInput("output element count overflows int (backward)", IllegalArgumentException.class, "output",
                        () -> b.backward(Tensor4D.zeros(1, 1, 200, 200), Tensor4D.zeros(60_000, 1, 1, 1), dy, plain)));
    }

    @TestFactory
    Stream<DynamicTest> badInputIsRejectedWithAClearMessage() {
        return badInputs().stream().map(bad -> DynamicTest.dynamicTest(bad.description(), () -> {
            RuntimeException e = assertThrows(bad.type(), bad.call(), bad.description());
            assertEquals(bad.type(), e.getClass(), "exception type for " + bad.description());
            String message = String.valueOf(e.getMessage());
            assertTrue(message.contains(bad.argument()),
                    "message should name '" + bad.argument() + "': " + message);
            if (e instanceof IllegalArgumentException) {
                assertTrue(message.contains("expected") && message.contains("got"),
                        "message should state the expected and the actual value: " + message);
            }
        }));
    }

    // ---------------------------------------------------------------- identity

    @Test
    void toStringIsTheName() {
        assertEquals(backend().name(), backend().toString());
    }

    // ---------------------------------------------------------------- concurrency

    private static final int THREADS = 8;

    @Test
    void concurrentCallsGiveTheSameResultsAsSerialCalls() throws Exception {
        List<ConvCase> cases = ConvCases.edgeCases().stream().filter(ConvBackendConformance::forConcurrency).toList();
        assertFalse(cases.isEmpty(), "the concurrency check must pick some of the edge cases");
        ConvBackend backend = backend();
        List<float[][]> serial = new ArrayList<>();
        for (ConvCase c : cases) {
            serial.add(run(backend, c));
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < cases.size(); i++) {
                    order.add(i);
                }
                Collections.shuffle(order, new Random(t));
                futures.add(pool.submit((Callable<Void>) () -> {
                    start.await();
                    for (int round = 0; round < 2; round++) {
                        for (int i : order) {
                            float[][] got = run(backend, cases.get(i));
                            for (int r = 0; r < got.length; r++) {
                                if (!Arrays.equals(serial.get(i)[r], got[r])) {
                                    throw new AssertionError("result " + r + " (0 forward, 1 dx, 2 dw, 3 db) of a "
                                            + "concurrent call differs from the serial call for " + cases.get(i));
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The edge cases the concurrency check runs: those that take the backends' special paths (1x1 kernels,
     * groups, dilation, kernels of 7 or more taps along an axis, batches of 4 or more) and those with
     * {@value #CONCURRENCY_LARGE_MACS} or more multiply-adds (where backends split work over threads).
     */
    private static boolean forConcurrency(ConvCase c) {
        ConvShape s = c.shape();
        ConvParams p = c.params();
        long macs = (long) s.batch() * s.outChannels() * s.outPlane() * s.inChannelsPerGroup() * c.kh() * c.kw();
        return (c.kh() == 1 && c.kw() == 1) || p.groups() > 1 || p.dilationH() > 1 || p.dilationW() > 1
                || Math.max(c.kh(), c.kw()) >= 7 || c.n() >= 4 || macs >= CONCURRENCY_LARGE_MACS;
    }

    private static final long CONCURRENCY_LARGE_MACS = 1 << 20;

    private static float[][] run(ConvBackend backend, ConvCase c) {
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D y = backend.forward(x, w, c.bias(), c.params());
        ConvGradients g = backend.backward(x, w, c.gradOutput(), c.params());
        return new float[][] {y.data(), g.input().data(), g.weight().data(), g.bias()};
    }
}
