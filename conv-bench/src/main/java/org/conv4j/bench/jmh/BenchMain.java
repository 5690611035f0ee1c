package org.conv4j.bench.jmh;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.ShapeCatalog;

/**
 * The main class of {@code benchmarks.jar}: JMH's own command line ({@code org.openjdk.jmh.Main}, so every
 * usual option works: {@code -h}, {@code -l}, {@code -f}, {@code -wi}, {@code -i}, {@code -rf json}, ...)
 * with two conveniences for {@link ConvBench}:
 * <ul>
 *   <li>without {@code -p backend=...}, the {@code backend} parameter is set to every contender on the
 *       classpath (every conv4j backend found by ServiceLoader, then {@code nd4j}), so a new backend module
 *       is benchmarked without touching this code; except when every benchmark named on the command line is
 *       one that lists its own backends ({@link RankBench}, {@link Rank3dBench}: their defaults are the
 *       backends their question is about, and the other contenders would only be skipped);</li>
 *   <li>in {@code -p shape=...}, a catalogue group ({@code resnet50}, {@code large-kernel},
 *       {@code kernel-sweep}, {@code single-channel-2x2}, {@code headline}, {@code all}, ...) expands to its
 *       shape names.</li>
 * </ul>
 * {@code benchmarks.jar totals results.csv} prints the per-network totals of a run's CSV results
 * ({@link NetworkTotals}); {@code benchmarks.jar ratios NETWORK CONTENDERS} times contenders in alternation on
 * every layer of a network ({@link AlternatingRatios}).
 */
public final class BenchMain {

    /** The benchmarks whose {@code backend} defaults are their own, not every contender. */
    static final Set<String> OWN_BACKENDS = Set.of("RankBench", "Rank3dBench");

    /** One alternative of a selector that names one of {@link #OWN_BACKENDS}, optionally with package and method. */
    private static final Pattern OWN_BACKENDS_SELECTOR =
            Pattern.compile("(?:[\\w.]*\\.)?(" + String.join("|", OWN_BACKENDS) + ")(?:\\.\\w+)?");

    /** JMH's options that take no value; every other option takes the next argument as its value. */
    private static final Set<String> FLAGS = Set.of("-h", "-l", "-lp", "-lprof", "-lrf");

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("totals")) {
            NetworkTotals.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("ratios")) {
            AlternatingRatios.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        org.openjdk.jmh.Main.main(rewrite(args, Contenders.availableNames()));
    }

    /** The JMH arguments with the two conveniences applied (pure, for tests). */
    static String[] rewrite(String[] args, List<String> contenders) {
        List<String> out = new ArrayList<>();
        boolean backendGiven = false;
        boolean listing = false;
        List<String> selectors = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (FLAGS.contains(a)) {
                listing = true;
            }
            if (!a.startsWith("-")) {
                selectors.add(a);
            }
            if (a.equals("-p") && i + 1 < args.length) {
                String value = args[++i];
                if (value.startsWith("backend=")) {
                    backendGiven = true;
                } else if (value.startsWith("shape=")) {
                    value = "shape=" + expandShapes(value.substring("shape=".length()));
                }
                out.add(a);
                out.add(value);
            } else {
                out.add(a);
                if (a.startsWith("-") && !FLAGS.contains(a) && i + 1 < args.length) {
                    out.add(args[++i]);
                }
            }
        }
        boolean ownBackendsOnly = !selectors.isEmpty()
                && selectors.stream().flatMap(sel -> Arrays.stream(sel.split("\\|")))
                        .allMatch(alt -> OWN_BACKENDS_SELECTOR.matcher(alt).matches());
        if (!backendGiven && !listing && !ownBackendsOnly) {
            out.add("-p");
            out.add("backend=" + String.join(",", contenders));
        }
        return out.toArray(new String[0]);
    }

    /** Shape names and group names into a comma-separated list of shape names. */
    static String expandShapes(String spec) {
        List<String> names = new ArrayList<>();
        for (BenchShape s : ShapeCatalog.select(spec)) {
            names.add(s.name());
        }
        return String.join(",", names);
    }
}
