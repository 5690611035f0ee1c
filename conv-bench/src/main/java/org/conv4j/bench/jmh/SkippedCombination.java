package org.conv4j.bench.jmh;

import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;

/**
 * Thrown from a benchmark's {@code @Setup} to leave out a parameter combination (JMH has no other way to
 * drop one point of its cartesian product): JMH reports it with this message and moves on to the next
 * combination. No stack trace: it is a decision, not a bug.
 */
final class SkippedCombination extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SkippedCombination(String message) {
        super(message, null, false, false);
    }

    /**
     * The contender called {@code backend} ({@link Contenders#byName}).
     *
     * @throws SkippedCombination if it is not on the classpath, with the reason
     */
    static Contender contender(String backend) {
        try {
            return Contenders.byName(backend);
        } catch (IllegalArgumentException e) {
            throw new SkippedCombination("SKIPPED: backend \"" + backend + "\" is not on the classpath ("
                    + e.getMessage() + ")");
        }
    }
}
