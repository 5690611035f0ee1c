package org.conv4j.onednn;

import org.conv4j.api.ConvParams;
import org.conv4j.api.Tensor4D;

/**
 * Main class of the child JVMs of {@link ChildJvmTest}; returns from main without calling System.exit.
 * <ul>
 *   <li>{@code conv}: a forward and a backward pass of the onednn backend from two threads at once (so that
 *       oneDNN's OpenMP runtime starts thread teams for both), then prints "done";</li>
 *   <li>{@code unavailable}: constructs the backend (the parent makes the natives unloadable) and prints
 *       the exception's class and message, or "constructed".</li>
 * </ul>
 */
public final class ExitChild {

    private ExitChild() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("conv")) {
            Runnable work = () -> {
                OnednnBackend b = new OnednnBackend();
                Tensor4D x = Tensor4D.random(1, 4, 16, 28, 28);
                Tensor4D w = Tensor4D.random(2, 16, 16, 3, 3);
                ConvParams p = ConvParams.builder().padding(1).build();
                Tensor4D y = b.forward(x, w, null, p);
                b.backward(x, w, y, p);
            };
            Thread other = new Thread(work);
            other.start();
            work.run();
            other.join();
            System.out.println("done");
        } else {
            try {
                new OnednnBackend();
                System.out.println("constructed");
            } catch (RuntimeException e) {
                System.out.println(e.getClass().getName() + ": " + e.getMessage());
            }
        }
    }
}
