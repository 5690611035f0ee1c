package org.conv4j.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 1D facade hands the backend the height-1 views themselves and returns views of its results: no copy. */
class Conv1dTest {

    /** Records what it is given; returns preset height-1 results. */
    private static final class Recording implements ConvBackend {
        final List<Object> seen = new ArrayList<>();
        final Tensor4D result = Tensor4D.zeros(MemoryLayout.NHWC, 2, 4, 1, 6);
        final ConvGradients gradients = new ConvGradients(Tensor4D.zeros(2, 3, 1, 8), Tensor4D.zeros(4, 3, 1, 3),
                new float[4]);

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
            seen.addAll(List.of(input, weight, params));
            return result;
        }

        @Override
        public Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                    Tensor4D output) {
            seen.addAll(List.of(input, weight, params, output));
            return output;
        }

        @Override
        public ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
            seen.addAll(List.of(input, weight, gradOutput, params));
            return gradients;
        }
    }

    @Test
    void operandsAndResultsAreViewsNotCopies() {
        Recording backend = new Recording();
        Conv1d.OnBackend conv = Conv1d.on(backend);
        Tensor3D x = Tensor3D.zeros(Tensor3D.NWC, 2, 3, 8);
        Tensor3D w = Tensor3D.zeros(4, 3, 3);
        Tensor3D dy = Tensor3D.zeros(2, 4, 6);
        Conv1dParams p = Conv1dParams.builder().stride(1).build();

        Tensor3D y = conv.forward(x, w, null, p);
        assertSame(backend.result, y.asTensor4D());
        assertEquals(List.of(x.asTensor4D(), w.asTensor4D(), p.toConvParams()), backend.seen);
        assertSame(x.asTensor4D(), backend.seen.get(0));
        assertSame(w.asTensor4D(), backend.seen.get(1));

        backend.seen.clear();
        Tensor3D out = Tensor3D.zeros(2, 4, 6);
        assertSame(out, conv.forwardInto(x, w, null, p, out));
        assertSame(out.asTensor4D(), backend.seen.get(3));

        backend.seen.clear();
        Conv1dGradients g = conv.backward(x, w, dy, p);
        assertSame(dy.asTensor4D(), backend.seen.get(2));
        assertSame(backend.gradients.input(), g.input().asTensor4D());
        assertSame(backend.gradients.weight(), g.weight().asTensor4D());
        assertSame(backend.gradients.bias(), g.bias());
        assertEquals("conv1d on recording", conv.toString());
    }

    @Test
    void theGeometryIsTheHeightOneConvolution() {
        ConvShape s = Conv1d.shape(Tensor3D.zeros(2, 6, 50), Tensor3D.zeros(4, 3, 5), new float[4],
                Conv1dParams.builder().stride(2).padding(1, 3).dilation(2).groups(2).build());
        assertEquals(1, s.outH());
        assertEquals((50 + 1 + 3 - ((5 - 1) * 2 + 1)) / 2 + 1, s.outW());
        assertEquals(new ConvAxis(50, 5, 2, 1, 3, 2, s.outW()), s.cols());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv1d.shape(Tensor3D.zeros(1, 2, 4), Tensor3D.zeros(1, 2, 5), null, Conv1dParams.DEFAULT));
        assertTrue(e.getMessage().startsWith("weight: expected a kernel width no larger than the padded input width 4"),
                e.getMessage());
        NullPointerException npe = assertThrows(NullPointerException.class,
                () -> Conv1d.shape(null, Tensor3D.zeros(1, 2, 5), null, Conv1dParams.DEFAULT));
        assertTrue(npe.getMessage().contains("input"), npe.getMessage());
    }
}
