package org.conv4j.openblas;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** The GEMM backends' parallel loop over independent tasks (images, channels, tap rows) of their Java phases. */
public final class Parallel {

    private Parallel() {
    }

    /**
     * Runs {@code task(0 .. count-1)}: on the common fork-join pool when there is more than one task and they
     * write at least {@link GemmTuning#PARALLEL_MIN_FLOATS} floats in all, else in order on the calling thread.
     * The tasks must write disjoint memory.
     *
     * @param count the number of tasks
     * @param floats the floats all tasks write together
     * @param task the task, given its number
     */
    public static void forEach(int count, long floats, IntConsumer task) {
        forEach(count, floats, task, () -> {
            for (int t = 0; t < count; t++) {
                task.accept(t);
            }
        });
    }

    /**
     * As {@link #forEach(int, long, IntConsumer)}, with {@code serial} doing the whole work when it is too small.
     *
     * @param count the number of tasks
     * @param floats the floats all tasks write together
     * @param task the task, given its number
     * @param serial the whole work in one, for small work
     */
    public static void forEach(int count, long floats, IntConsumer task, Runnable serial) {
        if (count > 1 && floats >= GemmTuning.PARALLEL_MIN_FLOATS) {
            IntStream.range(0, count).parallel().forEach(task);
        } else {
            serial.run();
        }
    }
}
