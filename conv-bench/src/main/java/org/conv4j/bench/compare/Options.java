package org.conv4j.bench.compare;

import java.nio.file.Path;
import java.util.Objects;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Problem;
import java.util.EnumSet;
import java.util.Set;

/**
 * The comparison command's options, parsed from the command line ({@link #parse}); {@link #helpText()} is the
 * {@code --help} text. Immutable.
 */
public final class Options {

    /** Default repetition policy; see {@link #helpText()}. */
    public static final int DEFAULT_REPS = 10;
    public static final int DEFAULT_WARMUP_MS = 200;
    public static final int DEFAULT_BUDGET_MS = 1500;

    private final String shapes;
    private final String backends;
    private final Set<ConvPass> passes;
    private final Path out;
    private final int reps;
    private final int warmupMs;
    private final int budgetMs;
    private final long seed;
    private final boolean charts;
    private final boolean sgemm;
    private final boolean help;
    private final boolean list;
    private final boolean sequence;
    private final boolean markdown;

    private Options(Builder b) {
        this.shapes = b.shapes;
        this.backends = b.backends;
        this.passes = b.passes;
        this.out = b.out;
        this.reps = b.reps;
        this.warmupMs = b.warmupMs;
        this.budgetMs = b.budgetMs;
        this.seed = b.seed;
        this.charts = b.charts;
        this.sgemm = b.sgemm;
        this.help = b.help;
        this.list = b.list;
        this.sequence = b.sequence;
        this.markdown = b.markdown;
    }

