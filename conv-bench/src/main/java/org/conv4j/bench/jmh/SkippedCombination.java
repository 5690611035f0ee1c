package org.conv4j.bench.jmh;

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
}
