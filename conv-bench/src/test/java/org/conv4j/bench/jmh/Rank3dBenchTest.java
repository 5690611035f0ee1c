package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor5D;
import org.junit.jupiter.api.Test;

/** {@link Rank3dBench}'s storages compute the same passes: native tensors give the heap tensors' results. */
class Rank3dBenchTest {

    private static Rank3dBench bench(String storage, ConvPass pass) {
        Rank3dBench b = new Rank3dBench();
        b.layer = "unet3d-down-16to32";
        b.backend = "onednn";
        b.storage = storage;
        b.setup(pass);
        return b;
    }

    @Test
    void nativeStoragesGiveTheHeapResults() {
        Rank3dBench heap = bench("heap-ncdhw", ConvPass.FORWARD);
        Tensor5D expected = heap.forward().copy();
        Conv3dGradients g = bench("heap-ncdhw", ConvPass.BACKWARD).backward();
        for (String storage : new String[] {"native-ncdhw", "native-ndhwc"}) {
            Rank3dBench forward = bench(storage, ConvPass.FORWARD);
            Tensor5D y = forward.forward();
            assertTrue(y.isNative(), storage);
            assertEquals(storage.endsWith("ndhwc") ? Tensor5D.NDHWC : Tensor5D.NCDHW, y.layout(), storage);
            assertTrue(expected.maxAbsDiff(y) <= 1e-4f * expected.maxAbs(), storage + " forward");
            forward.tearDown();
            Rank3dBench backward = bench(storage, ConvPass.BACKWARD);
            Conv3dGradients n = backward.backward();
            assertTrue(g.weight().maxAbsDiff(n.weight()) <= 1e-4f * g.weight().maxAbs(), storage + " dL/dw");
            backward.tearDown();
        }
    }

    @Test
    void anUnknownStorageIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bench("native-nchw", ConvPass.FORWARD));
        assertTrue(e.getMessage().startsWith("storage: expected"), e.getMessage());
    }
}
