package org.conv4j.onednn;

import org.conv4j.api.Conv3d;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvPass;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor5D;
import org.conv4j.naive.NaiveBackend;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 3D passes on native tensors in place ({@link OnednnBackend#takesInPlace3d}): oneDNN reads the caller's input and
 * {@code dL/dy} and writes the output and {@code dL/dx} where they are. What shows that no staging copy is made: the
 * in-place plans size no staging buffer (and, for NDHWC, no buffer for any activation: no reorder), and a fresh
 * backend's context holds exactly those plans' buffers after the call, so the call took nothing else. Results are
 * checked against the naive reference here on one U-Net-like layer; {@link Volumes3d} and {@link Fuzz3d} (child JVMs)
 * run the in-place paths on many more layers.
 */
class InPlace3dTest {

    private static final float TOLERANCE = 1e-4f;

    private final Conv3dParams params = Conv3dParams.builder().padding(1).build();
    private final Tensor5D x = Tensor5D.random(1, 2, 16, 6, 8, 7);
    private final Tensor5D w = Tensor5D.random(2, 16, 16, 3, 3, 3);
    private final float[] bias = bias(16);
    private final Conv3dShape shape = Conv3dShape.forward(x, w, bias, params);
    private final Tensor5D dy = Tensor5D.random(3, 2, 16, 6, 8, 7);
    private final Conv3d.OnBackend naive = Conv3d.on(new NaiveBackend());

    private static float[] bias(int k) {
        float[] b = new float[k];
        for (int i = 0; i < k; i++) {
            b[i] = 0.125f * i - 1f;
        }
        return b;
    }

    /** Runs {@code call} on a new backend (its own context pool) and returns the bytes its idle context then holds. */
    private static long idleBytesAfter(Consumer<OnednnBackend> call) {
        OnednnBackend fresh = new OnednnBackend();
        call.accept(fresh);
        return fresh.idleBytes();
    }

    private static long sum(long[] slotBytes) {
        return Arrays.stream(slotBytes).sum();
    }

    private static void assertClose(String what, Tensor5D expected, Tensor5D actual) {
        float scale = Math.max(1e-3f, expected.maxAbs());
        float diff = expected.maxAbsDiff(actual);
        assertTrue(diff <= TOLERANCE * scale, what + ": largest difference " + diff + ", scale " + scale);
    }

    @Test
    void nativeOperandsOfOneLayoutAreTakenInPlace() {
        OnednnBackend onednn = new OnednnBackend();
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor5D xn = x.toNative(layout); Tensor5D dyn = dy.toNative(layout)) {
                for (ConvPass pass : new ConvPass[] {ConvPass.BACKWARD, ConvPass.INPUT_GRADIENT,
                    ConvPass.WEIGHT_GRADIENT}) {
                    assertTrue(onednn.takesInPlace3d(shape, pass, xn, w, dyn), layout + " " + pass);
                }
                assertTrue(onednn.takesInPlace3d(shape, ConvPass.FORWARD, xn, w, dyn), layout + " forward");
                // heap operands, mixed storages and mixed layouts go through heap NCDHW copies
                assertFalse(onednn.takesInPlace3d(shape, ConvPass.FORWARD, x, w, dyn), layout + " heap input");
                assertFalse(onednn.takesInPlace3d(shape, ConvPass.BACKWARD, xn, w, dy), layout + " heap dL/dy");
                try (Tensor5D other = dy.toNative(layout == MemoryLayout.NCHW ? MemoryLayout.NHWC
                        : MemoryLayout.NCHW)) {
                    assertFalse(onednn.takesInPlace3d(shape, ConvPass.BACKWARD, xn, w, other), layout + " mixed");
                }
            }
        }
    }

    @Test
    void forwardWritesTheCallersNativeOutputWithoutStaging() {
        Tensor5D expected = naive.forward(x, w, bias, params);
        for (MemoryLayout layout : MemoryLayout.values()) {
            long[] slots = OnednnBackend.inPlaceSlotBytes(shape, ConvPass.FORWARD, true, layout);
            assertEquals(0, slots[ForwardPlan.STAGE], layout + ": a staging buffer");
            if (layout == MemoryLayout.NHWC) {
                assertEquals(0, slots[ForwardPlan.SRC], "ndhwc input reordered");
                assertEquals(0, slots[ForwardPlan.DST], "ndhwc output reordered");
            }
            try (Tensor5D xn = x.toNative(layout);
                 Tensor5D out = Tensor5D.allocateNative(layout, 2, 16, 6, 8, 7).fill(Float.NaN)) {
                long held = idleBytesAfter(b -> assertSame(out, Conv3d.on(b).forwardInto(xn, w, bias, params, out)));
                assertClose(layout + " forwardInto", expected, out);
                assertEquals(sum(slots), held, layout + ": the call took buffers beyond its in-place plan's");
                try (Tensor5D y = Conv3d.on(new OnednnBackend()).forward(xn, w, bias, params)) {
                    assertTrue(y.isNative());
                    assertEquals(layout, y.layout());
                    assertClose(layout + " forward", expected, y);
                }
            }
        }
    }

    @Test
    void gradientsReadAndWriteNativeTensorsWithoutStaging() {
        Conv3dGradients expected = naive.backward(x, w, dy, params);
        for (MemoryLayout layout : MemoryLayout.values()) {
            for (ConvPass pass : new ConvPass[] {ConvPass.BACKWARD, ConvPass.INPUT_GRADIENT,
                ConvPass.WEIGHT_GRADIENT}) {
                long[] slots = OnednnBackend.inPlaceSlotBytes(shape, pass, pass == ConvPass.BACKWARD, layout);
                assertEquals(0, slots[BackwardPlan.STAGE], layout + " " + pass + ": a staging buffer");
            }
            try (Tensor5D xn = x.toNative(layout); Tensor5D dyn = dy.toNative(layout)) {
                Conv3dGradients[] g = new Conv3dGradients[1];
                long held = idleBytesAfter(b -> g[0] = Conv3d.on(b).backward(xn, w, dyn, params));
                assertEquals(sum(OnednnBackend.inPlaceSlotBytes(shape, ConvPass.BACKWARD, true, layout)), held,
                        layout + ": the backward call took buffers beyond its in-place plan's");
                try (Tensor5D dx = g[0].input()) {
                    assertTrue(dx.isNative());
                    assertEquals(layout, dx.layout());
                    assertClose(layout + " dL/dx", expected.input(), dx);
                }
                assertClose(layout + " dL/dw", expected.weight(), g[0].weight());
                assertClose(layout + " dL/db", Tensor5D.wrap(expected.bias(), 1, 16, 1, 1, 1),
                        Tensor5D.wrap(g[0].bias(), 1, 16, 1, 1, 1));

                Tensor5D[] dx = new Tensor5D[1];
                held = idleBytesAfter(b -> dx[0] = Conv3d.on(b).inputGradient(xn, w, dyn, params));
                assertEquals(sum(OnednnBackend.inPlaceSlotBytes(shape, ConvPass.INPUT_GRADIENT, false, layout)), held,
                        layout + ": the input gradient took buffers beyond its in-place plan's");
                assertTrue(dx[0].isNative());
                assertEquals(layout, dx[0].layout());
                assertClose(layout + " inputGradient", expected.input(), dx[0]);
                dx[0].close();

                Tensor5D[] dw = new Tensor5D[1];
                held = idleBytesAfter(b -> dw[0] = Conv3d.on(b).weightGradient(xn, w, dyn, params));
                assertEquals(sum(OnednnBackend.inPlaceSlotBytes(shape, ConvPass.WEIGHT_GRADIENT, false, layout)), held,
                        layout + ": the weight gradient took buffers beyond its in-place plan's");
                assertClose(layout + " weightGradient", expected.weight(), dw[0]);
            }
        }
    }

    @Test
    void ndhwcKernelsAreNotReferenceKernels() {
        String kernels = OnednnBackend.inPlaceImplementations(shape, MemoryLayout.NHWC);
        assertFalse(kernels.contains("ref"), kernels);
        long[] backward = OnednnBackend.inPlaceSlotBytes(shape, ConvPass.BACKWARD, true, MemoryLayout.NHWC);
        assertEquals(0, backward[BackwardPlan.SRC] + backward[BackwardPlan.DIFF_DST] + backward[BackwardPlan.DIFF_SRC],
                "ndhwc activations reordered in the backward pass: " + kernels);
    }

    @Test
    void anOutputOverTheInputIsComputedThroughCopies() {
        // 16 -> 16 channels, padding 1: the output has the input's shape, so the input can be passed as the output
        Tensor5D expected = naive.forward(x, w, bias, params);
        OnednnBackend onednn = new OnednnBackend();
        for (MemoryLayout layout : MemoryLayout.values()) {
            try (Tensor5D xn = x.toNative(layout)) {
                assertFalse(onednn.takesInPlace3d(shape, ConvPass.FORWARD, xn, w, xn), layout + ": the same tensor");
                assertSame(xn, Conv3d.on(onednn).forwardInto(xn, w, bias, params, xn));
                assertClose(layout + " output over the input", expected, xn);
            }
        }
    }

    @Test
    void buffersInTheOtherByteOrderAreConvertedInstead() {
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN
                : ByteOrder.LITTLE_ENDIAN;
        Tensor5D xo = Tensor5D.wrap(ByteBuffer.allocateDirect(4 * x.size()).order(other).asFloatBuffer(),
                Tensor5D.NDHWC, null, 2, 16, 6, 8, 7).copyFrom(x);
        OnednnBackend onednn = new OnednnBackend();
        try (Tensor5D out = Tensor5D.allocateNative(Tensor5D.NDHWC, 2, 16, 6, 8, 7)) {
            assertFalse(onednn.takesInPlace3d(shape, ConvPass.FORWARD, xo, w, out));
            Conv3d.on(onednn).forwardInto(xo, w, bias, params, out);
            assertClose("other byte order", naive.forward(x, w, bias, params), out);
        }
    }
}
