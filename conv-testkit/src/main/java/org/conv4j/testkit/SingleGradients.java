package org.conv4j.testkit;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;

import org.junit.jupiter.api.DynamicTest;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Exact single gradients, for backends that compute them with the products of their own backward pass (the kit
 * checks every backend's single gradients against the reference within a tolerance): {@code inputGradient} and
 * {@code weightGradient} give the very tensors of {@code backward}, and each is computed without the other's
 * operand.
 */
public final class SingleGradients {

    private SingleGradients() {
    }

    /** A backend's backward pass for the wanted gradients: {@code dL/dx} into {@code dx}, {@code dL/dw} into {@code dw}, each unless null. */
    @FunctionalInterface
    public interface Pass {
        /**
         * Runs the pass.
         *
         * @param s the validated geometry
         * @param input the input, or null when only {@code dL/dx} is wanted (which does not read it)
         * @param weight the weight, or null when only {@code dL/dw} is wanted (which does not read it)
         * @param gradOutput {@code dL/dy}
         * @param dx receives {@code dL/dx}, or null
         * @param dw receives {@code dL/dw}, or null
         */
        void run(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput, float[] dx, float[] dw);
    }

    /**
     * For every backend (by label) and case, {@link #assertSameAsBackward} and, with zero padding,
     * {@link #assertWithoutTheOthersOperand} through the backend's {@code pass}.
     *
     * @param <B> the backend type
     * @param backends the backends by label
     * @param cases the cases
     * @param pass the backend's pass for the wanted gradients
     * @return one test per backend and case
     */
    public static <B extends ConvBackend> Stream<DynamicTest> tests(Map<String, B> backends, List<ConvCase> cases,
                                                                    Function<B, Pass> pass) {
        return backends.entrySet().stream().flatMap(b -> cases.stream().map(c -> DynamicTest.dynamicTest(
                b.getKey() + ", " + c, () -> {
                    assertSameAsBackward(b.getValue(), c);
                    if (c.params().paddingMode() == PaddingMode.ZEROS) { // the pass sees no padding mode
                        assertWithoutTheOthersOperand(b.getValue(), pass.apply(b.getValue()), c);
                    }
                })));
    }

    /**
     * {@code inputGradient} and {@code weightGradient} equal {@code backward}'s gradients element for element.
     *
     * @param backend the backend under test
     * @param c the case
     */
    public static void assertSameAsBackward(ConvBackend backend, ConvCase c) {
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvGradients full = backend.backward(x, w, dy, c.params());
        assertArrayEquals(full.input().data(), backend.inputGradient(x, w, dy, c.params()).data(), "dL/dx");
        assertArrayEquals(full.weight().data(), backend.weightGradient(x, w, dy, c.params()).data(), "dL/dw");
    }

    /**
     * {@code pass} given a {@code null} input computes {@code backward}'s {@code dL/dx}, given a {@code null} weight
     * its {@code dL/dw}: neither gradient can have computed the other (zero padding: the pass sees the
     * convolution as validated, with no padding mode applied).
     *
     * @param backend the backend under test
     * @param pass the backend's pass for the wanted gradients
     * @param c the case
     */
    public static void assertWithoutTheOthersOperand(ConvBackend backend, Pass pass, ConvCase c) {
        Tensor4D x = c.input();
        Tensor4D w = c.weight();
        Tensor4D dy = c.gradOutput();
        ConvShape s = ConvShape.backward(x, w, dy, c.params());
        ConvGradients full = backend.backward(x, w, dy, c.params());
        float[] dx = new float[x.size()];
        pass.run(s, null, w, dy, dx, null);
        assertArrayEquals(full.input().data(), dx, "dL/dx with no input");
        float[] dw = new float[w.size()];
        pass.run(s, x, null, dy, null, dw);
        assertArrayEquals(full.weight().data(), dw, "dL/dw with no weight");
    }
}
