package org.conv4j.testkit;

import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.PreparedBackward;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.TransposedShape;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.function.ThrowingConsumer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
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
 *   <li>8 threads calling at once get bit-identical results to serial calls;</li>
 *   <li>the prepared passes ({@link ConvBackend#prepareForward}, {@link ConvBackend#prepareBackward}) on every edge
 *       case, on heap NCHW and native NHWC tensors, the backward pass also into caller tensors and one gradient at a
 *       time; the prepared backward pass also with non-finite values and new weights, on 8 threads (each with its
 *       own prepared pass, and all sharing one) bit-identical to serial calls, rejecting bad tensors and failing
 *       after {@code close()};</li>
 *   <li>1D convolutions, run as convolutions of height 1 ({@link Conv1dConformance}), agree with the kit's own 1D
 *       reference in all of the above respects but concurrency;</li>
 *   <li>3D convolutions, on a backend that implements {@link Conv3dBackend} ({@link Conv3dConformance}): forward,
 *       backward, single gradients and the transposed passes agree with the naive 3D reference and the kit's
 *       transposed scatter, in every storage and layout, with non-finite values local to their windows, and bad
 *       input rejected clearly; a backend without the capability declines with a message naming it.</li>
 * </ul>
 * System properties {@value #CASES_PROPERTY} and {@value #SEED_PROPERTY} resize or reseed the sweep; every
 * failure message prints the case's seed and configuration.
 */
public abstract class ConvBackendConformance {

    /** Number of random sweep cases (default {@value #DEFAULT_CASES}). */
    public static final String CASES_PROPERTY = "conv4j.kit.cases";
    /** Seed of the random sweep. */
    public static final String SEED_PROPERTY = "conv4j.kit.seed";
    /** Default of {@value #CASES_PROPERTY}. */
    public static final int DEFAULT_CASES = 250;
    /** Default of {@value #SEED_PROPERTY}. */
    public static final long DEFAULT_SEED = 0x5EED_C0DEL;
    /** Number of random padding-mode sweep cases. */
    public static final int PADDING_MODE_CASES = 60;
    /** Number of random transposed sweep cases. */
    public static final int TRANSPOSED_CASES = 80;
    /** Number of random 1D sweep cases, for the convolution and for the transposed one. */
    public static final int CONV1D_CASES = 60;
    /** Number of random 3D sweep cases, for the convolution and for the transposed one. */
    public static final int CONV3D_CASES = 16;

    /** For a backend module's one-line subclass. */
    protected ConvBackendConformance() {
    }

    /**
     * The backend under test.
     *
     * @return the backend
     */
    protected abstract ConvBackend backend();

    /**
     * Largest allowed difference from the reference, relative to the reference tensor's largest
     * magnitude (see {@link Agreement}). The default suits float32 GEMM; backends document their own.
     *
     * @return the relative tolerance
     */
    protected float tolerance() {
        return 1e-5f;
    }

    /**
     * The reference backend, found by name through {@link Conv2d}.
     *
     * @return the {@code naive} backend
     */
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

    // ---------------------------------------------------------------- storages and layouts

    /** The four storage and layout combinations: heap or native memory, NCHW or NHWC. */
    private static final List<String> STORAGES = List.of("heap NCHW", "heap NHWC", "native NCHW", "native NHWC");

    /** {@code t} in the combination {@code STORAGES.get(kind)}: itself for heap NCHW, else a copy. */
    private static Tensor4D as(int kind, Tensor4D t) {
        MemoryLayout layout = kind % 2 == 0 ? MemoryLayout.NCHW : MemoryLayout.NHWC;
        return kind < 2 ? t.toLayout(layout) : t.toNative(layout);
    }

    /**
     * Every edge case, with its operands in each of the four combinations of storage and layout (input, weight and
     * dL/dy each drawn at random from them per case and pass, seeded, so that over the cases every combination
     * meets every operand): forward, {@code forwardInto} an output in yet another combination, backward, both
     * single gradients and, on the transposed cases, transposed forward and backward agree with the reference on
     * heap NCHW, and each result takes the storage and layout of the operand it belongs to.
     */
    @TestFactory
    Stream<DynamicTest> everyStorageAndLayoutAgreesWithReference() {
        List<DynamicTest> tests = new ArrayList<>();
        Random random = new Random(DEFAULT_SEED);
        for (ConvCase c : ConvCases.edgeCases()) {
            for (int kind = 0; kind < STORAGES.size(); kind++) {
                int[] kinds = {kind, random.nextInt(4), random.nextInt(4), random.nextInt(4)};
                tests.add(DynamicTest.dynamicTest(STORAGES.get(kind) + " input, " + c,
                        () -> checkStorages(c, kinds)));
            }
        }
        return tests.stream();
    }

    private void checkStorages(ConvCase c, int[] kinds) {
        ConvBackend backend = backend();
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        float[] b = c.bias();
        Tensor4D dy = c.gradOutput();
        String context = RankConformance.storageContext(c, STORAGES, kinds);
        try (Tensor4D xs = as(kinds[0], x); Tensor4D ws = as(kinds[1], w); Tensor4D dys = as(kinds[2], dy)) {
            Tensor4D expected = expected().forward(x, w, b, c.params());
            float term = Agreement.maxFiniteAbs(x) * Agreement.maxFiniteAbs(w);
            Tensor4D y = backend.forward(xs, ws, b, c.params());
            Agreement.assertAgrees("forward", context, expected, y, tolerance(), term);
            assertLike(xs, y, "forward output", context);

            try (Tensor4D out = as(kinds[3], Tensor4D.filled(Float.NaN, expected.n(), expected.c(), expected.h(),
                    expected.w()))) {
                assertTrue(backend.forwardInto(xs, ws, b, c.params(), out) == out,
                        "forwardInto must return the output it was given, for " + context);
                Agreement.assertAgrees("forwardInto", context, expected, out, tolerance(), term);
            }

            ConvGradients e = expected().backward(x, w, dy, c.params());
            ConvGradients g = backend.backward(xs, ws, dys, c.params());
            assertGradientsAgree(context, x, w, dy, e, g);
            assertLike(xs, g.input(), "dL/dx", context);
            assertLike(ws, g.weight(), "dL/dw", context);
            float gy = Agreement.maxFiniteAbs(dy);
            Tensor4D dx = backend.inputGradient(xs, ws, dys, c.params());
            Agreement.assertAgrees("inputGradient", context, e.input(), dx, tolerance(), gy * Agreement.maxFiniteAbs(w));
            assertLike(xs, dx, "inputGradient", context);
            Tensor4D dw = backend.weightGradient(xs, ws, dys, c.params());
            Agreement.assertAgrees("weightGradient", context, e.weight(), dw, tolerance(),
                    gy * Agreement.maxFiniteAbs(x));
            assertLike(ws, dw, "weightGradient", context);
            closeIfNative(y, g.input(), g.weight(), dx, dw);
            assertEquals(x, xs, "input was modified for " + context);
        }
    }

    /** Fails unless {@code result} has {@code operand}'s storage and layout. */
    private static void assertLike(Tensor4D operand, Tensor4D result, String what, String context) {
        assertEquals(operand.layout(), result.layout(), what + ": layout, for " + context);
        assertEquals(operand.isNative(), result.isNative(), what + ": native storage, for " + context);
    }

    private static void closeIfNative(Tensor4D... tensors) {
        for (Tensor4D t : tensors) {
            t.close();
        }
    }

    /**
     * The prepared forward pass ({@link ConvBackend#prepareForward}) of every edge case, called twice, on heap NCHW
     * and native NHWC inputs, agrees with the reference.
     */
    @TestFactory
    Stream<DynamicTest> preparedForwardAgreesWithReference() {
        return ConvCases.edgeCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tensor4D x = c.input();
            Tensor4D w = c.weight();
            float[] b = c.bias();
            Tensor4D expected = expected().forward(x, w, b, c.params());
            float term = Agreement.maxFiniteAbs(x) * Agreement.maxFiniteAbs(w);
            try (org.conv4j.api.PreparedConvolution p = backend().prepareForward(
                    ConvShape.forward(x, w, b, c.params()), w, b); Tensor4D xn = x.toNative(MemoryLayout.NHWC)) {
                for (int round = 0; round < 2; round++) {
                    Agreement.assertAgrees("prepared forward", c, expected, p.forward(x), tolerance(), term);
                    try (Tensor4D y = p.forward(xn)) {
                        assertLike(xn, y, "prepared forward output", c.toString());
                        Agreement.assertAgrees("prepared forward (native NHWC)", c, expected, y, tolerance(), term);
                    }
                }
            }
        }));
    }

    /**
     * The prepared backward pass ({@link ConvBackend#prepareBackward}) of every edge case agrees with the reference,
     * each call made twice: {@code backward} on heap NCHW operands; {@code backwardInto} on native NHWC operands, into
     * a NaN-filled native NHWC {@code dL/dx}, heap NCHW {@code dL/dw} and {@code dL/db}; the single gradients on native
     * NHWC operands, allocated and into NaN-filled tensors. Results take the forms {@link PreparedBackward} states.
     */
    @TestFactory
    Stream<DynamicTest> preparedBackwardAgreesWithReference() {
        return ConvCases.edgeCases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tensor4D x = c.input();
            Tensor4D w = c.weight();
            Tensor4D dy = c.gradOutput();
            ConvShape s = ConvShape.backward(x, w, dy, c.params());
            ConvGradients e = expected().backward(x, w, dy, c.params());
            float gy = Agreement.maxFiniteAbs(dy);
            try (PreparedBackward p = backend().prepareBackward(s, w);
                 Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC);
                 Tensor4D dxn = Tensor4D.allocateNative(MemoryLayout.NHWC, x.n(), x.c(), x.h(), x.w())) {
                for (int round = 0; round < 2; round++) {
                    String context = c + ", round " + round;
                    ConvGradients g = p.backward(x, dy);
                    assertGradientsAgree("prepared backward, " + context, x, w, dy, e, g);
                    assertLike(x, g.input(), "prepared dL/dx", context);
                    assertLike(w, g.weight(), "prepared dL/dw", context);

                    ConvGradients into = new ConvGradients(dxn.fill(Float.NaN),
                            Tensor4D.filled(Float.NaN, w.n(), w.c(), w.h(), w.w()), nanFilled(w.n()));
                    assertTrue(p.backwardInto(xn, dyn, into) == into,
                            "backwardInto must return the gradients it was given, for " + context);
                    assertGradientsAgree("prepared backwardInto (native NHWC), " + context, x, w, dy, e, into);

                    try (Tensor4D dx = p.inputGradient(dyn)) {
                        assertLike(dyn, dx, "prepared inputGradient", context);
                        Agreement.assertAgrees("prepared inputGradient (native NHWC)", context, e.input(), dx,
                                tolerance(), gy * Agreement.maxFiniteAbs(w));
                    }
                    assertTrue(p.inputGradientInto(dyn, dxn.fill(Float.NaN)) == dxn,
                            "inputGradientInto must return the tensor it was given, for " + context);
                    Agreement.assertAgrees("prepared inputGradientInto (native NHWC)", context, e.input(), dxn,
                            tolerance(), gy * Agreement.maxFiniteAbs(w));
                    Tensor4D dw = p.weightGradient(xn, dyn);
                    assertLike(w, dw, "prepared weightGradient", context);
                    Agreement.assertAgrees("prepared weightGradient (native NHWC)", context, e.weight(), dw,
                            tolerance(), gy * Agreement.maxFiniteAbs(x));
                    Tensor4D dwInto = Tensor4D.filled(Float.NaN, w.n(), w.c(), w.h(), w.w());
                    assertTrue(p.weightGradientInto(xn, dyn, dwInto) == dwInto,
                            "weightGradientInto must return the tensor it was given, for " + context);
                    Agreement.assertAgrees("prepared weightGradientInto (native NHWC)", context, e.weight(), dwInto,
                            tolerance(), gy * Agreement.maxFiniteAbs(x));
                }
                assertEquals(x, xn.toHeapNchw(), "input was modified by the prepared backward pass for " + c);
                assertEquals(dy, dyn.toHeapNchw(), "gradOutput was modified by the prepared backward pass for " + c);
            }
        }));
    }

    /**
     * The prepared backward pass keeps non-finite values local, as the calls do: with a NaN or infinity in the weight
     * (given at preparation, then replaced by {@link PreparedBackward#setWeights}) or in {@code dL/dy}, its gradients
     * on heap NCHW and native NHWC operands agree with the reference's.
     */
    @TestFactory
    Stream<DynamicTest> preparedBackwardKeepsNonFiniteValuesLocal() {
        return nonFiniteTests(localityCases(), "in weight and gradOutput", (c, bad) -> {
            Tensor4D x = c.input();
            Tensor4D clean = c.weight();
            Tensor4D w = c.weight();
            w.set(0, 0, w.h() / 2, w.w() - 1, bad);
            Tensor4D dy = c.gradOutput();
            Tensor4D badDy = c.gradOutput();
            badDy.set(dy.n() - 1, dy.c() - 1, dy.h() / 2, dy.w() / 2, bad);
            try (PreparedBackward p = backend().prepareBackward(c.shape(), w)) {
                assertPreparedBackwardAgrees(p, x, w, dy, c, bad + " in weight");
                p.setWeights(clean);
                assertPreparedBackwardAgrees(p, x, clean, dy, c, "finite weight after setWeights");
                assertPreparedBackwardAgrees(p, x, clean, badDy, c, bad + " in gradOutput");
                p.setWeights(w);
                assertPreparedBackwardAgrees(p, x, w, badDy, c, bad + " in weight and gradOutput");
            }
        });
    }

    /** {@code p}'s gradients on heap NCHW and on native NHWC operands agree with the reference's for weight {@code w}. */
    private void assertPreparedBackwardAgrees(PreparedBackward p, Tensor4D x, Tensor4D w, Tensor4D dy, ConvCase c,
                                              String what) {
        ConvGradients e = expected().backward(x, w, dy, c.params());
        String context = what + ", " + c;
        assertGradientsAgree("prepared backward, " + context, x, w, dy, e, p.backward(x, dy));
        try (Tensor4D xn = x.toNative(MemoryLayout.NHWC); Tensor4D dyn = dy.toNative(MemoryLayout.NHWC);
             Tensor4D dxn = Tensor4D.allocateNative(MemoryLayout.NHWC, x.n(), x.c(), x.h(), x.w())) {
            ConvGradients into = new ConvGradients(dxn, Tensor4D.filled(Float.NaN, w.n(), w.c(), w.h(), w.w()),
                    nanFilled(w.n()));
            assertGradientsAgree("prepared backward (native NHWC), " + context, x, w, dy, e,
                    p.backwardInto(xn, dyn, into));
            float gy = Agreement.maxFiniteAbs(dy);
            Agreement.assertAgrees("prepared inputGradient (native NHWC)", context, e.input(),
                    p.inputGradientInto(dyn, dxn.fill(Float.NaN)), tolerance(), gy * Agreement.maxFiniteAbs(w));
            Agreement.assertAgrees("prepared weightGradient (native NHWC)", context, e.weight(),
                    p.weightGradient(xn, dyn), tolerance(), gy * Agreement.maxFiniteAbs(x));
        }
    }

    private static float[] nanFilled(int length) {
        float[] a = new float[length];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    /**
     * Prepared backward passes on {@value #THREADS} threads at once: each call on a prepared pass of its own (made,
     * run and closed on the calling thread) and each call on one prepared pass per case shared by every thread (whose
     * calls run one at a time, {@link PreparedBackward}) give the serial call's gradients bit for bit.
     */
    @Test
    void concurrentPreparedBackwardCallsGiveTheSameResultsAsSerialCalls() throws Exception {
        List<ConvCase> cases = ConvCases.edgeCases().stream().filter(ConvBackendConformance::forConcurrency).toList();
        assertConcurrentCallsMatchSerial(cases, (b, c) -> {
            try (PreparedBackward p = b.prepareBackward(c.shape(), c.weight())) {
                return gradients(p.backward(c.input(), c.gradOutput()));
            }
        });
        java.util.Map<ConvCase, PreparedBackward> shared = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            for (ConvCase c : cases) {
                shared.put(c, backend().prepareBackward(c.shape(), c.weight()));
            }
            assertConcurrentCallsMatchSerial(cases, (b, c) -> gradients(shared.get(c).backward(c.input(),
                    c.gradOutput())));
        } finally {
            shared.values().forEach(PreparedBackward::close);
        }
    }

    private static float[][] gradients(ConvGradients g) {
        return new float[][] {g.input().data(), g.weight().data(), g.bias()};
    }

    /**
     * A prepared backward pass rejects tensors of other shapes with an {@link IllegalArgumentException} (a null with a
     * {@link NullPointerException}) naming the argument, as the calls do.
     */
    @TestFactory
    Stream<DynamicTest> preparedBackwardRejectsBadTensors() {
        ConvCase c = ConvCases.edgeCases().get(0);
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        Tensor4D dx = x.copy();
        Tensor4D dw = w.copy();
        float[] db = new float[w.n()];
        Tensor4D wrong = Tensor4D.zeros(x.n() + 1, x.c(), x.h(), x.w());
        java.util.function.Supplier<PreparedBackward> p = () -> backend().prepareBackward(c.shape(), w);
        return rejected("prepared backward: ", List.of(
                new BadInput("input of another shape", IllegalArgumentException.class, "input",
                        () -> p.get().backward(wrong, dy)),
                new BadInput("gradOutput of another shape", IllegalArgumentException.class, "gradOutput",
                        () -> p.get().backward(x, wrong)),
                new BadInput("dL/dx of another shape", IllegalArgumentException.class, "gradients.input()",
                        () -> p.get().backwardInto(x, dy, new ConvGradients(wrong, dw, db))),
                new BadInput("dL/dw of another shape", IllegalArgumentException.class, "gradients.weight()",
                        () -> p.get().backwardInto(x, dy, new ConvGradients(dx, wrong, db))),
                new BadInput("dL/db of another length", IllegalArgumentException.class, "gradients.bias()",
                        () -> p.get().backwardInto(x, dy, new ConvGradients(dx, dw, new float[w.n() + 1]))),
                new BadInput("inputGradient of another shape", IllegalArgumentException.class, "inputGradient",
                        () -> p.get().inputGradientInto(dy, wrong)),
                new BadInput("gradOutput of another shape (inputGradient)", IllegalArgumentException.class,
                        "gradOutput", () -> p.get().inputGradient(wrong)),
                new BadInput("weightGradient of another shape", IllegalArgumentException.class, "weightGradient",
                        () -> p.get().weightGradientInto(x, dy, wrong)),
                new BadInput("input of another shape (weightGradient)", IllegalArgumentException.class, "input",
                        () -> p.get().weightGradient(wrong, dy)),
                new BadInput("weight of another shape (setWeights)", IllegalArgumentException.class, "weight",
                        () -> p.get().setWeights(wrong)),
                new BadInput("weight of another shape (prepareBackward)", IllegalArgumentException.class, "weight",
                        () -> backend().prepareBackward(c.shape(), wrong)),
                new BadInput("null input", NullPointerException.class, "input", () -> p.get().backward(null, dy)),
                new BadInput("null gradOutput", NullPointerException.class, "gradOutput",
                        () -> p.get().inputGradient(null)),
                new BadInput("null gradients", NullPointerException.class, "gradients",
                        () -> p.get().backwardInto(x, dy, null))));
    }

    /** After {@code close()} (twice, the second doing nothing), every call fails with {@link IllegalStateException}. */
    @Test
    void preparedBackwardFailsAfterClose() {
        ConvCase c = ConvCases.edgeCases().get(0);
        Tensor4D x = c.input();
        Tensor4D dy = c.gradOutput();
        PreparedBackward p = backend().prepareBackward(c.shape(), c.weight());
        ConvGradients g = p.backward(x, dy);
        p.close();
        p.close();
        for (Executable call : List.<Executable>of(() -> p.backward(x, dy), () -> p.backwardInto(x, dy, g),
                () -> p.inputGradient(dy), () -> p.inputGradientInto(dy, g.input()), () -> p.weightGradient(x, dy),
                () -> p.weightGradientInto(x, dy, g.weight()), () -> p.setWeights(c.weight()))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    /** A closed native operand fails with {@link IllegalStateException}, not a crash or a wrong result. */
    @Test
    void closedNativeTensorIsRejected() {
        ConvCase c = ConvCases.edgeCases().get(0);
        Tensor4D x = c.input().toNative(MemoryLayout.NHWC);
        x.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> backend().forward(x, c.weight(), c.bias(), c.params()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
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
        return Stream.concat(nonFiniteTests(localityCases(), "in input", this::checkNonFiniteInput),
                nonFiniteTests(localityCases(), "in weight and gradOutput", this::checkNonFiniteWeightAndGradOutput));
    }

    private void checkNonFiniteInput(ConvCase c, float bad) {
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
    }

    private void checkNonFiniteWeightAndGradOutput(ConvCase c, float bad) {
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
    static boolean[] outputsReading(ConvAxis axis, int position) {
        boolean[] hit = new boolean[axis.out()];
        for (int tap = 0; tap < axis.kernel(); tap++) {
            int o = axis.outputFor(position, tap);
            if (o >= 0) {
                hit[o] = true;
            }
        }
        return hit;
    }

    /** A check with a non-finite value: {@code bad} is NaN, +Inf or -Inf. */
    private interface NonFiniteCheck {
        void check(ConvCase c, float bad) throws Throwable;
    }

    /** One test per case and non-finite value (NaN, +Inf, -Inf), named {@code "<value> <what>, <case>"}. */
    private static Stream<DynamicTest> nonFiniteTests(List<ConvCase> cases, String what, NonFiniteCheck check) {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvCase c : cases) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " " + what + ", " + c, () -> check.check(c, bad)));
            }
        }
        return tests.stream();
    }

    // ---------------------------------------------------------------- bad input

    /** A call that must fail with {@code type}, whose message names {@code argument}. */
    record BadInput(String description, Class<? extends RuntimeException> type, String argument, Executable call) {
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
        return rejected("", badInputs());
    }

    /**
     * One test per bad input, named {@code prefix + description}: the call fails with exactly the exception type,
     * whose message names the argument and, for an {@link IllegalArgumentException}, states "expected ... got".
     */
    static Stream<DynamicTest> rejected(String prefix, List<BadInput> bad) {
        return bad.stream().map(b -> DynamicTest.dynamicTest(prefix + b.description(), () -> assertRejected(b)));
    }

    /**
     * One test per bad input, named by its description: the call fails with the exception type or a subtype, whose
     * message names the argument.
     */
    private static Stream<DynamicTest> rejectedNamingTheArgument(List<BadInput> bad) {
        return bad.stream().map(c -> DynamicTest.dynamicTest(c.description(), () -> {
            RuntimeException e = assertThrows(c.type(), c.call(), c.description());
            assertTrue(String.valueOf(e.getMessage()).contains(c.argument()),
                    "message should say '" + c.argument() + "': " + e.getMessage());
        }));
    }

    private static void assertRejected(BadInput bad) {
        RuntimeException e = assertThrows(bad.type(), bad.call(), bad.description());
        assertEquals(bad.type(), e.getClass(), "exception type for " + bad.description());
        String message = String.valueOf(e.getMessage());
        assertTrue(message.contains(bad.argument()),
                "message should name '" + bad.argument() + "': " + message);
        if (e instanceof IllegalArgumentException) {
            assertTrue(message.contains("expected") && message.contains("got"),
                    "message should state the expected and the actual value: " + message);
        }
    }

    // ---------------------------------------------------------------- 1D (convolutions of height 1) and 3D

    /**
     * A backend without the 3D capability ({@link Conv3dBackend}) declines through {@link Conv3d#on}, naming itself;
     * one with it runs the 3D checks below ({@link Conv3dConformance}).
     */
    @Test
    void conv3dIsDeclinedClearlyWithoutTheCapability() {
        ConvBackend b = backend();
        if (!(b instanceof Conv3dBackend)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> Conv3d.on(b));
            assertTrue(e.getMessage().startsWith(b.name() + " backend: 3D convolution is not supported"),
                    e.getMessage());
        } else {
            assertEquals(b, Conv3d.on(b).backend());
        }
    }

    /**
     * The checks of the 1D kit ({@link Conv1dConformance}, with this backend's tolerance) and of the 3D kit
     * ({@link Conv3dConformance}; no tests if the backend has no 3D): a container per check, holding one container
     * per rank, {@code 1D} and {@code 3D}, with a test per case.
     */
    @TestFactory
    Stream<DynamicNode> conv1dAnd3dChecks() {
        long seed = Long.getLong(SEED_PROPERTY, DEFAULT_SEED);
        List<RankConformance<?, ?, ?, ?>> kits = List.of(
                new Conv1dConformance(backend(), tolerance(), seed + 10, CONV1D_CASES),
                new Conv3dConformance(backend(), reference(), tolerance(), seed + 30, CONV3D_CASES));
        Map<String, Function<RankConformance<?, ?, ?, ?>, Stream<DynamicTest>>> checks = new LinkedHashMap<>();
        checks.put("agreement with the reference", RankConformance::agreement);
        checks.put("transposed passes", RankConformance::transposed);
        checks.put("every storage and layout", RankConformance::storages);
        checks.put("non-finite values affect only their windows", RankConformance::nonFinite);
        checks.put("bad input is rejected with a clear message", RankConformance::badInput);
        return checks.entrySet().stream().map(check -> DynamicContainer.dynamicContainer(check.getKey(),
                kits.stream().map(kit -> DynamicContainer.dynamicContainer(kit.rank(), check.getValue().apply(kit)))));
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
        assertConcurrentCallsMatchSerial(cases, ConvBackendConformance::run);
    }

    /**
     * {@value #THREADS} threads, started together, each run every case twice in its own shuffled order; every
     * result must equal the serial call's bit for bit. {@code call} returns a case's results (0 forward, 1 dx,
     * 2 dw, 3 db). {@code cases} must not be empty.
     */
    private void assertConcurrentCallsMatchSerial(List<ConvCase> cases,
                                                  java.util.function.BiFunction<ConvBackend, ConvCase, float[][]> call)
            throws Exception {
        assertFalse(cases.isEmpty(), "the concurrency check needs at least one case");
        ConvBackend backend = backend();
        List<float[][]> serial = new ArrayList<>();
        for (ConvCase c : cases) {
            serial.add(call.apply(backend, c));
        }
        Concurrently.run(THREADS, 5, t -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(t));
            for (int round = 0; round < 2; round++) {
                for (int i : order) {
                    float[][] got = call.apply(backend, cases.get(i));
                    for (int r = 0; r < got.length; r++) {
                        if (!Arrays.equals(serial.get(i)[r], got[r])) {
                            throw new AssertionError("result " + r + " (0 forward, 1 dx, 2 dw, 3 db) of a "
                                    + "concurrent call differs from the serial call for " + cases.get(i));
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- padding modes

    /** One test per case of {@code named}, then of {@code sweep}, named after the case. */
    private static Stream<DynamicTest> perCase(List<ConvCase> named, List<ConvCase> sweep,
                                               ThrowingConsumer<ConvCase> check) {
        return Stream.concat(named.stream(), sweep.stream())
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check.accept(c)));
    }

    @TestFactory
    Stream<DynamicTest> paddingModesAgreeWithReference() {
        return perCase(ConvCases.paddingModeCases(),
                ConvCases.paddingModeSweep(Long.getLong(SEED_PROPERTY, DEFAULT_SEED) + 1, PADDING_MODE_CASES),
                this::checkAgreement);
    }

    /**
     * A non-finite value on the input's border reaches every output whose window reads one of its padded
     * copies, and no other; forward and backward agree with the reference.
     */
    @TestFactory
    Stream<DynamicTest> nonFiniteBorderValueReachesEveryCopy() {
        List<DynamicTest> tests = new ArrayList<>();
        for (PaddingMode m : ConvCases.COPYING_MODES) {
            ConvCase c = new ConvCase(m + " locality", 81, 2, 2, 7, 6, 3, 3, 3,
                    ConvParams.builder().padding(2, 1, 2, 2).paddingMode(m).build(), true);
            tests.add(DynamicTest.dynamicTest("NaN on the border, " + c, () -> {
                Tensor4D x = c.input();
                ConvShape s = c.shape();
                int[][] spots = {{0, 0, 0, 0}, {s.batch() - 1, s.inChannels() - 1, s.inH() - 1, s.inW() / 2}};
                boolean[] affected = new boolean[s.batch() * s.outChannels() * s.outPlane()];
                for (int[] p : spots) {
                    x.set(p[0], p[1], p[2], p[3], Float.NaN);
                    markOutputsReadingCopies(s, p, affected);
                }
                Tensor4D y = backend().forward(x, c.weight(), c.bias(), c.params());
                for (int i = 0; i < affected.length; i++) {
                    float v = y.data()[i];
                    if (affected[i] == Float.isFinite(v)) {
                        fail("output " + Agreement.position(y, i) + " = " + v + (affected[i]
                                ? " should be NaN: its window reads a copy of a NaN" : " should be finite") + ", for " + c);
                    }
                }
                Agreement.assertAgrees("forward with NaN on the border", c,
                        expected().forward(x, c.weight(), c.bias(), c.params()), y, tolerance());
                Tensor4D dy = c.gradOutput();
                assertGradientsAgree("NaN on the border, " + c, x, c.weight(), dy,
                        expected().backward(x, c.weight(), dy, c.params()),
                        backend().backward(x, c.weight(), dy, c.params()));
            }));
        }
        return tests.stream();
    }

    /** Marks every output whose window reads input element {@code p} itself or one of its padded copies. */
    private static void markOutputsReadingCopies(ConvShape s, int[] p, boolean[] affected) {
        ConvParams q = s.params();
        int group = p[1] / s.inChannelsPerGroup();
        for (int k = group * s.outChannelsPerGroup(); k < (group + 1) * s.outChannelsPerGroup(); k++) {
            for (int oh = 0; oh < s.outH(); oh++) {
                for (int ow = 0; ow < s.outW(); ow++) {
                    boolean reads = false;
                    for (int i = 0; i < s.kernelH() && !reads; i++) {
                        int r = copyOf(q.paddingMode(), oh * q.strideH() - q.padTop() + i * q.dilationH(), s.inH());
                        for (int j = 0; j < s.kernelW() && !reads; j++) {
                            int c = copyOf(q.paddingMode(), ow * q.strideW() - q.padLeft() + j * q.dilationW(), s.inW());
                            reads = r == p[2] && c == p[3];
                        }
                    }
                    if (reads) {
                        affected[((p[0] * s.outChannels() + k) * s.outH() + oh) * s.outW() + ow] = true;
                    }
                }
            }
        }
    }

    /** The input index padded index {@code i} copies, by repeated reflection or wrapping (the kit's own). */
    static int copyOf(PaddingMode mode, int i, int size) {
        switch (mode) {
            case REPLICATE:
                return i < 0 ? 0 : i >= size ? size - 1 : i;
            case CIRCULAR:
                while (i < 0) {
                    i += size;
                }
                while (i >= size) {
                    i -= size;
                }
                return i;
            case REFLECT:
                while (i < 0 || i >= size) {
                    i = i < 0 ? -i : 2 * (size - 1) - i;
                }
                return i;
            default:
                return i >= 0 && i < size ? i : -1;
        }
    }

    @TestFactory
    Stream<DynamicTest> paddingModeLimitsAreCheckedWithClearMessages() {
        ConvBackend b = backend();
        Tensor4D x = Tensor4D.random(5, 1, 2, 4, 6);
        Tensor4D w = Tensor4D.random(6, 3, 2, 3, 3);
        Tensor4D dy = Tensor4D.random(7, 1, 3, 6, 6);
        ConvParams reflectTop = ConvParams.builder().padding(4, 0, 1, 1).paddingMode(PaddingMode.REFLECT).build();
        ConvParams circularRight = ConvParams.builder().padding(1, 1, 0, 7).paddingMode(PaddingMode.CIRCULAR).build();
        ConvParams reflectLeftBackward = ConvParams.builder().padding(1, 1, 6, 0).paddingMode(PaddingMode.REFLECT).build();
        List<BadInput> bad = List.of(
                new BadInput("reflected pad as large as the height", IllegalArgumentException.class,
                        "padTop: expected less than the input height 4 for REFLECT padding, got 4",
                        () -> b.forward(x, w, null, reflectTop)),
                new BadInput("circular pad larger than the width", IllegalArgumentException.class,
                        "padRight: expected at most the input width 6 for CIRCULAR padding, got 7",
                        () -> b.forward(x, w, null, circularRight)),
                new BadInput("reflected pad as large as the width (backward)", IllegalArgumentException.class,
                        "padLeft: expected less than the input width 6 for REFLECT padding, got 6",
                        () -> b.backward(x, w, dy, reflectLeftBackward)),
                new BadInput("null padding mode", NullPointerException.class, "paddingMode",
                        () -> ConvParams.builder().paddingMode(null)));
        return rejectedNamingTheArgument(bad);
    }

    @Test
    void concurrentPaddingModeCallsGiveTheSameResultsAsSerialCalls() throws Exception {
        assertConcurrentCallsMatchSerial(ConvCases.paddingModeCases(), ConvBackendConformance::run);
    }

    // ---------------------------------------------------------------- single gradients

    /** {@code inputGradient} and {@code weightGradient} alone give the backward pass's dL/dx and dL/dw. */
    @TestFactory
    Stream<DynamicTest> singleGradientsAgreeWithReference() {
        List<ConvCase> cases = new ArrayList<>(ConvCases.edgeCases());
        cases.addAll(ConvCases.paddingModeCases().subList(0, 8));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            Tensor4D x = c.input();
            Tensor4D w = c.weight();
            Tensor4D dy = c.gradOutput();
            ConvGradients expected = expected().backward(x, w, dy, c.params());
            float gy = Agreement.maxFiniteAbs(dy);
            Agreement.assertAgrees("inputGradient", c, expected.input(),
                    backend().inputGradient(x, w, dy, c.params()), tolerance(), gy * Agreement.maxFiniteAbs(w));
            Agreement.assertAgrees("weightGradient", c, expected.weight(),
                    backend().weightGradient(x, w, dy, c.params()), tolerance(), gy * Agreement.maxFiniteAbs(x));
        }));
    }

    // ---------------------------------------------------------------- transposed convolution

    @TestFactory
    Stream<DynamicTest> transposedAgreesWithReference() {
        return perCase(ConvCases.transposedCases(),
                ConvCases.transposedSweep(Long.getLong(SEED_PROPERTY, DEFAULT_SEED) + 2, TRANSPOSED_CASES),
                this::checkTransposed);
    }

    private void checkTransposed(ConvCase c) {
        Tensor4D x = c.input();
        Tensor4D w = c.transposedWeight();
        float[] b = c.bias();
        Tensor4D dy = c.transposedGradOutput();
        Agreement.assertAgrees("transposed forward", c, expected().transposedForward(x, w, b, c.params()),
                backend().transposedForward(x, w, b, c.params()), tolerance(),
                Agreement.maxFiniteAbs(x) * Agreement.maxFiniteAbs(w));
        ConvGradients expected = expected().transposedBackward(x, w, dy, c.params());
        ConvGradients actual = backend().transposedBackward(x, w, dy, c.params());
        float gy = Agreement.maxFiniteAbs(dy);
        Agreement.assertAgrees("transposed dL/dx", c, expected.input(), actual.input(), tolerance(),
                gy * Agreement.maxFiniteAbs(w));
        Agreement.assertAgrees("transposed dL/dw", c, expected.weight(), actual.weight(), tolerance(),
                gy * Agreement.maxFiniteAbs(x));
        Agreement.assertAgrees("transposed dL/db", c, expected.biasTensor(), actual.biasTensor(), tolerance(), gy);
        assertEquals(c.input(), x, "input was modified by a transposed pass for " + c);
        assertEquals(c.transposedWeight(), w, "weight was modified by a transposed pass for " + c);
        assertEquals(c.transposedGradOutput(), dy, "gradOutput was modified by a transposed pass for " + c);
    }

    /**
     * A non-finite input value reaches exactly the transposed outputs it is scattered to (computed from the
     * geometry here); forward and backward, also with a non-finite weight or gradOutput, agree with the reference.
     */
    @TestFactory
    Stream<DynamicTest> transposedNonFiniteInputAffectsOnlyItsOutputs() {
        List<ConvCase> cases = List.of(
                new ConvCase("transposed locality, stride 2", 91, 2, 3, 6, 5, 4, 3, 3,
                        ConvParams.builder().stride(2).padding(1).outputPadding(1).build(), true),
                new ConvCase("transposed locality, dilated, groups 2", 92, 1, 4, 5, 6, 2, 3, 2,
                        ConvParams.builder().dilation(2, 3).groups(2).padding(2, 1, 0, 2).build(), false));
        return nonFiniteTests(cases, "in transposed input", (c, bad) -> {
            Tensor4D x = c.input();
            Tensor4D w = c.transposedWeight();
            TransposedShape t = c.transposedShape();
            int[] spot = {t.batch() - 1, 1, t.inH() / 2, t.inW() - 1};
            x.set(spot[0], spot[1], spot[2], spot[3], bad);
            Tensor4D y = backend().transposedForward(x, w, c.bias(), c.params());
            ConvParams q = c.params();
            int cig = t.inChannels() / q.groups();
            int cog = t.outChannels() / q.groups();
            int group = spot[1] / cig;
            for (int i = 0; i < y.size(); i++) {
                int[] o = {i / (y.w() * y.h() * y.c()), (i / (y.w() * y.h())) % y.c(), (i / y.w()) % y.h(),
                    i % y.w()};
                boolean reached = o[0] == spot[0] && o[1] / cog == group
                        && reaches(spot[2], o[2], q.strideH(), q.padTop(), q.dilationH(), w.h())
                        && reaches(spot[3], o[3], q.strideW(), q.padLeft(), q.dilationW(), w.w());
                float v = y.data()[i];
                if (reached == Float.isFinite(v)) {
                    fail("transposed output " + java.util.Arrays.toString(o) + " = " + v + (reached
                            ? " should be non-finite: the " + bad + " is scattered to it" : " should be finite")
                            + ", for " + c);
                }
            }
            Agreement.assertAgrees("transposed forward with " + bad, c,
                    expected().transposedForward(x, w, c.bias(), c.params()), y, tolerance());
            Tensor4D dy = c.transposedGradOutput();
            ConvGradients expected = expected().transposedBackward(x, w, dy, c.params());
            ConvGradients actual = backend().transposedBackward(x, w, dy, c.params());
            Agreement.assertAgrees("transposed dL/dx with " + bad, c, expected.input(), actual.input(), tolerance());
            Agreement.assertAgrees("transposed dL/dw with " + bad, c, expected.weight(), actual.weight(), tolerance());
            Tensor4D badW = c.transposedWeight();
            badW.set(0, 0, 1, 0, bad);
            Agreement.assertAgrees("transposed forward with " + bad + " in weight", c,
                    expected().transposedForward(c.input(), badW, c.bias(), c.params()),
                    backend().transposedForward(c.input(), badW, c.bias(), c.params()), tolerance());
            Tensor4D badDy = c.transposedGradOutput();
            badDy.set(0, 0, 1, 1, bad);
            ConvGradients e2 = expected().transposedBackward(c.input(), w, badDy, c.params());
            ConvGradients a2 = backend().transposedBackward(c.input(), w, badDy, c.params());
            Agreement.assertAgrees("transposed dL/dx with " + bad + " in gradOutput", c, e2.input(), a2.input(), tolerance());
            Agreement.assertAgrees("transposed dL/dw with " + bad + " in gradOutput", c, e2.weight(), a2.weight(), tolerance());
        });
    }

    /** True if input index {@code in} reaches output index {@code out}: {@code in*stride - pad + i*dilation == out}. */
    private static boolean reaches(int in, int out, int stride, int pad, int dilation, int kernel) {
        int offset = out - (in * stride - pad);
        return offset >= 0 && offset % dilation == 0 && offset / dilation < kernel;
    }

    @TestFactory
    Stream<DynamicTest> transposedBadInputIsRejectedWithAClearMessage() {
        ConvBackend b = backend();
        Tensor4D x = Tensor4D.random(8, 1, 4, 5, 5);
        Tensor4D w = Tensor4D.random(9, 4, 3, 3, 3);
        ConvParams s2 = ConvParams.builder().stride(2).padding(1).build();
        List<BadInput> bad = List.of(
                new BadInput("weight dimension 0 != input channels", IllegalArgumentException.class,
                        "weight: expected dimension 0 equal to the input channels 4",
                        () -> b.transposedForward(x, Tensor4D.zeros(3, 4, 3, 3), null, s2)),
                new BadInput("output padding not below stride or dilation", IllegalArgumentException.class,
                        "outputPaddingH: expected less than the stride 2 or the dilation 1, got 2",
                        () -> b.transposedForward(x, w, null, s2.toBuilder().outputPadding(2, 0).build())),
                new BadInput("padding mode on a transposed convolution", IllegalArgumentException.class,
                        "paddingMode: expected ZEROS for a transposed convolution, got REFLECT",
                        () -> b.transposedForward(x, w, null, s2.toBuilder().paddingMode(PaddingMode.REFLECT).build())),
                new BadInput("output padding on a convolution", IllegalArgumentException.class,
                        "outputPadding: expected 0x0 for a convolution",
                        () -> b.forward(x, Tensor4D.zeros(3, 4, 3, 3), null, s2.toBuilder().outputPadding(1).build())),
                new BadInput("bias of the wrong length", IllegalArgumentException.class,
                        "bias: expected length 3 (one per output channel), got 4",
                        () -> b.transposedForward(x, w, new float[4], s2)),
                new BadInput("gradOutput of the wrong shape", IllegalArgumentException.class,
                        "gradOutput: expected the transposed output's shape [1, 3, 9, 9], got [1, 3, 9, 8]",
                        () -> b.transposedBackward(x, w, Tensor4D.zeros(1, 3, 9, 8), s2)),
                new BadInput("padding larger than the output", IllegalArgumentException.class,
                        "padding: expected a transposed output height of at least 1",
                        () -> b.transposedForward(x, w, null, ConvParams.builder().padding(7, 0, 0, 0).build())),
                new BadInput("null weight", NullPointerException.class, "weight",
                        () -> b.transposedForward(x, null, null, s2)));
        return rejectedNamingTheArgument(bad);
    }

    @Test
    void concurrentTransposedCallsGiveTheSameResultsAsSerialCalls() throws Exception {
        assertConcurrentCallsMatchSerial(ConvCases.transposedCases(), ConvBackendConformance::runTransposed);
    }

    private static float[][] runTransposed(ConvBackend backend, ConvCase c) {
        Tensor4D x = c.input();
        Tensor4D w = c.transposedWeight();
        Tensor4D y = backend.transposedForward(x, w, c.bias(), c.params());
        ConvGradients g = backend.transposedBackward(x, w, c.transposedGradOutput(), c.params());
        return new float[][] {y.data(), g.input().data(), g.weight().data(), g.bias()};
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
