package org.conv4j.openblas;

import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calls on the native path run one at a time while OpenBLAS is threaded, side by side when it is not. */
class NativeCallsTest {

    /** A GEMM backend whose only work is to record how many calls are inside their workspace at once. */
    private static final class Probe extends AbstractGemmBackend {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        Probe() {
            super("probe", Workspace.MIN_LIMIT_BYTES);
        }

        void call() {
            withWorkspace(bytes -> 1024L, floats -> floats, (floats, buffer) -> {
                most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inside.decrementAndGet();
            });
        }

        @Override
        protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void gradients(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput, float[] dx,
                                 float[] dw) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void threadedOpenBlasRunsOneNativeCallAtATime() throws Exception {
        int threads = OpenBlasSetup.threads();
        Probe probe = new Probe();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                probe.call();
            });
            t.start();
            callers.add(t);
        }
        start.countDown();
        for (Thread t : callers) {
            t.join();
        }
        if (threads > 1) {
            assertEquals(1, probe.most.get(), "OpenBLAS runs on " + threads + " threads");
        } else {
            assertTrue(probe.most.get() >= 2, "with one OpenBLAS thread, calls run side by side: " + probe.most.get());
        }
    }
}
