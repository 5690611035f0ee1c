package org.conv4j.testkit;

import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.ConvBackendConformance.BadInput;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.ThrowingConsumer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The checks the 1D and 3D parts of the conformance kit have in common ({@link Conv1dConformance},
 * {@link Conv3dConformance}), written once over a rank's tensor {@code T}, parameters {@code P}, gradients {@code G}
 * and cases {@code C}. A rank supplies its calls (on the backend and on its reference), its cases and what differs
 * between its tensors (storages, where a non-finite value is put, which outputs it reaches).
 *
 * <p>Every pass is compared with {@link Agreement} on the tensors read as {@code (N, C, rest..., W)} heap tensors, after
 * checking the shapes are equal; the scale of a comparison is at least its largest single term:
 * {@code max|x|*max|w|} for the output, {@code max|dy|*max|w|} for dL/dx, {@code max|dy|*max|x|} for dL/dw and
 * {@code max|dy|} for dL/db.
 *
 * @param <T> the rank's tensor
 * @param <P> the rank's parameters
 * @param <G> the rank's gradients
 * @param <C> the rank's case
 */
abstract class RankConformance<T extends AutoCloseable, P, G, C> {

    /** A call {@code (input, weight, bias, params)}: forward or transposed forward. */
    interface Forward<T, P> {
        T call(T x, T w, float[] b, P p);
    }

    /** A call {@code (input, weight, bias, params, output)}: {@code forwardInto}. */
    interface ForwardInto<T, P> {
        T call(T x, T w, float[] b, P p, T out);
    }

    /** A call {@code (input, weight, gradOutput, params)}: backward, a single gradient, or transposed backward. */
    interface Backward<T, P, R> {
        R call(T x, T w, T dy, P p);
    }

    /** The passes of one rank on one backend, or the convolution passes of its reference. */
    record Passes<T, P, G>(Forward<T, P> forward, ForwardInto<T, P> forwardInto, Backward<T, P, G> backward,
                           Backward<T, P, T> inputGradient, Backward<T, P, T> weightGradient,
                           Forward<T, P> transposedForward, Backward<T, P, G> transposedBackward) {
        /** A reference: forward and backward only. */
        static <T, P, G> Passes<T, P, G> reference(Forward<T, P> forward, Backward<T, P, G> backward) {
            return new Passes<>(forward, null, backward, null, null, null, null);
        }
    }

    /** {@code t} in {@code layout}, on the heap or in native memory: itself if nothing changes, else a copy. */
    interface Storage<T> {
        T to(T t, MemoryLayout layout, boolean nativeMemory);
    }

    /**
     * What the checks read from a rank's tensors and gradients.
     *
     * @param flat       the tensor read as a heap NCHW tensor with the same elements in the same order
     * @param nanLike    a new heap tensor of the argument's shape filled with NaN
     * @param heap       the tensor in a form {@code equals} compares with a case's fresh heap channels-first tensor
     * @param gradBias   the bias gradient as a tensor of shape {@code (1, K, 1...)}
     */
    record Tensors<T, G>(Function<T, Tensor4D> flat, Function<T, String> shapeString, Function<T, MemoryLayout> layout,
                         Predicate<T> isNative, Function<T, float[]> data, UnaryOperator<T> nanLike,
                         UnaryOperator<T> heap, Storage<T> storage, Function<G, T> gradInput,
                         Function<G, T> gradWeight, Function<G, T> gradBias) {
    }

    /** A case's operands, made fresh: input, weight, bias (or null), dL/dy and parameters. */
    record Operands<T, P>(T x, T w, float[] b, T dy, P p) {
    }

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    private final String rank;
    private final List<String> storages;
    private final Tensors<T, G> tensors;
    private final float tolerance;
    /** The seed of the random sweep of {@link #agreement}; {@link #transposed} uses the next one. */
    final long sweepSeed;
    /** The number of random sweep cases, for the convolution and for the transposed one. */
    final int sweepCases;
    /** The backend's passes; null if it does not run this rank. */
    private final Passes<T, P, G> conv;
    private final Passes<T, P, G> reference;

