package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.conv4j.api.Settings;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.Contender;
import org.conv4j.bench.Contenders;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.Network;
import org.conv4j.bench.NetworkRun;
import org.conv4j.bench.Problem;
import org.conv4j.bench.SgemmProbe;
import org.conv4j.bench.ShapeCatalog;

/**
 * The comparison command, {@code java -jar conv-bench/target/conv-bench.jar}: runs every backend (and the
 * ND4J peer) over a selection of the shape catalogue, prints a progress line per case and a table per
 * shape, and writes {@code report.md} with PNG charts. {@code --help} lists the options.
 */
public final class CompareMain {

    private final Options options;
    private final PrintStream out;
    private final List<String> commandLine;

    CompareMain(Options options, PrintStream out, List<String> commandLine) {
        this.options = options;
        this.out = out;
        this.commandLine = commandLine;
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("calibrate")) {
            org.conv4j.bench.calibrate.Calibrate.main(List.of(args).subList(1, args.length).toArray(new String[0]));
            return;
        }
        if (args.length > 0 && args[0].equals("fit")) {
            org.conv4j.bench.calibrate.Fit.main(List.of(args).subList(1, args.length).toArray(new String[0]));
            return;
        }
        System.setProperty("java.awt.headless", "true");
        Options options;
        try {
            options = Options.parse(args, defaultOutput());
        } catch (IllegalArgumentException e) {
            System.err.println("conv-bench: " + e.getMessage());
            System.err.println("Run with --help for the options.");
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(Options.helpText());
            return;
        }
        if (options.list()) {
            list(System.out);
            return;
        }
        try {
            new CompareMain(options, System.out, List.of(args)).run();
        } catch (IllegalArgumentException e) {
            System.err.println("conv-bench: " + e.getMessage());
            System.exit(2);
        } catch (IOException e) {
            System.err.println("conv-bench: could not write the report: " + e);
            System.exit(1);
        }
    }

    /** {@code report/} beside the jar when run from a jar in a folder (target/), else {@code ./conv-bench-report}. */
    static Path defaultOutput() {
        try {
            Path code = Path.of(CompareMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(code) && code.getParent() != null) {
                return code.getParent().resolve("report");
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through
        }
        return Path.of("conv-bench-report");
    }

    static void list(PrintStream out) {
        out.println("Shapes (name: description; input * weight, FLOPs of one forward pass):");
        for (BenchShape s : ShapeCatalog.all()) {
            out.printf(Locale.ROOT, "  %-26s %s; %s, %s%n", s.name(), s.description(), s.summary(),
                    Tables.formatFlops(s.forwardFlops()));
        }
        out.println("Groups and selectors:");
        for (String g : ShapeCatalog.groupNames()) {
            out.printf(Locale.ROOT, "  %-14s %s%n", g, String.join(",", ShapeCatalog.group(g)));
        }
        out.println("Backends on the classpath (plus the ND4J peer): " + String.join(", ", Contenders.availableNames()));
    }

    void run() throws IOException {
        List<BenchShape> shapes = ShapeCatalog.select(options.shapes());
        List<Contender> contenders = Contenders.select(options.backends());
        List<ConvPass> passes = new ArrayList<>(options.passes());
        Runner runner = new Runner(options.reps(), options.warmupMs(), options.budgetMs());
        String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        long t0 = System.nanoTime();

        out.println("conv-bench: " + shapes.size() + " shapes x " + passes.size() + " passes x "
                + contenders.size() + " backends (" + names(contenders) + ")");
        out.println("machine: " + Machine.describe());
        out.println("settings: " + String.join("; ", Settings.inEffect()));

        if (contenders.stream().anyMatch(c -> c.name().equals(org.conv4j.bench.Nd4jConv.NAME))) {
            loadNd4j(); // load the native libraries now, not inside the first timed case's progress line
        }
        double sgemm = options.sgemm() ? sgemmProbe() : Double.NaN;

        List<CaseResult> all = new ArrayList<>();
        int total = shapes.size() * passes.size() * contenders.size();
        int done = 0;
        for (BenchShape shape : shapes) {
            List<CaseResult> shapeResults = new ArrayList<>();
            for (ConvPass pass : passes) {
                Problem problem = Problem.of(shape, pass, options.seed());
                Reference reference = null;
                boolean naiveSelected = contenders.get(0).name().equals("naive");
                if (!naiveSelected || contenders.get(0).skipReason(shape, pass) != null) {
                    reference = untimedNaiveReference(problem, pass);
                }
                for (Contender c : contenders) {
                    done++;
                    String prefix = String.format(Locale.ROOT, "[%3d/%3d] %-24s %-8s %-8s ", done, total,
                            shape.name(), pass.label(), c.name());
                    out.print(prefix);
                    out.flush();
                    CaseResult r = runCase(runner, c, problem, pass, reference);
                    if (r.ok() && c.name().equals("naive") && reference == null) {
                        reference = lastNaiveReference;
                    }
                    out.println(progress(r));
                    shapeResults.add(r);
                }
            }
            out.println();
            out.println(shape.name() + ": " + shape.description() + " [" + shape.summary() + ", "
                    + Tables.formatFlops(shape.forwardFlops()) + " forward]");
            out.print(table(Tables.HEADERS, Tables.shapeRows(shapeResults, sgemm)));
            out.println();
            all.addAll(shapeResults);
        }
        List<Network> networks = selectedNetworks(shapes);
        printNetworks(networks, all);
        List<SequenceResult> sequences = options.sequence() ? sequences(networks, contenders, passes, runner)
                : List.of();
        double minutes = (System.nanoTime() - t0) / 60e9;
        Files.createDirectories(options.out());
        Path report = Report.write(options, all, sequences, sgemm, started, minutes, commandLine);
        out.printf(Locale.ROOT, "Done in %.1f min. Report: %s%n", minutes, report.toAbsolutePath().normalize());
    }

    private Reference lastNaiveReference;

    /** A console table: aligned text, or Markdown with {@code --markdown}. */
    private String table(List<String> headers, List<List<String>> rows) {
        return options.markdown() ? Tables.markdown(headers, rows) : Tables.text(headers, rows);
    }

    /** The catalogue's networks whose every layer is among {@code shapes}. */
    static List<Network> selectedNetworks(List<BenchShape> shapes) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (BenchShape s : shapes) {
            names.add(s.name());
        }
        List<Network> networks = new ArrayList<>();
        for (Network n : ShapeCatalog.networks()) {
            if (n.layers().stream().allMatch(l -> names.contains(l.shape().name()))) {
                networks.add(n);
            }
        }
        return networks;
    }

    /** A table per network and pass (layers, counts, weighted totals), then the totals of every network. */
    private void printNetworks(List<Network> networks, List<CaseResult> all) {
        if (networks.isEmpty()) {
            return;
        }
        for (Network n : networks) {
            for (ConvPass pass : MeasuredPasses.ALL) {
                List<String> headers = new ArrayList<>();
                List<List<String>> rows = Tables.network(n, pass, all, headers);
                if (rows != null) {
                    out.println(n.name() + " " + pass.label() + ": " + n.title() + " at batch " + n.batch() + ", "
                            + n.layerCount() + " convolutions (" + n.layers().size() + " distinct), ms per call; "
                            + "total = sum of count x median");
                    out.print(table(headers, rows));
                    out.println();
                }
            }
        }
        List<String> headers = new ArrayList<>();
        List<List<String>> rows = Tables.networkTotals(networks, all, headers);
        out.println("Networks: total ms per pass (sum over layers of count x median)");
        out.print(table(headers, rows));
        out.println();
    }

    /**
     * Times each contender on each network's layers in sequence ({@link NetworkRun#sequence()}) and, right before,
     * each of the same prepared layers alone (the {@link Runner}'s policy per layer; the sum of count x median):
     * both sides measured back to back on the same data and buffers, so that their ratio is the cost of running
     * the layers one after another.
     */
    private List<SequenceResult> sequences(List<Network> networks, List<Contender> contenders, List<ConvPass> passes,
                                           Runner runner) {
        List<SequenceResult> results = new ArrayList<>();
        for (Network n : networks) {
            for (ConvPass pass : passes) {
                for (Contender c : contenders) {
                    out.printf(Locale.ROOT, "sequence %-22s %-8s %-16s ", n.name(), pass.label(), c.name());
                    out.flush();
                    SequenceResult r = timeSequence(n, c, pass, runner);
                    out.println(r.note().isEmpty() ? String.format(Locale.ROOT, "%10s ms, alone %s ms, ratio %.2f",
                            Tables.formatMs(r.sequenceNs() / 1e6), Tables.formatMs(r.aloneNs() / 1e6), r.ratio())
                            : r.note());
                    results.add(r);
                }
            }
        }
        if (!results.isEmpty()) {
            out.println();
            out.println("Sequence: each network's layers one after another against the same layers timed alone");
            out.print(table(Tables.SEQUENCE_HEADERS, Tables.sequenceRows(results)));
            out.println();
        }
        return results;
    }

    private SequenceResult timeSequence(Network n, Contender c, ConvPass pass, Runner runner) {
        try {
            NetworkRun network = NetworkRun.prepare(n, c, pass, options.seed());
            double alone = 0;
            for (int i = 0; i < n.layers().size(); i++) {
                alone += n.layers().get(i).count() * Measure.median(runner.time(network.runs().get(i)).nanos());
            }
            Runner.Timed timed = runner.time(Contender.Run.of(network::sequence));
            return new SequenceResult(n, pass, c.name(), Measure.median(timed.nanos()), alone, "");
        } catch (IllegalArgumentException e) {
            return new SequenceResult(n, pass, c.name(), Double.NaN, Double.NaN, "skipped: " + e.getMessage());
        } catch (RuntimeException | OutOfMemoryError | LinkageError e) {
            return new SequenceResult(n, pass, c.name(), Double.NaN, Double.NaN, "failed: "
                    + String.valueOf(e).replace('\n', ' '));
        }
    }

    private CaseResult runCase(Runner runner, Contender c, Problem problem, ConvPass pass, Reference reference) {
        BenchShape shape = problem.shape();
        String skip = c.skipReason(shape, pass);
        if (skip != null) {
            return CaseResult.skipped(shape, pass, c.name(), skip);
        }
        try {
            Contender.Run run = c.prepare(problem, pass);
            Runner.Timed timed = runner.time(run);
            double[] diff;
            if (c.name().equals("naive") && reference == null) {
                lastNaiveReference = Reference.whole(run, pass);
                diff = new double[] {0, 0};
            } else {
                diff = reference == null ? new double[] {Double.NaN, Double.NaN} : reference.diff(run, pass);
            }
            return new CaseResult(shape, pass, c.name(), CaseResult.Status.OK, Measure.median(timed.nanos()),
                    timed.nanos().length, diff[0], diff[1], c.name().equals("naive") ? "reference"
                            : reference == null ? "no naive reference (too big)"
                            : reference.scope().isEmpty() ? "" : "diff on a slice: " + reference.scope());
        } catch (RuntimeException | OutOfMemoryError | LinkageError e) {
            return CaseResult.failed(shape, pass, c.name(), String.valueOf(e).replace('\n', ' '));
        }
    }

    /** The naive reference when naive is not timed: whole or a slice ({@link Reference#naive}), or null. */
    private Reference untimedNaiveReference(Problem problem, ConvPass pass) {
        org.conv4j.api.ConvBackend naive;
        try {
            naive = org.conv4j.api.Conv2d.backend("naive");
        } catch (IllegalArgumentException e) {
            return null; // no naive backend on the classpath
        }
        try {
            return Reference.naive(naive, problem, pass);
        } catch (RuntimeException | OutOfMemoryError e) {
            out.println("(no naive reference for " + problem.shape().name() + " " + pass.label() + ": " + e + ")");
            return null;
        }
    }

    private void loadNd4j() {
        out.print("loading ND4J ... ");
        out.flush();
        try {
            org.conv4j.openblas.OpenBlasSetup.ensureLoaded();
            org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1);
            out.println("ok; " + Machine.openBlas());
        } catch (RuntimeException | LinkageError e) {
            out.println("failed: " + e + " (the nd4j column will show the failure)");
        }
    }

    private double sgemmProbe() {
        out.print("sgemm probe: " + SgemmProbe.DEFAULT_SIZE + "x" + SgemmProbe.DEFAULT_SIZE + " via ND4J mmul ... ");
        out.flush();
        try {
            SgemmProbe probe = new SgemmProbe(SgemmProbe.DEFAULT_SIZE, options.seed());
            Runner probeRunner = new Runner(5, 500, 3000);
            Runner.Timed t = probeRunner.time(Contender.Run.of(probe::run));
            double g = Measure.gflops(probe.flops(), Measure.median(t.nanos()));
            out.printf(Locale.ROOT, "%.1f GFLOP/s (median of %d)%n", g, t.nanos().length);
            return g;
        } catch (RuntimeException | LinkageError e) {
            out.println("failed: " + e);
            return Double.NaN;
        }
    }

    private static String progress(CaseResult r) {
        return switch (r.status()) {
            case OK -> String.format(Locale.ROOT, "%10s ms %8s GFLOP/s  max|diff| %s  (%d timed)",
                    Tables.formatMs(r.medianMs()), Tables.formatGflops(r.gflops()), Tables.formatDiff(r.maxDiff()),
                    r.reps());
            case SKIPPED -> "skipped: " + r.note();
            case FAILED -> "FAILED: " + r.note();
        };
    }

    private static String names(List<Contender> contenders) {
        List<String> n = new ArrayList<>();
        for (Contender c : contenders) {
            n.add(c.name());
        }
        return String.join(", ", n);
    }
}
