package org.conv4j.onednn;

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
 * {@code inputGradient} (backward-data alone) and {@code weightGradient} (backward-weights alone) give exactly
 * the tensors of the full backward pass, with the {@code nhwc} and {@code any} layouts, groups, strides,
 * dilation, a padding mode, and in parts of one image ({@link SingleGradients}).
 */
class SingleGradientTest {

    private static final ConvParams PAD1 = ConvParams.builder().padding(1).build();

    private static List<ConvCase> cases() {
        return List.of(
                new ConvCase("3x3 pad 1 (nhwc), batch 3", 1, 3, 16, 12, 11, 24, 3, 3, PAD1, true),
                new ConvCase("groups 2, stride 2, dilation, asymmetric padding", 2, 2, 8, 15, 13, 12, 3, 2,
                        ConvParams.builder().groups(2).stride(2, 1).dilation(1, 2).padding(1, 0, 2, 1).build(), true),
                new ConvCase("1x1", 3, 2, 32, 9, 10, 16, 1, 1, ConvParams.DEFAULT, true),
                new ConvCase("depthwise 3x3", 5, 2, 4, 20, 18, 4, 3, 3, PAD1.toBuilder().groups(4).build(), true),
                new ConvCase("reflect padding", 7, 2, 8, 10, 9, 16, 3, 3,
                        PAD1.toBuilder().paddingMode(PaddingMode.REFLECT).build(), true));
    }

    private static Map<String, OnednnBackend> backends() {
        return Map.of("default", new OnednnBackend(),
                "parts of one image", new OnednnBackend(Workspace.MIN_LIMIT_BYTES));
    }

    @TestFactory
    Stream<DynamicTest> singleGradientsAreThoseOfTheFullBackwardAndNeedNoOtherOperand() {
        return SingleGradients.tests(backends(), cases(), b -> b::gradients);
    }
}
