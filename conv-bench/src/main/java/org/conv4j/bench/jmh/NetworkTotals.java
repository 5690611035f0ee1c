package org.conv4j.bench.jmh;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.conv4j.bench.Network;
import org.conv4j.bench.ShapeCatalog;
import org.conv4j.bench.compare.Tables;

/**
 * Per-network totals of a JMH run over network layers, from its CSV result file:
 * {@code java -jar benchmarks.jar totals results.csv} after a run with {@code -rf csv -rff results.csv}.
 *
 * <p>Rows are grouped by benchmark method and every parameter except {@code shape}; within a group, each
 * catalogue network whose every layer has a score gets the total {@code sum over layers of count * score} (the
 * network's time when the scores are times per call, as in {@link ConvBench}, {@link GradientBench} and
 * {@link KernelLimitBench}). Where the same run has {@link KernelLimitBench} totals for the network, the pass
 * ({@code forward} or {@code backward}) and layout {@code any}, the table adds each total's ratio to that kernel
 * limit ({@code x limit}: 1.00 is as fast as oneDNN's primitive alone).
 */
public final class NetworkTotals {

    private static final String LIMIT = KernelLimitBench.class.getSimpleName() + ".";

    private NetworkTotals() {
    }

    /** One score: the benchmark (simple class name and method), the parameters but the shape, the shape. */
    record Score(String benchmark, String params, String shape, double score, String unit) {
    }

    /** Headers of {@link #rows}. */
    static final List<String> HEADERS = List.of("network", "benchmark", "params", "layers", "total", "unit",
            "x limit");

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java -jar benchmarks.jar totals RESULTS.csv (a JMH run with -rf csv)");
            System.exit(2);
            return;
        }
        print(parse(Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)), System.out);
    }

    static void print(List<Score> scores, PrintStream out) {
        out.print(Tables.text(HEADERS, rows(scores)));
    }

    /**
     * Reads JMH's CSV: a header row naming the columns ({@code Benchmark}, {@code Score}, {@code Unit},
     * {@code Param: name}, ...), then one row per result. Rows without a {@code shape} parameter are left out.
     *
     * @throws IllegalArgumentException if a needed column is missing
     */
    static List<Score> parse(List<String> lines) {
        List<Score> scores = new ArrayList<>();
        if (lines.isEmpty()) {
            return scores;
        }
        List<String> header = split(lines.get(0));
        int benchmark = column(header, "Benchmark");
        int score = column(header, "Score");
        int unit = column(header, "Unit");
        int shape = header.indexOf("Param: shape");
        if (shape < 0) {
            return scores;
        }
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = split(line);
            String s = cells.get(shape);
            if (s.isEmpty()) {
                continue;
            }
            StringBuilder params = new StringBuilder();
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).startsWith("Param: ") && i != shape && !cells.get(i).isEmpty()) {
                    params.append(params.length() == 0 ? "" : " ").append(header.get(i).substring(7)).append('=')
                            .append(cells.get(i));
                }
            }
            String b = cells.get(benchmark);
            int dot = b.lastIndexOf('.', b.lastIndexOf('.') - 1);
            scores.add(new Score(b.substring(dot + 1), params.toString(), s,
                    Double.parseDouble(cells.get(score).replace(',', '.')), cells.get(unit)));
        }
        return scores;
    }

    private static int column(List<String> header, String name) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("results: expected a JMH CSV with a \"" + name + "\" column, got "
                    + header);
        }
        return i;
    }

    /** One CSV line into cells; double quotes around a cell are removed. */
    static List<String> split(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }

    /** The table: one row per (network, benchmark, parameters) whose every layer has a score. */
    static List<List<String>> rows(List<Score> scores) {
        Map<String, Map<String, Score>> groups = new LinkedHashMap<>();
        for (Score s : scores) {
            groups.computeIfAbsent(s.benchmark() + "\t" + s.params(), k -> new LinkedHashMap<>()).put(s.shape(), s);
        }
        Map<String, Double> limits = new LinkedHashMap<>();
        List<Object[]> totals = new ArrayList<>();
        for (Network n : ShapeCatalog.networks()) {
            for (Map.Entry<String, Map<String, Score>> g : groups.entrySet()) {
                double total = 0;
                String unit = null;
                for (Network.Layer l : n.layers()) {
                    Score s = g.getValue().get(l.shape().name());
                    if (s == null) {
                        total = Double.NaN;
                        break;
                    }
                    total += l.count() * s.score();
                    unit = s.unit();
                }
                if (Double.isNaN(total)) {
                    continue;
                }
                String[] key = g.getKey().split("\t", -1);
                totals.add(new Object[] {n, key[0], key[1], total, unit});
                if (key[0].startsWith(LIMIT) && (key[1].isEmpty() || key[1].contains("layout=any"))) {
                    limits.put(n.name() + "\t" + key[0].substring(LIMIT.length()), total);
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (Object[] t : totals) {
            Network n = (Network) t[0];
            String benchmark = (String) t[1];
            double total = (Double) t[3];
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            Double limit = limits.get(n.name() + "\t" + method);
            rows.add(List.of(n.name(), benchmark, (String) t[2], String.valueOf(n.layerCount()),
                    String.format(Locale.ROOT, "%.3f", total), (String) t[4],
                    limit == null ? Tables.NONE : String.format(Locale.ROOT, "%.2f", total / limit)));
        }
        return rows;
    }
}
