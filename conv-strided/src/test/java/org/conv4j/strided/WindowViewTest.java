package org.conv4j.strided;

import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.testkit.ConvCase;
import org.conv4j.testkit.ConvCases;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.NativeFloats;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WindowViewTest {

    private static List<ConvCase> cases() {
        List<ConvCase> all = new ArrayList<>(ConvCases.edgeCases());
        all.addAll(ConvCases.sweep(77, 200));
        return all;
    }

    @Test
    void windowStridesFollowTheFormula() {
        ConvShape s = ConvShape.forward(Tensor4D.zeros(2, 3, 10, 12), Tensor4D.zeros(4, 3, 3, 2), null,
                ConvParams.builder().stride(2, 3).dilation(2, 1).padding(1, 2, 3, 0).build());
        WindowView v = WindowView.windows(s);
        long hp = 13, wp = 15;
        assertArrayEquals(new long[] {2, 3, s.outH(), s.outW(), 3, 2}, v.shape());
        assertArrayEquals(new long[] {3 * hp * wp, hp * wp, 2 * wp, 3, 2 * wp, 1}, v.stride());
        assertEquals(0, v.offset());
    }

    /** Every element of the 6-D view is the padded input tap the convolution sum reads. */
    @Test
    void windowElementIsThePaddedTap() {
        for (ConvCase c : cases()) {
            ConvShape s = c.shape();
            ConvParams p = s.params();
            WindowView v = WindowView.windows(s);
            long hp = s.paddedH(), wp = s.paddedW();
            for (int n = 0; n < s.batch(); n++) {
                for (int ch = 0; ch < s.inChannels(); ch++) {
                    for (int oh = 0; oh < s.outH(); oh++) {
                        for (int ow = 0; ow < s.outW(); ow++) {
                            for (int i = 0; i < s.kernelH(); i++) {
                                for (int j = 0; j < s.kernelW(); j++) {
                                    long expected = ((n * (long) s.inChannels() + ch) * hp + oh * p.strideH()
                                            + i * p.dilationH()) * wp + ow * p.strideW() + j * p.dilationW();
                                    assertEquals(expected, v.elementOffset(n, ch, oh, ow, i, j), c::toString);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The closed-form extent equals the brute-force maximum, and every convolution's view fits its buffer. */
    @Test
    void extentIsTheLargestReachableElementAndConvolutionViewsFit() {
        for (ConvCase c : cases()) {
            ConvShape s = c.shape();
            WindowView v = WindowView.windows(s);
            long[] shape = v.shape();
            long max = -1;
            long[] idx = new long[6];
            for (long e = 0; e < product(shape); e++) {
                long rest = e;
                for (int a = 5; a >= 0; a--) {
                    idx[a] = rest % shape[a];
                    rest /= shape[a];
                }
                max = Math.max(max, v.elementOffset(idx));
            }
            assertEquals(max, v.maxReachableOffset(), c::toString);
            v.checkFits(WindowView.paddedLength(s));
            long image = s.inChannels() * s.paddedH() * s.paddedW();
            for (int g = 0; g < s.groups(); g++) {
                // a group's windows stay inside its own channels of one image
                long groupEnd = (g + 1L) * s.inChannelsPerGroup() * s.paddedH() * s.paddedW();
                assertTrue(WindowView.groupWindows(s, g).checkFits(image).maxReachableOffset() < groupEnd, c::toString);
                // every tap matrix stays inside its own phase and group (the phase layout is xpad at stride 1)
                long phasePlane = WindowView.phaseH(s) * WindowView.phaseW(s);
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        WindowView tap = WindowView.tapMatrix(s, g, i, j).checkFits(WindowView.phaseImageLength(s));
                        long phase = (i * (long) s.params().dilationH() % s.params().strideH()) * s.params().strideW()
                                + j * (long) s.params().dilationW() % s.params().strideW();
                        long blockStart = (phase * s.inChannels() + (long) g * s.inChannelsPerGroup()) * phasePlane;
                        assertTrue(tap.offset() >= blockStart, c::toString);
                        assertTrue(tap.maxReachableOffset() < blockStart + s.inChannelsPerGroup() * phasePlane,
                                c::toString);
                    }
                }
                if (!s.params().isStrided()) {
                    // the last tap's matrix ends exactly on the group's last element: no slack, no overrun
                    assertEquals(groupEnd - 1, WindowView.tapMatrix(s, g, s.kernelH() - 1, s.kernelW() - 1)
                            .maxReachableOffset(), c::toString);
                }
            }
        }
    }

    /** Every column of a tap matrix with {@code ow < outW} reads, in the phase layout, the padded tap. */
    @Test
    void tapMatrixColumnsAreTheTapsInThePhaseLayout() {
        for (ConvCase c : cases()) {
            ConvShape s = c.shape();
            ConvParams p = s.params();
            long hq = WindowView.phaseH(s), wq = WindowView.phaseW(s);
            for (int g = 0; g < s.groups(); g++) {
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        WindowView tap = WindowView.tapMatrix(s, g, i, j);
                        int cl = s.inChannelsPerGroup() - 1;
                        int oh = s.outH() - 1;
                        int ow = s.outW() / 2;
                        long ph = (long) oh * p.strideH() + (long) i * p.dilationH();
                        long pw = (long) ow * p.strideW() + (long) j * p.dilationW();
                        long expected = ((((ph % p.strideH()) * p.strideW() + pw % p.strideW()) * s.inChannels()
                                + (long) g * s.inChannelsPerGroup() + cl) * hq + ph / p.strideH()) * wq + pw / p.strideW();
                        assertEquals(expected, tap.elementOffset(cl, (long) oh * wq + ow), c::toString);
                    }
                }
            }
        }
    }

    private static long product(long[] a) {
        long p = 1;
        for (long v : a) {
            p *= v;
        }
        return p;
    }

    @Test
    void misSizedRequestFailsBeforeAnyRead() {
        // the 3x3 worked example: 2x2 windows of a 3x3 image need all 9 elements
        WindowView ok = new WindowView(new long[] {2, 2, 2, 2}, new long[] {3, 1, 3, 1}, 0);
        assertEquals(8, ok.maxReachableOffset());
        ok.checkFits(9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ok.checkFits(8));
        assertTrue(e.getMessage().contains("view") && e.getMessage().contains("expected a buffer of at least 9")
                && e.getMessage().contains("got 8"), e.getMessage());
        // one window too many (a wrong output size), and a wrong stride (numpy's junk-reading mistake)
        assertThrows(IllegalArgumentException.class,
                () -> new WindowView(new long[] {3, 2, 2, 2}, new long[] {3, 1, 3, 1}, 0).checkFits(9));
        assertThrows(IllegalArgumentException.class,
                () -> new WindowView(new long[] {2, 2, 2, 2}, new long[] {4, 1, 3, 1}, 0).checkFits(9));
        assertThrows(IllegalArgumentException.class,
                () -> new WindowView(new long[] {2, 2, 2, 2}, new long[] {3, 1, 3, 1}, 1).checkFits(9));
        // overflowing extents and nonsense geometry are rejected too
        assertThrows(IllegalArgumentException.class,
                () -> new WindowView(new long[] {Long.MAX_VALUE}, new long[] {2}, 0).maxReachableOffset());
        assertThrows(IllegalArgumentException.class, () -> new WindowView(new long[] {2}, new long[] {-1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new WindowView(new long[] {0}, new long[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> new WindowView(new long[] {2}, new long[] {1}, -1));
        assertThrows(IllegalArgumentException.class, () -> new WindowView(new long[] {2, 2}, new long[] {1}, 0));
    }

    @Test
    void kernelsRefuseAViewThatDoesNotFit() {
        ConvShape s = ConvShape.forward(Tensor4D.zeros(1, 2, 6, 6), Tensor4D.zeros(1, 2, 3, 3), null, ConvParams.DEFAULT);
        WindowView v = WindowView.groupWindows(s, 0);
        FloatBuffer col = FloatBuffer.allocate(2 * 9 * 16);
        float[] tooShort = new float[2 * 36 - 1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StridedKernels.gatherWindows(tooShort, v, col, 0));
        assertTrue(e.getMessage().startsWith("view: expected a buffer of at least 72"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> StridedKernels.scatterAddWindows(new float[2 * 9 * 16], 0, v, tooShort));
        // a column matrix that does not fit its buffer at the offset
        assertThrows(IllegalArgumentException.class,
                () -> StridedKernels.gatherWindows(new float[72], v, FloatBuffer.allocate(2 * 9 * 16 - 1), 0));
        assertThrows(IllegalArgumentException.class,
                () -> StridedKernels.gatherWindows(new float[72], v, col, 1));
    }

    /** The premise of the zero-copy path: BLAS multiplies a matrix VIEW (offset, leading dimension) in place. */
    @Test
    void gemmOnAViewMultipliesInPlace() {
        // A (2x2) times the 2x3 view at offset 1 with row stride 4 of b = 0..7: rows {1,2,3} and {5,6,7}
        try (NativeFloats a = NativeFloats.allocate(4);
             NativeFloats b = NativeFloats.allocate(8);
             NativeFloats c = NativeFloats.allocate(6)) {
            a.copyFrom(new float[] {1, 2, 3, 4}, 0, 0, 4);
            b.copyFrom(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 0, 0, 8);
            WindowView view = new WindowView(new long[] {2, 3}, new long[] {4, 1}, 1).checkFits(8);
            Gemm.sgemm(false, false, 2, 3, 2, 1f, a, 0, 2, b, view.offset(), (int) view.stride()[0], 0f, c, 0, 3);
            float[] out = new float[6];
            c.copyTo(0, out, 0, 6);
            assertArrayEquals(new float[] {11, 14, 17, 23, 30, 37}, out);
        }
    }

    /** ND4J's as_strided counterpart sees the same elements as our geometry, and gets the same safety check. */
    @Test
    void nd4jViewMatchesTheGeometryAndIsChecked() {
        ConvShape s = ConvShape.forward(Tensor4D.zeros(2, 3, 7, 9), Tensor4D.zeros(2, 3, 3, 2), null,
                ConvParams.builder().stride(2, 1).dilation(1, 3).padding(1).build());
        long len = WindowView.paddedLength(s);
        float[] data = new float[(int) len];
        for (int e = 0; e < data.length; e++) {
            data[e] = e;
        }
        DataBuffer buffer = Nd4j.createBuffer(data);
        WindowView v = WindowView.windows(s);
        INDArray view = Nd4jWindowViews.create(buffer, v);
        assertArrayEquals(v.shape(), view.shape());
        long[] shape = v.shape();
        for (int n = 0; n < shape[0]; n++) {
            for (int c = 0; c < shape[1]; c++) {
                for (int oh = 0; oh < shape[2]; oh++) {
                    for (int ow = 0; ow < shape[3]; ow++) {
                        for (int i = 0; i < shape[4]; i++) {
                            for (int j = 0; j < shape[5]; j++) {
                                assertEquals((float) v.elementOffset(n, c, oh, ow, i, j),
                                        view.getFloat(new long[] {n, c, oh, ow, i, j}));
                            }
                        }
                    }
                }
            }
        }
        DataBuffer shortBuffer = Nd4j.createBuffer(new float[(int) len - 1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Nd4jWindowViews.create(shortBuffer, v));
        assertTrue(e.getMessage().contains("expected a buffer of at least " + len) && e.getMessage().contains("got " + (len - 1)),
                e.getMessage());
    }
}
