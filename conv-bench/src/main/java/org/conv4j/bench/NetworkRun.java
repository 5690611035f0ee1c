package org.conv4j.bench;

import java.util.ArrayList;
import java.util.List;
import org.conv4j.api.ConvPass;

/**
 * One contender prepared on every layer of a {@link Network}, for timing the layers one after another as
 * inference runs them. Each distinct layer is prepared once ({@link Contender#prepare}: data from the seed,
 * buffers allocated) and called as often as it occurs.
 *
 * <p>{@link #sequence()} calls the layers in <em>network order</em>: in rounds, round {@code r} calling, in the
 * list's order, every layer that occurs more than {@code r} times. The lists give each repeated block once with
 * its count (ResNet-50's {@code res2a_branch2b*3} stands for the 3x3 layer of three consecutive blocks), so the
 * rounds repeat the blocks as the network does, and consecutive calls are different layers, on whatever
 * backends each one runs: the cost of switching between backends (one library's threads handing the cores to
 * another's) is inside the time. {@link #grouped(int)} makes the same calls layer by layer instead, each layer
 * {@code repeats * count} times in a row, so that switches happen only between distinct layers and their cost is
 * spread over {@code repeats} times as many calls: divided by {@code repeats}, its time approaches the sum of the
 * layers measured alone.
 */
public final class NetworkRun {

    private final Network network;
    private final List<Contender.Run> runs;
    private final int[] order;

    private NetworkRun(Network network, List<Contender.Run> runs) {
        this.network = network;
        this.runs = runs;
        this.order = networkOrder(network);
    }

    /**
     * Prepares {@code contender} on every layer of {@code network} for {@code pass}, with data from {@code seed}.
     *
     * @throws IllegalArgumentException naming the layer if the contender does not run one of them
     *         ({@link Contender#skipReason})
     */
    public static NetworkRun prepare(Network network, Contender contender, ConvPass pass, long seed) {
        for (Network.Layer l : network.layers()) {
            String skip = contender.skipReason(l.shape(), pass);
            if (skip != null) {
                throw new IllegalArgumentException(contender.name() + " does not run " + l.shape().name() + " "
                        + pass.label() + ": " + skip);
            }
        }
        List<Contender.Run> runs = new ArrayList<>();
        for (Network.Layer l : network.layers()) {
            runs.add(contender.prepare(Problem.of(l.shape(), pass, seed), pass));
        }
        return new NetworkRun(network, runs);
    }

    /** The indices of {@link Network#layers()} in the order {@link #sequence()} calls them (rounds, see above). */
    static int[] networkOrder(Network network) {
        List<Network.Layer> layers = network.layers();
        int[] order = new int[network.layerCount()];
        int n = 0;
        for (int round = 0; n < order.length; round++) {
            for (int i = 0; i < layers.size(); i++) {
                if (layers.get(i).count() > round) {
                    order[n++] = i;
                }
            }
        }
        return order;
    }

    public Network network() {
        return network;
    }

    /** The prepared run of each distinct layer, in {@link Network#layers()}'s order. */
    public List<Contender.Run> runs() {
        return runs;
    }

    /** Every call of the network once, in network order: {@link Network#layerCount()} calls. */
    public void sequence() {
        for (int i : order) {
            runs.get(i).run();
        }
    }

    /** The same calls {@code repeats} times over, layer by layer: each layer {@code repeats * count} calls in a row. */
    public void grouped(int repeats) {
        List<Network.Layer> layers = network.layers();
        for (int i = 0; i < layers.size(); i++) {
            Contender.Run run = runs.get(i);
            for (int k = repeats * layers.get(i).count(); k > 0; k--) {
                run.run();
            }
        }
    }

    /** The order of {@link #sequence()}, for tests. */
    int[] order() {
        return order.clone();
    }
}