    /**
     * Parses {@code args}. {@code defaultOut} is the output folder when {@code --out} is not given.
     *
     * @throws IllegalArgumentException naming the bad option, with what was expected and what was given
     */
    public static Options parse(String[] args, Path defaultOut) {
        Builder b = new Builder();
        b.out = Objects.requireNonNull(defaultOut, "defaultOut");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                value = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "-h", "--help" -> b.help = true;
                case "--list" -> b.list = true;
                case "--no-charts" -> b.charts = false;
                case "--no-sgemm" -> b.sgemm = false;
                case "--sequence" -> b.sequence = true;
                case "--markdown" -> b.markdown = true;
                case "--shapes" -> b.shapes = nonBlank(arg, value != null ? value : next(args, ++i, arg));
                case "--backends" -> b.backends = nonBlank(arg, value != null ? value : next(args, ++i, arg));
                case "--pass" -> b.passes = passes(value != null ? value : next(args, ++i, arg));
                case "--out" -> b.out = Path.of(nonBlank(arg, value != null ? value : next(args, ++i, arg)));
                case "--reps" -> b.reps = positiveInt(arg, value != null ? value : next(args, ++i, arg), 1);
                case "--warmup-ms" -> b.warmupMs = positiveInt(arg, value != null ? value : next(args, ++i, arg), 0);
                case "--budget-ms" -> b.budgetMs = positiveInt(arg, value != null ? value : next(args, ++i, arg), 0);
                case "--seed" -> b.seed = seed(value != null ? value : next(args, ++i, arg));
                default -> throw new IllegalArgumentException("option: expected one of --shapes, --backends, --pass, "
                        + "--out, --reps, --warmup-ms, --budget-ms, --seed, --no-charts, --no-sgemm, --sequence, --markdown, --list, --help; got \""
                        + args[i] + "\"");
            }
        }
        return new Options(b);
    }

    private static String next(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + ": expected a value after it, got the end of the command line");
        }
        return args[i];
    }

    private static String nonBlank(String option, String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(option + ": expected a non-empty value, got \"" + value + "\"");
        }
        return value;
    }

    private static int positiveInt(String option, String value, int min) {
        try {
            int v = Integer.parseInt(value.trim());
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + ": expected an integer >= " + min + ", got \"" + value + "\"");
    }

    private static long seed(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed: expected an integer, got \"" + value + "\"", e);
        }
    }

    private static Set<ConvPass> passes(String value) {
        if (value.trim().equalsIgnoreCase("both")) {
            return EnumSet.copyOf(MeasuredPasses.ALL);
        }
        try {
            return EnumSet.of(MeasuredPasses.parse(value));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--pass: expected forward, backward or both, got \"" + value + "\"", e);
        }
    }

    /** The {@code --help} text. */
    public static String helpText() {
        return String.join("\n",
                "conv-bench: compare every conv4j backend (and ND4J's own conv2d) on named convolution shapes.",
                "",
                "Usage: java -jar conv-bench/target/conv-bench.jar [options]",
                "",
                "Options:",
                "  --shapes LIST     shape names and/or groups, comma-separated (default: default).",
                "                    Groups: single-channel-2x2, small-6x6x10, alexnet, resnet50, mobilenet,",
                "                    large-kernel, kernel-sweep, vgg19; whole networks: resnet50-net, mobilenet-net,",
                "                    mobilenet-dw-net, vgg19-net, googlenet-v3-net (each also as <group>-b1 and",
                "                    <group>-b8); selectors: default, headline, stride1-3x3 (every 3x3 stride-1",
                "                    layer of ResNet-50 and VGG-19), networks, networks-b1, networks-b8, all.",
                "                    --list shows every name.",
                "  --backends LIST   backend names, comma-separated, or all (default: all = every backend on",
                "                    the classpath, found by ServiceLoader, plus the peers: nd4j, ND4J's own",
                "                    conv2d; onednn-limit, oneDNN's primitive alone on its own layouts (the",
                "                    kernel limit); pytorch, PyTorch's conv2d, in builds with -Ppytorch).",
                "  --pass P          forward, backward or both (default: both).",
                "  --out DIR         folder for report.md and the PNG charts (default: conv-bench/target/report",
                "                    next to the jar).",
                "  --reps N          at most N timed calls per case; the median is reported (default " + DEFAULT_REPS + ").",
                "  --warmup-ms MS    untimed calls per case until MS have passed, at least one (default "
                        + DEFAULT_WARMUP_MS + ").",
                "  --budget-ms MS    stop timing a case once its timed calls took MS, after at least one call",
                "                    (default " + DEFAULT_BUDGET_MS + "); a first call slower than MS is the only one.",
                "  --seed N          seed of the random data (default " + Problem.DEFAULT_SEED + ").",
                "  --no-charts       do not write PNG charts.",
                "  --no-sgemm        skip the 2048x2048 sgemm probe (the '% sgemm' column stays empty).",
                "  --sequence        for every network whose layers are all selected: also time each backend on",
                "                    the network's layers one after another, in network order, and compare with",
                "                    the sum of the same layers timed alone (the cost of switching backends).",
                "  --markdown        print the console tables as Markdown instead of aligned text.",
                "  --list            list shapes, groups and backends, then exit.",
                "  -h, --help        this text.",
                "",
                "Other commands (run each alone on the machine; docs/architecture.md, \"Choosing a backend\"):",
                "  calibrate [--out FILE]   measure the machine figures behind the estimates (about 10 s)",
                "  fit [--shapes LIST] [--backends LIST] [--out FILE] [--timings CSV | --from CSV] [--no-fit]",
                "                           time the backends and refit their cost models (about 10 minutes;",
                "                           --from refits saved timings, --no-fit only judges the profile);",
                "                           both write conv4j-profile.properties unless --out is given: pass",
                "                           it with -Dconv4j.costProfile=FILE",
                "",
                "Run time: the default selection (six sizes of the single-channel scaling case, the 6x6x10 example,",
                "one batch-1 layer of each family and the 31x31 large-kernel layer, forward and backward) takes",
                "about three minutes on 2 cores, because of the repetition policy above and the skip rule: the",
                "naive reference is timed only on passes of at most 1 GFLOP and is run once, untimed, as the",
                "correctness reference up to 4 GFLOP; beyond that its columns stay empty (the 31x31 layer has no",
                "reference). Batch-8 layers, 'all' or larger --reps / --budget-ms take correspondingly longer",
                "(\"all\", which includes every network at batch 1 and 8, runs for hours; select one network",
                "and batch size at a time, e.g. --shapes resnet50-net-b1). For publishable numbers use the JMH jar",
                "(conv-bench/target/benchmarks.jar, see docs/benchmarks.md).",
                "",
                "Networks: when every layer of a network is selected, a table per network and pass gives each",
                "layer's median per backend, the occurrence count and the total weighted by occurrence; a",
                "summary compares the facade's totals with the sum of each layer's fastest backend.",
                "",
                "Output: a progress line per case, a table per shape (median time, GFLOP/s, % of sgemm, speed-up",
                "over naive, largest difference from the naive result), and in --out: report.md, scaling-*.png",
                "(time against input size for the single-channel scaling case), layers-*.png and one bar chart per layer.",
                "",
                "OpenBLAS picks its CPU kernels when it loads: see docs/benchmarks.md for OPENBLAS_CORETYPE.");
    }

    public String shapes() {
        return shapes;
    }

    public String backends() {
        return backends;
    }

    public Set<ConvPass> passes() {
        return passes;
    }

    public Path out() {
        return out;
    }

    public int reps() {
        return reps;
    }

    public int warmupMs() {
        return warmupMs;
    }

    public int budgetMs() {
        return budgetMs;
    }

    public long seed() {
        return seed;
    }

    public boolean charts() {
        return charts;
    }

    public boolean sgemm() {
        return sgemm;
    }

    public boolean help() {
        return help;
    }

    public boolean list() {
        return list;
    }

    /** Whether to time each network's layers in sequence as well ({@code --sequence}). */
    public boolean sequence() {
        return sequence;
    }

    /** Whether the console tables are Markdown ({@code --markdown}). */
    public boolean markdown() {
        return markdown;
    }

    private static final class Builder {
        private String shapes = "default";
        private String backends = "all";
        private Set<ConvPass> passes = EnumSet.copyOf(MeasuredPasses.ALL);
        private Path out;
        private int reps = DEFAULT_REPS;
        private int warmupMs = DEFAULT_WARMUP_MS;
        private int budgetMs = DEFAULT_BUDGET_MS;
        private long seed = Problem.DEFAULT_SEED;
        private boolean charts = true;
        private boolean sgemm = true;
        private boolean help;
        private boolean list;
        private boolean sequence;
        private boolean markdown;
    }
}
