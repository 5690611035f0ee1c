package org.conv4j.bench.jmh;

import java.util.Locale;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Network;
import org.conv4j.bench.NetworkRun;
import org.conv4j.bench.Problem;
import org.conv4j.bench.ShapeCatalog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * A whole network's convolutions, every call of one pass, on one contender:
 * {@code NetworkBench -p network=resnet50-net -p batch=1 -p pass=forward -p backend=conv2d -p mode=sequence,alone}.
 * The score is the time of one pass through the network (every layer as often as it occurs), in ms.
 *
 * <p>{@code mode}:
 * <ul>
 *   <li>{@code sequence}: the calls in network order ({@link NetworkRun#sequence()}): consecutive calls are
 *       different layers, as in inference, so a contender that runs layers on different backends (the facade)
 *       pays for switching between them (e.g. OpenBLAS's threads and oneDNN's OpenMP threads taking turns on
 *       the same cores);</li>
 *   <li>{@code alone}: the same calls layer by layer ({@link NetworkRun#grouped}), each layer
 *       {@value #REPEATS} times its count in a row, so the switches between distinct layers are spread over
 *       {@value #REPEATS} times as many calls: close to the sum of the layers measured alone, in the same run.</li>
 * </ul>
 * Both modes make the same {@value #REPEATS} network passes per invocation and report the time of one
 * ({@link OperationsPerInvocation}), so {@code sequence / alone} is the cost of running the layers in turn.
 *
 * <p>Every layer's data and buffers are made in {@code @Setup} ({@link Contender#prepare}); a contender that does
 * not run one of the layers (naive above its FLOP limit, a peer that cannot express a layer), or is not on the
 * classpath, is skipped with the reason. {@link BenchMain} fills {@code backend} with every contender when it is
 * not given. Memory: every layer of the network is held at once; VGG-19 at batch 8 backward needs several GB of
 * heap ({@code -jvmArgsAppend -Xmx8g}).
 */
public class NetworkBench extends MillisecondBench {

    /** Network passes per invocation, in both modes. */
    public static final int REPEATS = 4;

    /** A network group of {@link ShapeCatalog} ({@code resnet50-net}, ...). */
    @Param({ShapeCatalog.RESNET50_NET, ShapeCatalog.MOBILENET_NET, ShapeCatalog.MOBILENET_DW_NET,
            ShapeCatalog.VGG19_NET, ShapeCatalog.GOOGLENET_V3_NET})
    public String network;

    /** The batch size ({@link ShapeCatalog#NETWORK_BATCHES}). */
    @Param({"1", "8"})
    public int batch;

    /** {@code forward} or {@code backward}. */
    @Param({"forward", "backward"})
    public String pass;

    /** A contender name ({@link Contenders#availableNames()}). */
    @Param({"conv2d", "conv2d-autotune", "onednn", "direct", "im2col"})
    public String backend;

    /** {@code sequence} or {@code alone} (see the class comment). */
    @Param({"sequence", "alone"})
    public String mode;

    private NetworkRun run;
    private boolean sequence;

    @Setup
    public void setup() {
        Network net = ShapeCatalog.network(network, batch);
        ConvPass p = MeasuredPasses.parse(pass);
        sequence = switch (mode.trim().toLowerCase(Locale.ROOT)) {
            case "sequence" -> true;
            case "alone" -> false;
            default -> throw new IllegalArgumentException("mode: expected sequence or alone, got \"" + mode + "\"");
        };
        Contender c = SkippedCombination.contender(backend);
        try {
            run = NetworkRun.prepare(net, c, p, Problem.DEFAULT_SEED);
        } catch (IllegalArgumentException e) {
            throw new SkippedCombination("SKIPPED " + net.name() + ": " + e.getMessage());
        }
    }

    /**
     * {@value #REPEATS} passes through the network in the chosen mode; the results stay in each layer's
     * prepared run, reachable from this state, so the work cannot be optimised away.
     */
    @Benchmark
    @OperationsPerInvocation(REPEATS)
    public NetworkRun network() {
        if (sequence) {
            for (int r = 0; r < REPEATS; r++) {
                run.sequence();
            }
        } else {
            run.grouped(REPEATS);
        }
        return run;
    }
}