    /**
     * @param rank      "1D" or "3D", the prefix of every failure message
     * @param storages  the names of the storages and layouts: heap channels-first ({@link MemoryLayout#NCHW}),
     *                  heap channels-last ({@link MemoryLayout#NHWC}), native channels-first, native channels-last
     * @param tensors   what the checks read from the rank's tensors
     * @param tolerance the backend's tolerance (see {@link Agreement})
     * @param sweepSeed  the seed of the random sweep
     * @param sweepCases the number of random sweep cases
     * @param conv      the backend's passes, or null if it does not run this rank
     * @param reference what the backend is compared with
     */
    RankConformance(String rank, List<String> storages, Tensors<T, G> tensors, float tolerance, long sweepSeed,
                    int sweepCases, Passes<T, P, G> conv, Passes<T, P, G> reference) {
        this.tensors = tensors;
        this.rank = rank;
        this.storages = storages;
        this.tolerance = tolerance;
        this.sweepSeed = sweepSeed;
        this.sweepCases = sweepCases;
        this.conv = conv;
        this.reference = reference;
    }

    /** {@return "1D" or "3D"} */
    final String rank() {
        return rank;
    }

    // ---------------------------------------------------------------- the checks, each a test per case

    /** Edge cases, padding-mode cases and a seeded sweep agree with the reference. */
    abstract Stream<DynamicTest> agreement();

    /** The transposed cases and the sweep read as transposed convolutions (with an output padding) agree. */
    abstract Stream<DynamicTest> transposed();

    /** Operands in every storage and layout agree with the reference, results in their operand's. */
    abstract Stream<DynamicTest> storages();

    /** A non-finite value reaches exactly the outputs whose window holds it. */
    abstract Stream<DynamicTest> nonFinite();

    /** Bad input is rejected with a message naming the argument with the expected and actual value. */
    abstract Stream<DynamicTest> badInput();

    // ---------------------------------------------------------------- what a rank supplies

    abstract Operands<T, P> operands(C c);

    /** {@return the operands of the case read as a transposed convolution: transposed weight and dL/dy} */
    abstract Operands<T, P> transposedOperands(C c);

    /**
     * Whether the backend runs both passes of the case; if not, it must have declined them clearly (the rank checks
     * that).
     */
    abstract boolean runs(C c);

    /** {@return the kit's own transposed forward pass of the case (with its output size written out)} */
    abstract T transposedReference(C c, Operands<T, P> o);

    /** {@return the kit's own transposed backward pass} */
    abstract G transposedReferenceBackward(Operands<T, P> o);

    /** What the rank does when a transposed pass is declined: fail, or check the message names the backend. */
    abstract void transposedDeclined(UnsupportedOperationException e);

    /** Sets one element of the weight to {@code bad}. */
    abstract void poisonWeight(T w, float bad);

    /** Sets one element of dL/dy to {@code bad}. */
    abstract void poisonGradOutput(T dy, float bad);

    /**
     * Sets a few elements of the input {@code x} (of case {@code c}) to {@code bad} and returns, for every element of
     * the output in heap order, whether its window holds one of them.
     */
    abstract boolean[] poisonInput(C c, T x, float bad);

    /** {@return the position of heap element {@code i} of {@code y}, for a failure message} */
    abstract String position(T y, int i);

    // ---------------------------------------------------------------- reading tensors

    private Tensor4D flat(T t) {
        return tensors.flat().apply(t);
    }

    private T nanLike(T like) {
        return tensors.nanLike().apply(like);
    }

    private T gradInput(G g) {
        return tensors.gradInput().apply(g);
    }

    private T gradWeight(G g) {
        return tensors.gradWeight().apply(g);
    }

    // ---------------------------------------------------------------- bad input

