package org.conv4j.naive;

import org.conv4j.api.Conv1d;
import org.conv4j.api.Conv1dGradients;
import org.conv4j.api.Conv1dParams;
import org.conv4j.api.Tensor3D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The static 1D facade, on the backend the selection picks (naive here), on worked examples. */
class Conv1dFacadeTest {

    @Test
    void forwardBackwardAndTransposedWorkedExamples() {
        Tensor3D x = Tensor3D.wrap(new float[] {1, 2, 3, 4}, 1, 1, 4);
        Tensor3D w = Tensor3D.wrap(new float[] {2, 1}, 1, 1, 2);
        Conv1dParams p = Conv1dParams.DEFAULT;
        // y[o] = 2*x[o] + x[o+1] + 0.5
        assertArrayEquals(new float[] {4.5f, 7.5f, 10.5f}, Conv1d.forward(x, w, new float[] {0.5f}, p).data());
        Tensor3D dy = Tensor3D.wrap(new float[] {1, 0, -1}, 1, 1, 3);
        Conv1dGradients g = Conv1d.backward(x, w, dy, p);
        // dx[i] = sum_o dy[o]*w[i-o]; dw[j] = sum_o dy[o]*x[o+j]; db = sum dy
        assertArrayEquals(new float[] {2, 1, -2, -1}, g.input().data());
        assertArrayEquals(new float[] {1 - 3, 2 - 4}, g.weight().data());
        assertArrayEquals(new float[] {0}, g.bias());
        assertEquals(g.input(), Conv1d.inputGradient(x, w, dy, p));
        assertEquals(g.weight(), Conv1d.weightGradient(x, w, dy, p));
        // transposed, stride 2: input i spreads to 2i + j
        Tensor3D t = Conv1d.transposedForward(Tensor3D.wrap(new float[] {1, 2}, 1, 1, 2),
                Tensor3D.wrap(new float[] {1, 10}, 1, 1, 2), null, Conv1dParams.builder().stride(2).build());
        assertArrayEquals(new float[] {1, 10, 2, 20}, t.data());
    }

    @Test
    void nativeChannelsLastInputGivesANativeChannelsLastOutput() {
        Tensor3D x = Tensor3D.random(1, 2, 3, 11);
        Tensor3D w = Tensor3D.random(2, 4, 3, 3);
        Conv1dParams p = Conv1dParams.builder().padding(1).build();
        Tensor3D expected = Conv1d.forward(x, w, null, p);
        try (Tensor3D xn = x.toNative(Tensor3D.NWC); Tensor3D y = Conv1d.forward(xn, w, null, p)) {
            assertTrue(y.isNative());
            assertEquals(Tensor3D.NWC, y.layout());
            assertEquals(expected, y.toHeap().toLayout(Tensor3D.NCW));
            Tensor3D into = Tensor3D.allocateNative(Tensor3D.NWC, 2, 4, 11);
            assertEquals(expected, Conv1d.forwardInto(xn, w, null, p, into));
            into.close();
        }
    }
}
