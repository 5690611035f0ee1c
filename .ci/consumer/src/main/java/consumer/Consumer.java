package consumer;

import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A user's program against conv4j's public API: both backends on the class path load (their natives
 * included), agree with each other forward and backward, and the facade runs.
 */
public final class Consumer {

    public static void main(String[] args) {
        List<String> names = Conv2d.backends().stream().map(ConvBackend::name).collect(Collectors.toList());
        System.out.println("backends: " + names);
        require(names.contains("im2col") && names.contains("onednn"), "im2col and onednn expected, got " + names);

        Tensor4D x = Tensor4D.random(1, 2, 8, 20, 20);
        Tensor4D w = Tensor4D.random(2, 16, 4, 3, 3);
        float[] b = new float[16];
        ConvParams p = ConvParams.builder().stride(2).padding(1).groups(2).build();

        Tensor4D yIm2col = Conv2d.backend("im2col").forward(x, w, b, p);
        Tensor4D yOnednn = Conv2d.backend("onednn").forward(x, w, b, p);
        require(yIm2col.hasShape(2, 16, 10, 10), "output shape " + yIm2col.shapeString());
        require(yIm2col.maxAbsDiff(yOnednn) < 1e-4f, "forward: im2col and onednn differ by " + yIm2col.maxAbsDiff(yOnednn));

        ConvGradients gIm2col = Conv2d.backend("im2col").backward(x, w, yIm2col, p);
        ConvGradients gOnednn = Conv2d.backend("onednn").backward(x, w, yIm2col, p);
        require(gIm2col.weight().maxAbsDiff(gOnednn.weight()) < 1e-3f * gIm2col.weight().maxAbs(), "dL/dw differs");
        require(gIm2col.input().maxAbsDiff(gOnednn.input()) < 1e-3f * gIm2col.input().maxAbs(), "dL/dx differs");

        Tensor4D y = Conv2d.forward(x, w, b, p);
        require(y.maxAbsDiff(yIm2col) < 1e-4f, "facade differs");
        System.out.println(Conv2d.plan(ConvShape.forward(x, w, b, p), ConvPass.FORWARD));
        System.out.println("consumer check passed");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