    /**
     * A null input, weight, params or gradOutput, each rejected with a {@link NullPointerException} naming it, followed
     * by the rank's own {@code bad} inputs; {@code x} and {@code w} are valid operands for {@code plain}.
     */
    final List<BadInput> withNullArguments(T x, T w, P plain, List<BadInput> bad) {
        List<BadInput> all = new ArrayList<>(List.of(
                new BadInput("null input", NullPointerException.class, "input",
                        () -> conv.forward().call(null, w, null, plain)),
                new BadInput("null weight", NullPointerException.class, "weight",
                        () -> conv.forward().call(x, null, null, plain)),
                new BadInput("null params", NullPointerException.class, "params",
                        () -> conv.forward().call(x, w, null, null)),
                new BadInput("null gradOutput", NullPointerException.class, "gradOutput",
                        () -> conv.backward().call(x, w, null, plain))));
        all.addAll(bad);
        return all;
    }

    // ---------------------------------------------------------------- comparisons

    /** {@code tests}, or none if the backend does not run this rank. */
    final Stream<DynamicTest> ifRuns(List<DynamicTest> tests) {
        return conv == null ? Stream.empty() : tests.stream();
    }

    /** One test per case, named after it. */
    final Stream<DynamicTest> each(List<C> cases, ThrowingConsumer<C> check) {
        return ifRuns(cases.stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check.accept(c))).toList());
    }

    final float max(T t) {
        return Agreement.maxFiniteAbs(flat(t));
    }

    final void assertAgrees(String what, Object context, T expected, T actual, float term) {
        if (actual == null) {
            fail(what + " is null for " + context);
        }
        assertEquals(tensors.shapeString().apply(expected), tensors.shapeString().apply(actual), rank + " " + what + ": shape, for " + context);
        Agreement.assertAgrees(rank + " " + what, context, flat(expected), flat(actual), tolerance, term);
    }

    final void assertGradientsAgree(Object context, T x, T w, T dy, G expected, G actual) {
        float gy = max(dy);
        assertAgrees("dL/dx", context, gradInput(expected), gradInput(actual), gy * max(w));
        assertAgrees("dL/dw", context, gradWeight(expected), gradWeight(actual), gy * max(x));
        assertAgrees("dL/db", context, tensors.gradBias().apply(expected), tensors.gradBias().apply(actual), gy);
    }

    private void assertLike(T operand, T result, String what, String context) {
        assertEquals(tensors.layout().apply(operand), tensors.layout().apply(result), what + ": layout, for " + context);
        assertEquals(tensors.isNative().test(operand), tensors.isNative().test(result),
                what + ": native storage, for " + context);
    }

    // ---------------------------------------------------------------- agreement

    /**
     * Forward, {@code forwardInto} a NaN-filled output, backward and both single gradients agree with the reference,
     * and leave their operands as they were.
     */
    final void checkAgreement(C c) {
        Operands<T, P> o = operands(c);
        if (!runs(c)) {
            return;
        }
        T x = o.x();
        T w = o.w();
        float[] b = o.b();
        T dy = o.dy();
        P p = o.p();
        T expected = reference.forward().call(x, w, b, p);
        float term = max(x) * max(w);
        assertAgrees("forward", c, expected, conv.forward().call(x, w, b, p), term);
        T out = nanLike(expected);
        assertSame(out, conv.forwardInto().call(x, w, b, p, out), "forwardInto must return its output, for " + c);
        assertAgrees("forwardInto (NaN-filled output)", c, expected, out, term);
        G e = reference.backward().call(x, w, dy, p);
        assertGradientsAgree(c, x, w, dy, e, conv.backward().call(x, w, dy, p));
        float gy = max(dy);
        assertAgrees("inputGradient", c, gradInput(e), conv.inputGradient().call(x, w, dy, p), gy * max(w));
        assertAgrees("weightGradient", c, gradWeight(e), conv.weightGradient().call(x, w, dy, p), gy * max(x));
        Operands<T, P> fresh = operands(c);
        assertEquals(fresh.x(), x, "input was modified for " + c);
        assertEquals(fresh.w(), w, "weight was modified for " + c);
        assertEquals(fresh.dy(), dy, "gradOutput was modified for " + c);
        assertArrayEquals(fresh.b(), b, "bias was modified for " + c);
    }

    /** The transposed passes agree with the kit's own and leave input and weight as they were. */
    final void checkTransposed(C c) {
        Operands<T, P> o = transposedOperands(c);
        T y;
        G g;
        try {
            y = conv.transposedForward().call(o.x(), o.w(), o.b(), o.p());
            g = conv.transposedBackward().call(o.x(), o.w(), o.dy(), o.p());
        } catch (UnsupportedOperationException declined) {
            transposedDeclined(declined);
            return;
        }
        assertAgrees("transposed forward", c, transposedReference(c, o), y, max(o.x()) * max(o.w()));
        assertGradientsAgree("transposed " + c, o.x(), o.w(), o.dy(), transposedReferenceBackward(o), g);
        Operands<T, P> fresh = transposedOperands(c);
        assertEquals(fresh.x(), o.x(), "input was modified by a transposed pass for " + c);
        assertEquals(fresh.w(), o.w(), "weight was modified by a transposed pass for " + c);
    }

    // ---------------------------------------------------------------- storages and layouts

    /**
     * {@return the case with the storage and layout of each operand, {@code storages.get(kinds[i])} for input, weight,
     * dL/dy and output, for failure messages}
     */
    static String storageContext(Object c, List<String> storages, int[] kinds) {
        return c + " (input " + storages.get(kinds[0]) + ", weight " + storages.get(kinds[1]) + ", dL/dy "
                + storages.get(kinds[2]) + ", output " + storages.get(kinds[3]) + ")";
    }

    /** {@code t} in the combination {@code storages.get(kind)}: itself for heap channels-first, else a copy. */
    private T as(int kind, T t) {
        return tensors.storage().to(t, kind % 2 == 0 ? MemoryLayout.NCHW : MemoryLayout.NHWC, kind >= 2);
    }

    /**
     * The cases with the input in each storage and layout, weight, dL/dy and output drawn from them at random (seeded),
     * and, with {@code everyOperandAlike}, again with every operand in the input's storage and layout.
     */
    final Stream<DynamicTest> storages(long seed, List<C> cases, boolean everyOperandAlike) {
        List<DynamicTest> tests = new ArrayList<>();
        Random random = new Random(seed);
        for (C c : cases) {
            for (int kind = 0; kind < storages.size(); kind++) {
                int[] kinds = {kind, random.nextInt(4), random.nextInt(4), random.nextInt(4)};
                tests.add(DynamicTest.dynamicTest(storages.get(kind) + " input, " + c, () -> checkStorages(c, kinds)));
                if (everyOperandAlike) {
                    int[] same = {kind, kind, kind, kind};
                    tests.add(DynamicTest.dynamicTest("every operand " + storages.get(kind) + ", " + c,
                            () -> checkStorages(c, same)));
                }
            }
        }
        return ifRuns(tests);
    }

    /**
     * Forward, {@code forwardInto}, backward and the single gradients on operands in the storages and layouts
     * {@code kinds} (input, weight, dL/dy, output) agree with the reference on heap tensors, and each result takes
     * its operand's storage and layout.
     */
    private void checkStorages(C c, int[] kinds) throws Exception {
        Operands<T, P> o = operands(c);
        if (!runs(c)) {
            return;
        }
        T x = o.x();
        T w = o.w();
        T dy = o.dy();
        float[] b = o.b();
        P p = o.p();
        String context = storageContext(c, storages, kinds);
        try (T xs = as(kinds[0], x); T ws = as(kinds[1], w); T dys = as(kinds[2], dy)) {
            T expected = reference.forward().call(x, w, b, p);
            float term = max(x) * max(w);
            T y = conv.forward().call(xs, ws, b, p);
            assertAgrees("forward", context, expected, y, term);
            assertLike(xs, y, "forward output", context);
            try (T out = as(kinds[3], nanLike(expected))) {
                assertSame(out, conv.forwardInto().call(xs, ws, b, p, out),
                        "forwardInto must return its output, " + context);
                assertAgrees("forwardInto", context, expected, out, term);
            }
            G e = reference.backward().call(x, w, dy, p);
            G g = conv.backward().call(xs, ws, dys, p);
            assertGradientsAgree(context, x, w, dy, e, g);
            assertLike(xs, gradInput(g), "dL/dx", context);
            assertLike(ws, gradWeight(g), "dL/dw", context);
            float gy = max(dy);
            T dx = conv.inputGradient().call(xs, ws, dys, p);
            assertAgrees("inputGradient", context, gradInput(e), dx, gy * max(w));
            assertLike(xs, dx, "inputGradient", context);
            T dw = conv.weightGradient().call(xs, ws, dys, p);
            assertAgrees("weightGradient", context, gradWeight(e), dw, gy * max(x));
            assertLike(ws, dw, "weightGradient", context);
            for (T t : List.of(y, gradInput(g), gradWeight(g), dx, dw)) {
                t.close();
            }
            assertEquals(x, tensors.heap().apply(xs), "input was modified for " + context);
        }
    }

    // ---------------------------------------------------------------- non-finite locality

    /**
     * For each case and each of NaN, +Inf and -Inf: the value in the input reaches exactly the outputs whose window
     * holds it ({@link #poisonInput}), and forward and backward agree with the reference; the value in the weight,
     * then in dL/dy, gives a forward and backward pass that agree with the reference.
     */
    final Stream<DynamicTest> nonFinite(List<C> cases) {
        List<DynamicTest> tests = new ArrayList<>();
        for (C c : cases) {
            for (float bad : NON_FINITE) {
                tests.add(DynamicTest.dynamicTest(bad + " in input, " + c, () -> checkLocality(c, bad)));
                tests.add(DynamicTest.dynamicTest(bad + " in weight and gradOutput, " + c,
                        () -> checkWeightAndGradOutput(c, bad)));
            }
        }
        return ifRuns(tests);
    }

    private void checkWeightAndGradOutput(C c, float bad) {
        if (!runs(c)) {
            return;
        }
        Operands<T, P> o = operands(c);
        T w = o.w();
        poisonWeight(w, bad);
        assertAgrees("forward with " + bad + " in weight", c, reference.forward().call(o.x(), w, o.b(), o.p()),
                conv.forward().call(o.x(), w, o.b(), o.p()), 0f);
        poisonGradOutput(o.dy(), bad);
        T clean = operands(c).w();
        assertGradientsAgree(bad + " in gradOutput, " + c, o.x(), clean, o.dy(),
                reference.backward().call(o.x(), clean, o.dy(), o.p()), conv.backward().call(o.x(), clean, o.dy(), o.p()));
    }

    private void checkLocality(C c, float bad) {
        if (!runs(c)) {
            return;
        }
        Operands<T, P> o = operands(c);
        T x = o.x();
        boolean[] affected = poisonInput(c, x, bad);
        T y = conv.forward().call(x, o.w(), o.b(), o.p());
        float[] values = tensors.data().apply(y);
        int nonFinite = 0;
        for (int i = 0; i < affected.length; i++) {
            float v = values[i];
            if (affected[i] == Float.isFinite(v)) {
                fail(rank + " output " + position(y, i) + " = " + v + (affected[i]
                        ? " should be non-finite: its window holds a " + bad
                        : " should be finite: its window holds no " + bad) + ", for " + c);
            }
            nonFinite += affected[i] ? 1 : 0;
        }
        assertTrue(nonFinite > 0 && nonFinite < affected.length,
                "the locality case must have both affected and unaffected outputs: " + c);
        assertAgrees("forward with " + bad + " in input", c, reference.forward().call(x, o.w(), o.b(), o.p()), y, 0f);
        assertGradientsAgree(bad + " in input, " + c, x, o.w(), o.dy(), reference.backward().call(x, o.w(), o.dy(),
                o.p()), conv.backward().call(x, o.w(), o.dy(), o.p()));
    }
}
