package org.conv4j.api;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvAxisTest {

    /** Every small geometry: the tap ranges and the inverse agree with inputIndex element by element. */
    @Test
    void rangesAndInverseAgreeWithTheFormulaEverywhere() {
        int checked = 0;
        for (int in = 1; in <= 9; in++) {
            for (int kernel = 1; kernel <= 4; kernel++) {
                for (int stride = 1; stride <= 3; stride++) {
                    for (int dilation = 1; dilation <= 3; dilation++) {
                        for (int padBefore = 0; padBefore <= 3; padBefore++) {
                            for (int padAfter = 0; padAfter <= 2; padAfter++) {
                                if ((kernel - 1) * dilation + 1 > in + padBefore + padAfter) {
                                    continue;
                                }
                                int out = ConvShape.outputSize(in, kernel, stride, padBefore, padAfter, dilation);
                                check(new ConvAxis(in, kernel, stride, padBefore, padAfter, dilation, out));
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertTrue(checked > 1000, "geometries checked: " + checked);
    }

    private static void check(ConvAxis a) {
        for (int t = 0; t < a.kernel(); t++) {
            int first = a.firstOutput(t);
            int end = a.endOutput(t);
            assertTrue(0 <= first && first <= end && end <= a.out(), a + " tap " + t + ": [" + first + ", " + end + ")");
            for (int o = 0; o < a.out(); o++) {
                long pos = a.inputIndex(o, t);
                assertEquals((long) o * a.stride() - a.padBefore() + (long) t * a.dilation(), pos);
                assertEquals(a.contains(pos), first <= o && o < end, a + " tap " + t + " output " + o);
                assertEquals(o, a.outputFor(pos, t), a + " tap " + t + " output " + o);
            }
            for (long pos = -a.padBefore() - 2; pos < a.in() + a.padAfter() + 2; pos++) {
                int o = a.outputFor(pos, t);
                assertTrue(o == -1 || a.inputIndex(o, t) == pos, a + " tap " + t + " position " + pos);
            }
        }
    }

    @Test
    void tapRangesHandleHugeValuesWithoutOverflow() {
        // the tap's first input position inputIndex(0, tap) and the bound: 5 >= 0 at once; -5 + 2*3 >= 0;
        // -5 + 3*3 >= 4 (in = 4); capped at out when the bound is never reached within it
        assertEquals(0, new ConvAxis(9, 6, 3, 0, 0, 1, 10).firstOutput(5));
        assertEquals(2, new ConvAxis(4, 1, 3, 5, 0, 1, 10).firstOutput(0));
        assertEquals(3, new ConvAxis(4, 1, 3, 5, 0, 1, 10).endOutput(0));
        assertEquals(10, new ConvAxis(2_000_000_000, 1, 1, 2_000_000_000, 0, 1, 10).endOutput(0));
        assertEquals(Integer.MAX_VALUE, new ConvAxis(1, 1, 1, Integer.MAX_VALUE, 0, 1, Integer.MAX_VALUE).firstOutput(0));
    }

    @Test
    void hugePaddingDoesNotWrapAround() {
        int pad = Integer.MAX_VALUE - 10;
        ConvAxis a = new ConvAxis(5, 3, 1, pad, 0, 1, ConvShape.outputSize(5, 3, 1, pad, 0, 1));
        assertEquals(-(long) pad, a.inputIndex(0, 0));
        assertEquals(pad - 2, a.firstOutput(2)); // inputIndex(pad - 2, 2) = 0
        assertEquals(a.out(), a.endOutput(2));
        assertEquals(0, a.outputFor(-(long) pad, 0));
        assertEquals((long) pad + 5, a.padded());
    }

    @Test
    void shapeExposesBothAxesAndTheNchwIndices() {
        ConvParams p = ConvParams.builder().stride(2, 3).padding(1, 2, 0, 3).dilation(2, 1).groups(2).build();
        ConvShape s = ConvShape.forward(Tensor4D.zeros(2, 4, 11, 13), Tensor4D.zeros(6, 2, 3, 2), null, p);
        assertEquals(new ConvAxis(11, 3, 2, 1, 2, 2, s.outH()), s.rows());
        assertEquals(new ConvAxis(13, 2, 3, 0, 3, 1, s.outW()), s.cols());
        assertEquals(s.dilatedKernelH(), s.rows().dilatedKernel());
        assertEquals(s.paddedW(), s.cols().padded());
        assertEquals(s.newInput().index(1, 3, 10, 12), s.inputIndex(1, 3, 10, 12));
        assertEquals(s.newOutput().index(1, 5, s.outH() - 1, s.outW() - 1), s.outputIndex(1, 5, s.outH() - 1, s.outW() - 1));
        assertEquals(s.newWeight().index(5, 1, 2, 1), s.weightIndex(5, 1, 2, 1));
    }

    /** {@link ConvAxis#hasPaddingOnlyOutputs()} agrees with a look at every tap of every output, on every small axis. */
    @Test
    void paddingOnlyOutputsMatchAnExhaustiveLook() {
        int found = 0;
        for (int in = 1; in <= 5; in++) {
            for (int kernel = 1; kernel <= 4; kernel++) {
                for (int stride = 1; stride <= 4; stride++) {
                    for (int dilation = 1; dilation <= 6; dilation++) {
                        for (int before = 0; before <= 7; before++) {
                            for (int after = 0; after <= 7; after++) {
                                long span = (long) in + before + after - ((kernel - 1L) * dilation + 1);
                                if (span < 0) {
                                    continue;
                                }
                                ConvAxis a = new ConvAxis(in, kernel, stride, before, after, dilation,
                                        (int) (span / stride + 1));
                                boolean expected = false;
                                for (int o = 0; o < a.out(); o++) {
                                    boolean reads = false;
                                    for (int t = 0; t < kernel; t++) {
                                        reads |= a.contains(a.inputIndex(o, t));
                                    }
                                    expected |= !reads;
                                }
                                found += expected ? 1 : 0;
                                assertEquals(expected, a.hasPaddingOnlyOutputs(), a.toString());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(found > 100, "too few axes with padding-only outputs to test: " + found);
    }
}
