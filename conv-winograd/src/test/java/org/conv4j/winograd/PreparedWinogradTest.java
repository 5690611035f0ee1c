package org.conv4j.winograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.PreparedCalls;
import org.conv4j.spi.WorkspaceBudget;
import org.junit.jupiter.api.Test;

/** {@link PreparedWinograd}: the kernels transformed once give what the plain forward pass gives. */
class PreparedWinogradTest {

    private static final ConvParams PAD = ConvParams.builder().padding(1, 0, 2, 1).build();

    private static WinogradBackend only(TileSize t) {
        return new WinogradBackend(Workspace.defaultLimitBytes(), List.of(t), WinogradTuning.MAX_CHUNK_TILES, 1);
    }

    private static void assertClose(Tensor4D expected, Tensor4D actual, String what) {
        float bound = 1e-6f * Math.max(1f, expected.maxAbs());
        float diff = actual.maxAbsDiff(expected);
        assertTrue(diff <= bound, what + ": differs by " + diff + ", allowed " + bound);
    }

    @Test
    void preparedEqualsPlainForEveryTileSizeStorageAndLayout() {
        Tensor4D x = Tensor4D.random(1, 2, 16, 19, 23);
        Tensor4D w = Tensor4D.random(2, 24, 16, 3, 3);
        float[] bias = Tensor4D.random(3, 1, 1, 1, 24).data();
        for (TileSize t : TileSize.values()) {
            WinogradBackend b = only(t);
            Tensor4D expected = b.forward(x, w, bias, PAD);
            try (PreparedConvolution p = b.prepareForward(ConvShape.forward(x, w, bias, PAD), w, bias)) {
                assertInstanceOf(PreparedWinograd.class, p);
                assertClose(expected, p.forward(x), t + " heap NCHW");
                assertClose(expected, p.forward(x.toLayout(MemoryLayout.NHWC)), t + " heap NHWC");
                try (Tensor4D nx = x.toNative(MemoryLayout.NHWC);
                     Tensor4D ny = Tensor4D.allocateNative(MemoryLayout.NHWC, 2, 24, expected.h(), expected.w())) {
                    assertClose(expected, p.forwardInto(nx, ny), t + " native NHWC");
                }
                // repeated calls reuse the transformed kernels
                assertClose(expected, p.forward(x), t + " again");
            }
        }
    }

    @Test
    void newWeightsAndNonFiniteValuesGiveThePlainResults() {
        WinogradBackend b = new WinogradBackend();
        Tensor4D x = Tensor4D.random(4, 1, 32, 12, 12);
        Tensor4D w = Tensor4D.random(5, 32, 32, 3, 3);
        try (PreparedConvolution p = b.prepareForward(ConvShape.forward(x, w, null, PAD), w, null)) {
            Tensor4D w2 = Tensor4D.random(6, 32, 32, 3, 3);
            p.setWeights(w2, null);
            assertClose(b.forward(x, w2, null, PAD), p.forward(x), "after setWeights");
            Tensor4D xn = x.copy();
            xn.data()[5 * 12 + 7] = Float.NaN;
            Tensor4D expected = b.forward(xn, w2, null, PAD);
            Tensor4D actual = p.forward(xn);
            for (int i = 0; i < expected.data().length; i++) {
                assertEquals(Float.isNaN(expected.data()[i]), Float.isNaN(actual.data()[i]), "NaN at " + i);
            }
            Tensor4D wn = w2.copy();
            wn.data()[3] = Float.POSITIVE_INFINITY;
            p.setWeights(wn, null);
            Tensor4D e2 = b.forward(x, wn, null, PAD);
            Tensor4D a2 = p.forward(x);
            for (int i = 0; i < e2.data().length; i++) {
                assertEquals(Float.floatToIntBits(e2.data()[i]), Float.floatToIntBits(a2.data()[i]), "at " + i);
            }
        }
    }

    @Test
    void concurrentCallsGiveTheSerialResults() throws Exception {
        WinogradBackend b = new WinogradBackend();
        Tensor4D w = Tensor4D.random(7, 32, 32, 3, 3);
        List<Tensor4D> inputs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            inputs.add(Tensor4D.random(10 + i, 1, 32, 14, 14));
        }
        try (PreparedConvolution p = b.prepareForward(ConvShape.forward(inputs.get(0), w, null, PAD), w, null)) {
            List<Tensor4D> serial = new ArrayList<>();
            for (Tensor4D x : inputs) {
                serial.add(p.forward(x));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Tensor4D>> futures = new ArrayList<>();
                for (Tensor4D x : inputs) {
                    futures.add(pool.submit(() -> p.forward(x)));
                }
                for (int i = 0; i < inputs.size(); i++) {
                    assertEquals(0f, futures.get(i).get().maxAbsDiff(serial.get(i)), "input " + i);
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void theTransformedKernelsAreGrantedUntilClose() {
        WinogradBackend b = new WinogradBackend();
        Tensor4D x = Tensor4D.random(8, 1, 64, 8, 8);
        Tensor4D w = Tensor4D.random(9, 64, 64, 3, 3);
        long before = WorkspaceBudget.global().grantedBytes();
        PreparedConvolution p = b.prepareForward(ConvShape.forward(x, w, null, PAD), w, null);
        assertTrue(WorkspaceBudget.global().grantedBytes() >= before + 64L * 64 * 16 * Float.BYTES,
                "the transformed kernels are counted");
        p.close();
        assertEquals(before, WorkspaceBudget.global().grantedBytes());
        assertThrows(IllegalStateException.class, () -> p.forward(x));
        assertThrows(IllegalStateException.class, () -> p.setWeights(w, null));
        p.close(); // twice: nothing
    }

    @Test
    void shapesWinogradDoesNotRunGetTheDefaultPreparation() {
        WinogradBackend b = new WinogradBackend();
        Tensor4D x = Tensor4D.random(11, 1, 32, 10, 10);
        Tensor4D w = Tensor4D.random(12, 32, 32, 3, 3);
        ConvParams strided = ConvParams.builder().stride(2).build();
        try (PreparedConvolution p = b.prepareForward(ConvShape.forward(x, w, null, strided), w, null)) {
            assertInstanceOf(PreparedCalls.class, p);
            assertClose(b.forward(x, w, null, strided), p.forward(x), "strided");
        }
    }
}
