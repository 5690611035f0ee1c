package org.conv4j.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;
import org.conv4j.bench.Contender;
import org.junit.jupiter.api.Test;

/** The repetition policy's call counts and the difference columns (no timing assertions). */
class RunnerTest {

    /** Counts calls; returns fixed results. */
    private static final class Counting implements Contender.Run {
        int calls;
        Tensor4D out = Tensor4D.wrap(new float[] {1, -4, 2, 0}, 1, 1, 2, 2);
        ConvGradients grads = new ConvGradients(Tensor4D.wrap(new float[] {1, 2}, 1, 1, 1, 2),
                Tensor4D.wrap(new float[] {3}, 1, 1, 1, 1), new float[] {5});

        @Override
        public void run() {
            calls++;
        }

        @Override
        public Tensor4D output() {
            return out;
        }

        @Override
        public ConvGradients gradients() {
            return grads;
        }
    }

    @Test
    void aFirstCallOverTheBudgetIsTheOnlyMeasurement() {
        Counting run = new Counting();
        Runner.Timed t = new Runner(10, 1000, 0).time(run);
        assertEquals(1, run.calls);
        assertEquals(1, t.nanos().length);
    }

    @Test
    void otherwiseOneWarmUpCallThenUpToRepsTimedCalls() {
        Counting run = new Counting();
        Runner.Timed t = new Runner(3, 0, Integer.MAX_VALUE).time(run);
        assertEquals(3, t.nanos().length);
        assertEquals(4, run.calls);
        for (long n : t.nanos()) {
            assertTrue(n >= 0);
        }
    }

    @Test
    void forwardDiffIsAbsoluteAndRelativeToTheLargestReferenceValue() {
        Counting run = new Counting();
        Reference ref = new Reference(Tensor4D.wrap(new float[] {1, -4, 2.5f, 0}, 1, 1, 2, 2), null, "");
        double[] d = ref.diff(run, ConvPass.FORWARD);
        assertEquals(0.5, d[0], 1e-12);
        assertEquals(0.125, d[1], 1e-12);
    }

    @Test
    void backwardDiffTakesTheWorstOfDxDwAndDb() {
        Counting run = new Counting();
        ConvGradients ref = new ConvGradients(Tensor4D.wrap(new float[] {1, 2}, 1, 1, 1, 2),
                Tensor4D.wrap(new float[] {3.5f}, 1, 1, 1, 1), new float[] {4});
        double[] d = new Reference(null, ref, "").diff(run, ConvPass.BACKWARD);
        assertEquals(1.0, d[0], 1e-12, "db differs by 1");
        assertEquals(0.25, d[1], 1e-12, "db: 1 / 4");
    }

    @Test
    void keepCopiesTheForwardOutput() {
        Counting run = new Counting();
        Reference ref = Reference.whole(run, ConvPass.FORWARD);
        run.out.data()[0] = 99;
        assertEquals(1f, ref.output().data()[0]);
    }
}
