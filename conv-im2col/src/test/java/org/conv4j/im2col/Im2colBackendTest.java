package org.conv4j.im2col;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.nd4j.Nd4jInterop;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.Agreement;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Im2colBackendTest {

    @Test
    void isRegisteredUnderItsName() {
        assertEquals("im2col", Conv2d.backend("im2col").name());
        assertTrue(Conv2d.backend("im2col") instanceof Im2colBackend);
        assertEquals(Workspace.defaultLimitBytes(), new Im2colBackend().workspaceBytes());
    }

    @Test
    void agreesWithNd4jsOwnConv2dThroughTheInteropHelpers() {
        // A user holding INDArrays: convert, convolve, convert back, and compare with ND4J's conv2d.
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 5, 17, 13).subi(0.5);
        INDArray wYxio = Nd4j.rand(DataType.FLOAT, 3, 3, 5, 4).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, 4);
        Conv2DConfig cfg = Conv2DConfig.builder().kH(3).kW(3).sH(2).sW(1).pH(1).pW(1).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).build();
        INDArray expected = Nd4j.cnn().conv2d(x, wYxio, b, cfg);

        Tensor4D y = new Im2colBackend().forward(Nd4jInterop.toTensor(x), Nd4jInterop.fromYxioWeights(wYxio),
                b.toFloatVector(), ConvParams.builder().stride(2, 1).padding(1).build());
        INDArray actual = Nd4jInterop.toINDArray(y);
        assertEquals(expected.shapeInfoToString().replaceAll("Offset.*", ""),
                actual.shapeInfoToString().replaceAll("Offset.*", ""));
        Agreement.assertAgrees("im2col vs Nd4j.cnn().conv2d", "2x5x17x13 * 4x5x3x3, stride 2x1, pad 1",
                Nd4jInterop.toTensor(expected), y, 1e-5f);
    }
}
