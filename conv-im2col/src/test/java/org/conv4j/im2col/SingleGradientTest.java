package org.conv4j.im2col;

import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.SingleGradients;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code inputGradient} and {@code weightGradient} alone give exactly the tensors of the full backward pass, on
 * every path: native in whole-image units and in bands of a small workspace, on the heap, with the 1x1 identity
 * layout, groups, strides, dilation, and a padding mode ({@link SingleGradients}).
 */
class SingleGradientTest {

    private static final ConvParams PAD1 = ConvParams.builder().padding(1).build();

    private static List<ConvCase> cases() {
        return List.of(
                new ConvCase("groups 2, stride 2, dilation, asymmetric padding", 2, 2, 8, 15, 13, 12, 3, 2,
                        ConvParams.builder().groups(2).stride(2, 1).dilation(1, 2).padding(1, 0, 2, 1).build(), true),
                new ConvCase("3x3 pad 1, batch 3", 1, 3, 16, 12, 11, 24, 3, 3, PAD1, true),
                new ConvCase("1x1 identity", 3, 2, 32, 9, 10, 16, 1, 1, ConvParams.DEFAULT, true),
                new ConvCase("thin: one 2x2 filter on one channel", 4, 2, 1, 90, 80, 1, 2, 2, ConvParams.DEFAULT, true),
                new ConvCase("thin depthwise 3x3", 5, 1, 4, 70, 60, 4, 3, 3,
                        PAD1.toBuilder().groups(4).build(), true),
                new ConvCase("thin 1x1 identity", 6, 2, 2, 60, 50, 3, 1, 1, ConvParams.DEFAULT, true),
                new ConvCase("reflect padding", 7, 2, 8, 10, 9, 16, 3, 3,
                        PAD1.toBuilder().paddingMode(PaddingMode.REFLECT).build(), true));
    }

    private static Map<String, Im2colBackend> backends() {
        return Map.of("default", new Im2colBackend(),
                "all native", new Im2colBackend(Workspace.DEFAULT_LIMIT_BYTES, 0),
                "bands of a minimum workspace", new Im2colBackend(Workspace.MIN_LIMIT_BYTES, 0));
    }

    @TestFactory
    Stream<DynamicTest> singleGradientsAreThoseOfTheFullBackwardAndNeedNoOtherOperand() {
        return SingleGradients.tests(backends(), cases(), b -> b::gradients);
    }
}
