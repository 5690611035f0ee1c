package org.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.Tensor4D;
import org.junit.jupiter.api.Test;

class NetworkRunTest {

    /** Records which layer each call ran, without computing anything. */
    private static final class Recorder implements Contender {
        final List<String> calls = new ArrayList<>();

        @Override
        public String name() {
            return "recorder";
        }

        @Override
        public String skipReason(BenchShape shape, ConvPass pass) {
            return shape.name().contains("conv6") ? "not this one" : null;
        }

        @Override
        public Run prepare(Problem problem, ConvPass pass) {
            return new Run() {
                @Override
                public void run() {
                    calls.add(problem.shape().name());
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

    private static Network small() {
        BenchShape a = ShapeCatalog.byName("small-6x6x10-b1");
        BenchShape b = ShapeCatalog.byName("single-channel-2x2-10");
        BenchShape c = ShapeCatalog.byName("single-channel-2x2-25");
        return new Network("t-b1", "t", "test", 1, List.of(new Network.Layer(a, 3), new Network.Layer(b, 1),
                new Network.Layer(c, 2)));
    }

    @Test
    void sequenceRepeatsBlocksInRoundsAsTheNetworkDoes() {
        assertArrayEquals(new int[] {0, 1, 2, 0, 2, 0}, NetworkRun.networkOrder(small()));
        Recorder r = new Recorder();
        NetworkRun run = NetworkRun.prepare(small(), r, ConvPass.FORWARD, 1);
        run.sequence();
        assertEquals(List.of("small-6x6x10-b1", "single-channel-2x2-10", "single-channel-2x2-25", "small-6x6x10-b1",
                "single-channel-2x2-25", "small-6x6x10-b1"), r.calls);
    }

    @Test
    void groupedMakesTheSameCallsLayerByLayer() {
        Recorder r = new Recorder();
        NetworkRun.prepare(small(), r, ConvPass.FORWARD, 1).grouped(2);
        assertEquals(List.of("small-6x6x10-b1", "small-6x6x10-b1", "small-6x6x10-b1", "small-6x6x10-b1",
                "small-6x6x10-b1", "small-6x6x10-b1", "single-channel-2x2-10", "single-channel-2x2-10", "single-channel-2x2-25",
                "single-channel-2x2-25", "single-channel-2x2-25", "single-channel-2x2-25"), r.calls);
    }

    @Test
    void everyCallOfARealNetworkRunsOnceInASequence() {
        Network resnet = ShapeCatalog.network(ShapeCatalog.RESNET50_NET, 1);
        int[] order = NetworkRun.networkOrder(resnet);
        assertEquals(53, order.length);
        int[] seen = new int[resnet.layers().size()];
        for (int i : order) {
            seen[i]++;
        }
        for (int i = 0; i < seen.length; i++) {
            assertEquals(resnet.layers().get(i).count(), seen[i], resnet.layers().get(i).shape().name());
        }
    }

    @Test
    void aLayerTheContenderSkipsFailsThePreparationNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkRun.prepare(ShapeCatalog.network(ShapeCatalog.MOBILENET_DW_NET, 1), new Recorder(),
                        ConvPass.FORWARD, 1));
        assertTrue(e.getMessage().contains("mobilenet-dw-net-conv6-dw-b1"), e.getMessage());
    }
}
