package org.conv4j.strided;

import org.conv4j.api.ConvParams;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Workspace;
import org.conv4j.strided.StridedBackend.Path;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.SingleGradients;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code inputGradient} and {@code weightGradient} alone give exactly the tensors of the full backward pass, on
 * every path (zero-copy, gathered, the heap; whole images and bands of a small workspace), with groups, strides,
 * dilation and a padding mode ({@link SingleGradients}).
 */
class SingleGradientTest {

    private static final ConvParams PAD1 = ConvParams.builder().padding(1).build();

    private static List<ConvCase> cases() {
        return List.of(
                new ConvCase("zero-copy: 3x3 pad 1, batch 2", 1, 2, 32, 12, 11, 24, 3, 3, PAD1, true),
                new ConvCase("zero-copy: groups 2, dilation, asymmetric padding", 2, 1, 40, 10, 7, 6, 3, 2,
                        ConvParams.builder().groups(2).dilation(2, 1).padding(2, 0, 1, 3).build(), true),
                new ConvCase("gathered: stride 2", 3, 2, 8, 15, 13, 12, 3, 3, PAD1.toBuilder().stride(2).build(), true),
                new ConvCase("gathered: few channels", 4, 2, 3, 14, 12, 16, 3, 3, PAD1, true),
                new ConvCase("heap: one 2x2 filter on one channel", 5, 2, 1, 90, 80, 1, 2, 2, ConvParams.DEFAULT, true),
                new ConvCase("heap: depthwise 3x3, stride 2", 6, 1, 4, 41, 37, 4, 3, 3,
                        PAD1.toBuilder().groups(4).stride(2).build(), true),
                new ConvCase("replicate padding", 7, 2, 16, 10, 9, 16, 3, 3,
                        PAD1.toBuilder().paddingMode(PaddingMode.REPLICATE).build(), true));
    }

    private static Map<String, StridedBackend> backends() {
        return Map.of("default", new StridedBackend(),
                "bands of a minimum workspace", new StridedBackend(Workspace.MIN_LIMIT_BYTES),
                "bands of 24 KiB", new StridedBackend(24 << 10));
    }

    @Test
    void casesTakeEveryPath() {
        List<ConvCase> c = cases();
        assertEquals(Path.ZERO_COPY, StridedBackend.backwardPath(c.get(0).shape(), c.get(0).input(), c.get(0).weight()));
        assertEquals(Path.ZERO_COPY, StridedBackend.backwardPath(c.get(1).shape(), null, c.get(1).weight()));
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(c.get(2).shape(), c.get(2).input(), null));
        assertEquals(Path.GATHERED, StridedBackend.backwardPath(c.get(3).shape(), c.get(3).input(), c.get(3).weight()));
        assertTrue(StridedBackend.isThin(c.get(4).shape()) && StridedBackend.isThin(c.get(5).shape()));
    }

    @TestFactory
    Stream<DynamicTest> singleGradientsAreThoseOfTheFullBackwardAndNeedNoOtherOperand() {
        return SingleGradients.tests(backends(), cases(), b -> b::gradients);
    }
}
