package org.conv4j.fft;

import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;
import org.jtransforms.fft.FloatFFT_1D;
import org.jtransforms.utils.CommonUtils;
import pl.edu.icm.jlargearrays.ConcurrencyUtils;

/**
 * Main class of the child JVMs of {@link JvmExitTest}. Both modes first make JTransforms as eager to use its
 * own thread pool as it can be (two threads, the lowest threshold it accepts), print "done" when their
 * work is finished and return from main without calling System.exit.
 * <ul>
 *   <li>{@code conv}: a forward and a backward pass of the fft backend on a 600x600 image with a 5x5
 *       kernel dilated by 100 (extent 401), for which the planner, without the backend's cap, chooses
 *       transforms of 512 or more, which JTransforms would then run on its pool.</li>
 *   <li>{@code control}: one JTransforms transform large enough to use JTransforms' pool, to show that the
 *       test can see a JVM kept alive by that pool.</li>
 * </ul>
 */
public final class ExitChild {

    private ExitChild() {
    }

    public static void main(String[] args) {
        ConcurrencyUtils.setNumberOfThreads(2);
        CommonUtils.setThreadsBeginN_1D_FFT_2Threads(1024);
        if (args[0].equals("conv")) {
            Tensor4D x = Tensor4D.random(1, 1, 2, 600, 600);
            Tensor4D w = Tensor4D.random(2, 2, 2, 5, 5);
            ConvParams p = ConvParams.builder().dilation(100).build(); // extent 401: tiles of at least 401
            FftBackend fft = new FftBackend();
            Tensor4D y = fft.forward(x, w, null, p);
            fft.backward(x, w, y, p);
        } else {
            float[] a = new float[2 * 4096];
            a[3] = 1f;
            new FloatFFT_1D(4096).complexForward(a);
        }
        System.out.println("done");
    }
}
