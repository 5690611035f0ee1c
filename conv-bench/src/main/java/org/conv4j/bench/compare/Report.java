package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.conv4j.api.Conv2d;
import org.conv4j.api.ConvPlan;
import org.conv4j.api.Settings;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.MeasuredPasses;
import org.conv4j.bench.SkipRule;

/** Writes {@code report.md} and the charts into the output folder. */
final class Report {

    private Report() {
    }

    static Path write(Options o, List<CaseResult> results, List<SequenceResult> sequences, double sgemm,
                      String started, double minutes, List<String> args) throws IOException {
        Path dir = o.out();
        StringBuilder md = new StringBuilder();
        md.append("# conv4j backend comparison\n\n");
        md.append("- started: ").append(started).append(String.format(Locale.ROOT, " (%.1f min)%n", minutes));
        md.append("- command: `java -jar conv-bench/target/conv-bench.jar");
        for (String a : args) {
            md.append(' ').append(a);
        }
        md.append("`\n");
        md.append("- machine: ").append(Machine.describe()).append('\n');
        md.append("- settings: ").append(String.join("; ", Settings.inEffect())).append('\n');
        if (results.stream().anyMatch(r -> r.contender().equals(org.conv4j.bench.Nd4jConv.NAME)) || !Double.isNaN(sgemm)) {
            md.append("- BLAS: ").append(Machine.openBlas()).append('\n');
        }
        md.append(String.format(Locale.ROOT, "- policy: warm-up %d ms, then at most %d timed calls or %d ms; "
                + "median reported; seed %d%n", o.warmupMs(), o.reps(), o.budgetMs(), o.seed()));
        md.append(String.format(Locale.ROOT, "- skip rule: naive timed up to %.1f GFLOP per pass, used as the "
                + "reference up to %.1f GFLOP%n", SkipRule.NAIVE_MAX_FLOPS / 1e9, SkipRule.NAIVE_REFERENCE_MAX_FLOPS / 1e9));
        md.append("- sgemm probe (2048x2048 ND4J mmul): ")
                .append(Double.isNaN(sgemm) ? "not run" : String.format(Locale.ROOT, "%.1f GFLOP/s", sgemm)).append('\n');
        md.append("- GFLOP/s counts 2 FLOPs per multiply-add; a backward pass counts twice the forward FLOPs "
                + "(dL/dx and dL/dw). Wall-clock timing in one JVM: a quick comparison; use JMH for "
                + "publishable numbers.\n\n");

        if (o.charts()) {
            for (ConvPass pass : MeasuredPasses.ALL) {
                image(md, () -> Charts.scaling(results, pass, dir));
            }
            for (ConvPass pass : MeasuredPasses.ALL) {
                image(md, () -> Charts.overview(results, pass, dir));
            }
        }

        md.append("## Summary: median ms per call (GFLOP/s)\n\n");
        List<String> headers = new ArrayList<>();
        List<List<String>> summary = Tables.summary(results, headers);
        md.append(Tables.markdown(headers, summary)).append('\n');

        List<List<String>> facade = Tables.facade(results, Report::facadeChoice);
        if (!facade.isEmpty()) {
            md.append("## The facade against the fastest backend\n\n");
            md.append("`conv2d` is `Conv2d`'s default choice (each backend's estimate), `conv2d-autotune` its autotune "
                    + "mode after the first calls (timed after the warm-up, when the choice has settled). The ratio "
                    + "is the facade's median over the fastest backend's; 'ran' is the backend the facade chose.\n\n");
            md.append(Tables.markdown(Tables.FACADE_HEADERS, facade)).append('\n');
        }

        List<org.conv4j.bench.Network> networks = new ArrayList<>();
        for (org.conv4j.bench.Network n : org.conv4j.bench.ShapeCatalog.networks()) {
            if (n.layers().stream().allMatch(l -> results.stream().anyMatch(r -> r.shape().equals(l.shape())))) {
                networks.add(n);
            }
        }
        if (!networks.isEmpty()) {
            md.append("## Networks\n\n");
            md.append("Each network's convolution time: the sum over its distinct layers of the occurrence count times "
                    + "the median of one call, in ms. 'fastest per layer' sums each layer's fastest conv4j backend "
                    + "(the facade's best possible choice); the last columns are the facade's totals over it.\n\n");
            List<String> totalHeaders = new ArrayList<>();
            List<List<String>> totals = Tables.networkTotals(networks, results, totalHeaders);
            md.append(Tables.markdown(totalHeaders, totals)).append('\n');
            if (!sequences.isEmpty()) {
                md.append("### In sequence\n\n");
                md.append("Every call of the network, one after another in network order (`--sequence`), against the "
                        + "sum of the same prepared layers each timed alone right before (count x median): the ratio "
                        + "is the cost of running the layers in turn, e.g. on different backends.\n\n");
                md.append(Tables.markdown(Tables.SEQUENCE_HEADERS, Tables.sequenceRows(sequences))).append('\n');
            }
            for (org.conv4j.bench.Network n : networks) {
                for (ConvPass pass : MeasuredPasses.ALL) {
                    List<String> netHeaders = new ArrayList<>();
                    List<List<String>> rows = Tables.network(n, pass, results, netHeaders);
                    if (rows != null) {
                        md.append("### ").append(n.name()).append(' ').append(pass.label()).append("\n\n");
                        md.append(n.title()).append(" at batch ").append(n.batch()).append(": ").append(n.layerCount())
                                .append(" convolutions, ").append(n.layers().size())
                                .append(" distinct; ms per call, total = sum of count x median.\n\n");
                        md.append(Tables.markdown(netHeaders, rows)).append('\n');
                    }
                }
            }
        }

        Map<BenchShape, List<CaseResult>> byShape = new LinkedHashMap<>();
        for (CaseResult r : results) {
            byShape.computeIfAbsent(r.shape(), k -> new ArrayList<>()).add(r);
        }
        for (Map.Entry<BenchShape, List<CaseResult>> e : byShape.entrySet()) {
            BenchShape s = e.getKey();
            md.append("## ").append(s.name()).append("\n\n");
            md.append(s.description()).append(" — `").append(s.summary()).append("`, ")
                    .append(Tables.formatFlops(s.forwardFlops())).append(" forward\n\n");
            md.append(Tables.markdown(Tables.HEADERS, Tables.shapeRows(e.getValue(), sgemm))).append('\n');
            if (o.charts() && !s.group().equals("single-channel-2x2")) {
                image(md, () -> Charts.layer(e.getValue(), dir));
            }
        }
        Path file = dir.resolve("report.md");
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        return file;
    }

    /** Writes one chart; a chart that cannot be drawn is reported in the Markdown and the run goes on. */
    private static void image(StringBuilder md, ChartWriter writer) {
        try {
            String f = writer.write();
            if (f != null) {
                md.append("![").append(f).append("](").append(f).append(")\n\n");
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("conv-bench: chart not written: " + e);
            md.append("(chart not written: ").append(e.getMessage()).append(")\n\n");
        }
    }

    private interface ChartWriter {
        String write() throws IOException;
    }

    /**
     * The backend a facade contender ran for its case: the estimated choice for {@code conv2d}, the settled
     * autotune decision for {@code conv2d-autotune} (null if there is none).
     */
    static String facadeChoice(CaseResult r) {
        ConvPlan plan = r.contender().equals("conv2d-autotune")
                ? Conv2d.autotunedPlan(r.shape().geometry(), r.pass())
                : Conv2d.plan(r.shape().geometry(), r.pass());
        return plan == null ? null : plan.backend().name();
    }
}
