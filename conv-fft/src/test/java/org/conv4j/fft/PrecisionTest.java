package org.conv4j.fft;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.conv4j.naive.NaiveBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The precision guarantee of docs/fft.md, on data the kit does not have:
 * <ul>
 *   <li>many channels and large kernels: error within {@link FftBackend#TOLERANCE} of the largest result;</li>
 *   <li>large dynamic range with cancellation (an image offset by 10^6 under zero-sum filters, no padding, so
 *       every output is small): the error is large relative to the outputs, as the documentation says it
 *       may be, but within {@link #OPERAND_BOUND} {@code * max|x| * max_k ||w_k||_1};</li>
 *   <li>huge and tiny magnitudes (10^30, 10^-30): the power-of-two prescaling keeps them from overflowing or
 *       underflowing inside the transforms.</li>
 * </ul>
 */
class PrecisionTest {

    /** Operand-relative bound (measured at most 4e-8 across the shapes of docs/fft.md). */
    static final double OPERAND_BOUND = 2e-7;

    private final ConvBackend fft = new FftBackend();
    private final ConvBackend naive = new NaiveBackend();

    private static double relativeToResult(Tensor4D expected, Tensor4D actual) {
        return expected.maxAbsDiff(actual) / expected.maxAbs();
    }

    @Test
    void manyChannelsAndLargeKernels() {
        Object[][] layers = {
                {2, 64, 16, 16, 32, 3, ConvParams.builder().padding(1).build()},
                {1, 8, 48, 48, 8, 21, ConvParams.builder().padding(10).build()},
                {1, 128, 10, 10, 4, 5, ConvParams.builder().padding(2).build()},
        };
        for (Object[] l : layers) {
            Tensor4D x = Tensor4D.random(5, (int) l[0], (int) l[1], (int) l[2], (int) l[3]);
            Tensor4D w = Tensor4D.random(6, (int) l[4], (int) l[1], (int) l[5], (int) l[5]);
            ConvParams p = (ConvParams) l[6];
            Tensor4D y = naive.forward(x, w, null, p);
            double e = relativeToResult(y, fft.forward(x, w, null, p));
            ConvGradients g = naive.backward(x, w, y, p);
            ConvGradients h = fft.backward(x, w, y, p);
            double ex = relativeToResult(g.input(), h.input());
            double ew = relativeToResult(g.weight(), h.weight());
            assertTrue(e <= FftBackend.TOLERANCE && ex <= FftBackend.TOLERANCE && ew <= FftBackend.TOLERANCE,
                    "relative errors forward " + e + ", dx " + ex + ", dw " + ew + " for " + java.util.Arrays.toString(l));
        }
    }

    @Test
    void cancellationIsBoundedRelativeToTheOperands() {
        Tensor4D x = Tensor4D.random(7, 1, 8, 40, 40);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] += 1e6f;
        }
        Tensor4D w = Tensor4D.random(8, 4, 8, 7, 7);
        int per = 8 * 7 * 7;
        double maxL1 = 0;
        for (int k = 0; k < 4; k++) {
            double mean = 0;
            for (int e = 0; e < per; e++) {
                mean += w.data()[k * per + e];
            }
            mean /= per;
            double l1 = 0;
            for (int e = 0; e < per; e++) {
                w.data()[k * per + e] -= (float) mean;
                l1 += Math.abs(w.data()[k * per + e]);
            }
            maxL1 = Math.max(maxL1, l1);
        }
        Tensor4D y = naive.forward(x, w, null, ConvParams.DEFAULT);
        Tensor4D z = fft.forward(x, w, null, ConvParams.DEFAULT);
        double err = y.maxAbsDiff(z);
        double operands = x.maxAbs() * maxL1;
        assertTrue(err <= OPERAND_BOUND * operands, "error " + err + " above " + OPERAND_BOUND + " * " + operands);
        // and the outputs are indeed small: the result-relative error is far above the kit's tolerance
        assertTrue(err / y.maxAbs() > 100 * FftBackend.TOLERANCE,
                "the case should show cancellation: relative error " + err / y.maxAbs());
    }

    @Test
    void hugeAndTinyMagnitudesNeitherOverflowNorUnderflow() {
        for (float magnitude : new float[] {1e30f, 1e-30f}) {
            Tensor4D x = Tensor4D.random(9, 1, 3, 20, 20);
            Tensor4D w = Tensor4D.random(10, 2, 3, 5, 5);
            for (int i = 0; i < x.size(); i++) {
                x.data()[i] *= magnitude;
            }
            ConvParams p = ConvParams.builder().padding(2).build();
            Tensor4D y = naive.forward(x, w, null, p);
            double e = relativeToResult(y, fft.forward(x, w, null, p));
            assertTrue(e <= FftBackend.TOLERANCE, "magnitude " + magnitude + ": relative error " + e);
        }
    }
}
