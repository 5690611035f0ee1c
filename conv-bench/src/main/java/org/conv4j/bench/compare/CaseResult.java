package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.BenchShape;

/**
 * The outcome of one case (shape x pass x contender).
 *
 * @param shape      the shape
 * @param pass       forward or backward
 * @param contender  the contender's name
 * @param status     whether it ran
 * @param medianNs   median wall time of the timed calls, ns (NaN unless {@link Status#OK})
 * @param reps       timed calls
 * @param maxDiff    largest |result - naive result| over all outputs (for backward: over dx, dw and db);
 *                   NaN when there was no naive reference
 * @param relDiff    {@code maxDiff} divided by the largest |naive result| (NaN as above)
 * @param note       why it was skipped or failed; empty otherwise
 */
public record CaseResult(BenchShape shape, ConvPass pass, String contender, Status status, double medianNs, int reps,
                         double maxDiff, double relDiff, String note) {

    /** Whether a case ran. */
    public enum Status { OK, SKIPPED, FAILED }

    public static CaseResult skipped(BenchShape shape, ConvPass pass, String contender, String why) {
        return new CaseResult(shape, pass, contender, Status.SKIPPED, Double.NaN, 0, Double.NaN, Double.NaN, why);
    }

    public static CaseResult failed(BenchShape shape, ConvPass pass, String contender, String why) {
        return new CaseResult(shape, pass, contender, Status.FAILED, Double.NaN, 0, Double.NaN, Double.NaN, why);
    }

    public boolean ok() {
        return status == Status.OK;
    }

    /** GFLOP/s of the median call, NaN unless OK. */
    public double gflops() {
        return ok() ? Measure.gflops(shape.flops(pass), medianNs) : Double.NaN;
    }

    /** Median time in milliseconds, NaN unless OK. */
    public double medianMs() {
        return medianNs / 1e6;
    }
}
