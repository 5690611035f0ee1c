package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.Network;

/**
 * One contender on one network's layers in sequence ({@code --sequence}).
 *
 * @param sequenceNs median wall time of one pass through every call of the network in network order
 *                   ({@link org.conv4j.bench.NetworkRun#sequence()}); NaN if it did not run
 * @param aloneNs    the sum over the layers of {@code count * median} of the same prepared layers, each timed
 *                   alone right before the sequence; NaN if it did not run
 * @param note       why it did not run ("skipped: ..." or "failed: ..."); empty otherwise
 */
public record SequenceResult(Network network, ConvPass pass, String contender, double sequenceNs, double aloneNs,
                             String note) {

    /** {@code sequenceNs / aloneNs}: 1.00 when running the layers one after another costs nothing extra. */
    public double ratio() {
        return sequenceNs / aloneNs;
    }
}
