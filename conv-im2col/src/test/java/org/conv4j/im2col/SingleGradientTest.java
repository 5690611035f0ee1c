package org.conv4j.im2col;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvCase;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * {@code inputGradient} and {@code weightGradient} alone give exactly the tensors of the full backward pass, on
 * every path: native in whole-image units and in bands of a small workspace, on the heap, with the 1x1 identity
 * layout, groups, strides, dilation, and a padding mode. The pass for one gradient is handed no tensor of the
 * other's ({@code gradients} with a {@code null} input, or a {@code null} weight), so it cannot compute it.
 */
class SingleGradientTest {

    private static final ConvParams PAD1 = ConvParams.builder().padding(1).build();

    private record Backend(String label, Im2colBackend backend) {
    }

    private static List<ConvCase> cases() {
        return List.of(
                new ConvCase("3x3 pad 1, batch 3", 1, 3, 16, 12, 11, 24, 3, 3, PAD1, true),
                new ConvCase("groups 2, stride 2, dilation, asymmetric padding", 2, 2, 8, 15, 13, 12, 3, 2,
                        ConvParams.builder().groups(2).stride(2, 1).dilation(1, 2).padding(1, 0, 2, 1).build(), true),
                new ConvCase("1x1 identity", 3, 2, 32, 9, 10, 16, 1, 1, ConvParams.DEFAULT, true),
                new ConvCase("thin: one 2x2 filter on one channel", 4, 2, 1, 90, 80, 1, 2, 2, ConvParams.DEFAULT, true),
                new ConvCase("thin depthwise 3x3", 5, 1, 4, 70, 60, 4, 3, 3,
                        PAD1.toBuilder().groups(4).build(), true),
                new ConvCase("thin 1x1 identity", 6, 2, 2, 60, 50, 3, 1, 1, ConvParams.DEFAULT, true),
                new ConvCase("reflect padding", 7, 2, 8, 10, 9, 16, 3, 3,
                        PAD1.toBuilder().paddingMode(PaddingMode.REFLECT).build(), true));
    }

    private static List<Backend> backends() {
        return List.of(new Backend("default", new Im2colBackend()),
                new Backend("all native", new Im2colBackend(Workspace.DEFAULT_LIMIT_BYTES, 0)),
                new Backend("bands of a minimum workspace", new Im2colBackend(Workspace.MIN_LIMIT_BYTES, 0)));
    }

    @TestFactory
    Stream<DynamicTest> singleGradientsAreThoseOfTheFullBackward() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend b : backends()) {
            for (ConvCase c : cases()) {
                tests.add(DynamicTest.dynamicTest(b.label() + ", " + c, () -> {
                    Tensor4D x = c.input();
                    Tensor4D w = c.weight();
                    Tensor4D dy = c.gradOutput();
                    ConvGradients full = b.backend().backward(x, w, dy, c.params());
                    assertArrayEquals(full.input().data(), b.backend().inputGradient(x, w, dy, c.params()).data(),
                            "dL/dx");
                    assertArrayEquals(full.weight().data(), b.backend().weightGradient(x, w, dy, c.params()).data(),
                            "dL/dw");
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> eachGradientIsComputedWithoutTheOthersOperand() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend b : backends()) {
            for (ConvCase c : cases()) {
                if (c.params().paddingMode() != PaddingMode.ZEROS) {
                    continue; // gradients() sees the padded convolution; the public calls above cover the modes
                }
                tests.add(DynamicTest.dynamicTest(b.label() + ", " + c, () -> {
                    Tensor4D x = c.input();
                    Tensor4D w = c.weight();
                    Tensor4D dy = c.gradOutput();
                    ConvShape s = ConvShape.backward(x, w, dy, c.params());
                    ConvGradients full = b.backend().backward(x, w, dy, c.params());
                    float[] dx = new float[x.size()];
                    b.backend().gradients(s, null, w, dy, dx, null);
                    assertArrayEquals(full.input().data(), dx, "dL/dx with no input");
                    float[] dw = new float[w.size()];
                    b.backend().gradients(s, x, null, dy, null, dw);
                    assertArrayEquals(full.weight().data(), dw, "dL/dw with no weight");
                }));
            }
        }
        return tests.stream();
    }
}
