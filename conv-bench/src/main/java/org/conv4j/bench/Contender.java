package org.conv4j.bench;

import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;

/**
 * Something that can run a convolution pass and be timed: a conv4j backend or the ND4J peer.
 * {@link #prepare} does every allocation and copy the contender needs, so that {@link Run#run()} is
 * just the pass.
 */
public interface Contender {

    /** The name in tables and in JMH's {@code backend} parameter. */
    String name();

    /**
     * Why this contender does not run {@code pass} on {@code shape} (cannot, or would take unreasonably
     * long under {@link SkipRule}), or null if it does.
     */
    String skipReason(BenchShape shape, ConvPass pass);

    /** Sets up one timed case. */
    Run prepare(Problem problem, ConvPass pass);

    /** One prepared case. */
    interface Run extends AutoCloseable {
        /** The measured work: exactly one pass. */
        void run();

        /** The forward output of the last {@link #run()} (forward cases). */
        Tensor4D output();

        /** The gradients of the last {@link #run()} (backward cases). */
        ConvGradients gradients();

        /**
         * Frees what the case holds outside the heap (native tensors, prepared passes) at once, rather than when it
         * is collected; its results are not read after it. The default holds nothing.
         */
        @Override
        default void close() {
        }

        /**
         * A run of plain {@code work} that has no output or gradients to compare (a network's sequence, a probe),
         * for timing it like a pass.
         *
         * @param work the timed work
         * @return the run
         */
        static Run of(Runnable work) {
            return new Run() {
                @Override
                public void run() {
                    work.run();
                }

                @Override
                public Tensor4D output() {
                    return null;
                }

                @Override
                public ConvGradients gradients() {
                    return null;
                }
            };
        }
    }
}
