package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.MeasuredPasses;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formats results as aligned text tables (console) and Markdown tables (report). Pure functions. */
public final class Tables {

    /** Shown in a cell that has no value. */
    public static final String NONE = "-";

    /** Column headers of a per-shape table. */
    public static final List<String> HEADERS = List.of("backend", "pass", "median ms", "GFLOP/s", "% sgemm",
            "x naive", "max |diff|", "rel diff", "note");

    private Tables() {
    }

    /**
     * The rows of one shape's table: one per result, in the order given. "x naive" is the naive median of
     * the same pass divided by this result's median; "% sgemm" is GFLOP/s relative to the sgemm probe
     * ({@code sgemmGflops}, NaN if not measured).
     */
    public static List<List<String>> shapeRows(List<CaseResult> results, double sgemmGflops) {
        List<List<String>> rows = new ArrayList<>();
        for (CaseResult r : results) {
            double naive = naiveMedian(results, r.pass());
            List<String> row = new ArrayList<>();
            row.add(r.contender());
            row.add(r.pass().label());
            if (r.ok()) {
                row.add(formatMs(r.medianMs()));
                row.add(formatGflops(r.gflops()));
                row.add(Double.isNaN(sgemmGflops) ? NONE : formatPercent(r.gflops() / sgemmGflops));
                row.add(Double.isNaN(naive) ? NONE : formatSpeedUp(Measure.speedUp(naive, r.medianNs())));
                row.add(formatDiff(r.maxDiff()));
                row.add(formatDiff(r.relDiff()));
            } else {
                for (int i = 0; i < 6; i++) {
                    row.add(NONE);
                }
            }
            row.add(r.ok() ? r.note() : r.status().name().toLowerCase(Locale.ROOT) + ": " + r.note());
            rows.add(row);
        }
        return rows;
    }

    /** Headers of {@link #facade}. */
    public static final List<String> FACADE_HEADERS = List.of("shape", "pass", "fastest backend", "ms",
            "conv2d ms", "conv2d / fastest", "conv2d ran", "conv2d-autotune ms", "autotune / fastest", "autotune ran");

    /** The facade contenders, which choose among the backends rather than being one. */
    public static final List<String> FACADES = List.of("conv2d", "conv2d-autotune");

    /**
     * The facade against the backends: one row per (shape, pass) where a facade ran, with the fastest conv4j
     * backend of that case (ND4J is not one the facade can choose), each facade's median as a ratio to it
     * (1.00 = as fast; below 1 = within the noise of the fastest) and the backend {@code ran} says it chose
     * ({@link #NONE} if unknown): where a facade ran the fastest backend, a ratio above 1 is the spread between
     * two measurements of the same backend.
     */
    public static List<List<String>> facade(List<CaseResult> results, java.util.function.Function<CaseResult, String> ran) {
        java.util.LinkedHashMap<String, java.util.List<CaseResult>> byCase = new java.util.LinkedHashMap<>();
        for (CaseResult r : results) {
            byCase.computeIfAbsent(r.shape().name() + "\t" + r.pass().label(), k -> new ArrayList<>()).add(r);
        }
        List<List<String>> rows = new ArrayList<>();
        for (java.util.List<CaseResult> rs : byCase.values()) {
            CaseResult fastest = null;
            java.util.Map<String, CaseResult> facades = new java.util.HashMap<>();
            for (CaseResult r : rs) {
                if (!r.ok()) {
                    continue;
                }
                if (FACADES.contains(r.contender())) {
                    facades.put(r.contender(), r);
                } else if (!PEERS.contains(r.contender())
                        && (fastest == null || r.medianNs() < fastest.medianNs())) {
                    fastest = r;
                }
            }
            if (fastest == null || facades.isEmpty()) {
                continue;
            }
            List<String> row = new ArrayList<>();
            row.add(fastest.shape().name());
            row.add(fastest.pass().label());
            row.add(fastest.contender());
            row.add(formatMs(fastest.medianMs()));
            for (String f : FACADES) {
                CaseResult r = facades.get(f);
                row.add(r == null ? NONE : formatMs(r.medianMs()));
                row.add(r == null ? NONE : String.format(Locale.ROOT, "%.2f", r.medianNs() / fastest.medianNs()));
                String chosen = r == null ? null : ran.apply(r);
                row.add(chosen == null ? NONE : chosen);
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * A compact overview: one row per (shape, pass) in first-seen order, one column per contender (in
     * first-seen order) holding "median ms (GFLOP/s)", or {@link #NONE} where the case did not run.
     * The first two headers are "shape" and "pass".
     */
    public static List<List<String>> summary(List<CaseResult> results, List<String> headersOut) {
        java.util.LinkedHashSet<String> contenders = new java.util.LinkedHashSet<>();
        java.util.LinkedHashMap<String, java.util.Map<String, CaseResult>> rowsByKey = new java.util.LinkedHashMap<>();
        for (CaseResult r : results) {
            contenders.add(r.contender());
            rowsByKey.computeIfAbsent(r.shape().name() + "\u0000" + r.pass().label(), k -> new java.util.HashMap<>())
                    .put(r.contender(), r);
        }
        headersOut.clear();
        headersOut.add("shape");
        headersOut.add("pass");
        headersOut.addAll(contenders);
        List<List<String>> rows = new ArrayList<>();
        for (java.util.Map.Entry<String, java.util.Map<String, CaseResult>> e : rowsByKey.entrySet()) {
            String[] key = e.getKey().split("\u0000");
            List<String> row = new ArrayList<>(List.of(key[0], key[1]));
            for (String c : contenders) {
                CaseResult r = e.getValue().get(c);
                row.add(r == null || !r.ok() ? NONE
                        : formatMs(r.medianMs()) + " (" + formatGflops(r.gflops()) + ")");
            }
            rows.add(row);
        }
        return rows;
    }

    /**
     * Contenders that are not conv4j backends the facade could choose (peers measured for comparison); they are
     * left out of "fastest backend" and "fastest per layer".
     */
    public static final List<String> PEERS = List.of(org.conv4j.bench.Nd4jConv.NAME,
            org.conv4j.bench.KernelLimitContender.NAME, org.conv4j.bench.Contenders.PYTORCH);

    /** The pseudo-contender of {@link #network} and {@link #networkTotals}: each layer's fastest conv4j backend. */
    public static final String FASTEST_PER_LAYER = "fastest per layer";

    /** Whether {@code contender} is one of the backends the facade chooses among (not a facade, not a peer). */
    static boolean isBackend(String contender) {
        return !FACADES.contains(contender) && !PEERS.contains(contender);
    }

    /**
     * One network's table for one pass: a row per distinct layer (shape name, occurrence count, then each
     * contender's median ms of one call, then the fastest conv4j backend's name and ms), and a last row
     * {@code total} with each contender's sum over the layers of {@code count * median}: the network's
     * convolution time. A contender's total is {@link #NONE} unless every layer ran. Contenders in first-seen
     * order; null if no layer of the network has a result for {@code pass}.
     */
    public static List<List<String>> network(org.conv4j.bench.Network net, ConvPass pass, List<CaseResult> results,
                                             List<String> headersOut) {
        java.util.Map<String, java.util.Map<String, CaseResult>> byShape = index(results, pass);
        java.util.LinkedHashSet<String> contenders = new java.util.LinkedHashSet<>();
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            java.util.Map<String, CaseResult> rs = byShape.get(l.shape().name());
            if (rs != null) {
                contenders.addAll(rs.keySet());
            }
        }
        if (contenders.isEmpty()) {
            return null;
        }
        headersOut.clear();
        headersOut.add("layer");
        headersOut.add("count");
        headersOut.addAll(contenders);
        headersOut.add("fastest");
        headersOut.add(FASTEST_PER_LAYER);
        java.util.Map<String, Double> totals = new java.util.LinkedHashMap<>();
        for (String c : contenders) {
            totals.put(c, 0.0);
        }
        double fastestTotal = 0;
        List<List<String>> rows = new ArrayList<>();
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            java.util.Map<String, CaseResult> rs = byShape.getOrDefault(l.shape().name(), java.util.Map.of());
            List<String> row = new ArrayList<>(List.of(l.shape().name(), String.valueOf(l.count())));
            for (String c : contenders) {
                CaseResult r = rs.get(c);
                boolean ok = r != null && r.ok();
                row.add(ok ? formatMs(r.medianMs()) : NONE);
                totals.computeIfPresent(c, (k, t) -> ok ? t + l.count() * r.medianNs() : Double.NaN);
            }
            CaseResult fastest = fastestBackend(rs.values());
            row.add(fastest == null ? NONE : fastest.contender());
            row.add(fastest == null ? NONE : formatMs(fastest.medianMs()));
            fastestTotal += fastest == null ? Double.NaN : l.count() * fastest.medianNs();
            rows.add(row);
        }
        List<String> total = new ArrayList<>(List.of("total", String.valueOf(net.layerCount())));
        for (String c : contenders) {
            total.add(formatMs(totals.get(c) / 1e6));
        }
        total.add("");
        total.add(formatMs(fastestTotal / 1e6));
        rows.add(total);
        return rows;
    }

    /** Headers of {@link #sequenceRows}. */
    public static final List<String> SEQUENCE_HEADERS = List.of("network", "pass", "backend", "sequence ms",
            "alone ms", "sequence / alone", "note");

    /**
     * One row per sequence result: the time of the network's layers in sequence, the sum of the same layers
     * timed alone, and their ratio (above 1: running the layers one after another costs more than each alone).
     */
    public static List<List<String>> sequenceRows(List<SequenceResult> results) {
        List<List<String>> rows = new ArrayList<>();
        for (SequenceResult r : results) {
            double ratio = r.ratio();
            rows.add(List.of(r.network().name(), r.pass().label(), r.contender(), formatMs(r.sequenceNs() / 1e6),
                    formatMs(r.aloneNs() / 1e6), Double.isNaN(ratio) ? NONE : String.format(Locale.ROOT, "%.2f", ratio),
                    r.note()));
        }
        return rows;
    }

    /** Headers of {@link #networkTotals} before the contenders' columns. */
    public static final List<String> NETWORK_TOTAL_HEADERS = List.of("network", "pass", "layers", "GFLOP");

    /**
     * Every network of {@code networks} that has results, per pass: its weighted total ms
     * ({@code sum count * median}) for each contender ({@link #NONE} unless every layer ran), the sum of each
     * layer's fastest conv4j backend ({@link #FASTEST_PER_LAYER}), and each facade's total as a ratio to that
     * sum ({@code conv2d / fastest}, {@code conv2d-autotune / fastest}; 1.00 = the facade chose the fastest
     * backend on every layer) and, when the kernel limit ran, to its total ({@code conv2d / limit}, ...).
     */
    public static List<List<String>> networkTotals(List<org.conv4j.bench.Network> networks, List<CaseResult> results,
                                                   List<String> headersOut) {
        java.util.LinkedHashSet<String> contenders = new java.util.LinkedHashSet<>();
        for (CaseResult r : results) {
            contenders.add(r.contender());
        }
        headersOut.clear();
        headersOut.addAll(NETWORK_TOTAL_HEADERS);
        headersOut.addAll(contenders);
        headersOut.add(FASTEST_PER_LAYER);
        for (String f : FACADES) {
            if (contenders.contains(f)) {
                headersOut.add(f + " / fastest");
            }
        }
        boolean limit = contenders.contains(org.conv4j.bench.KernelLimitContender.NAME);
        if (limit) {
            for (String f : FACADES) {
                if (contenders.contains(f)) {
                    headersOut.add(f + " / limit");
                }
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (ConvPass pass : MeasuredPasses.ALL) {
            java.util.Map<String, java.util.Map<String, CaseResult>> byShape = index(results, pass);
            for (org.conv4j.bench.Network net : networks) {
                if (net.layers().stream().noneMatch(l -> byShape.containsKey(l.shape().name()))) {
                    continue;
                }
                List<String> row = new ArrayList<>(List.of(net.name(), pass.label(), String.valueOf(net.layerCount()),
                        String.format(Locale.ROOT, "%.2f", net.flops(pass) / 1e9)));
                java.util.Map<String, Double> totals = new java.util.HashMap<>();
                for (String c : contenders) {
                    double t = networkNanos(net, byShape, c);
                    totals.put(c, t);
                    row.add(formatMs(t / 1e6));
                }
                double fastest = 0;
                for (org.conv4j.bench.Network.Layer l : net.layers()) {
                    CaseResult f = fastestBackend(byShape.getOrDefault(l.shape().name(), java.util.Map.of()).values());
                    fastest += f == null ? Double.NaN : l.count() * f.medianNs();
                }
                row.add(formatMs(fastest / 1e6));
                for (String f : FACADES) {
                    if (contenders.contains(f)) {
                        row.add(ratio(totals.get(f), fastest));
                    }
                }
                if (limit) {
                    for (String f : FACADES) {
                        if (contenders.contains(f)) {
                            row.add(ratio(totals.get(f), totals.get(org.conv4j.bench.KernelLimitContender.NAME)));
                        }
                    }
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** {@code a / b} with two decimals, or {@link #NONE} if either is missing. */
    private static String ratio(double a, double b) {
        double r = a / b;
        return Double.isNaN(r) ? NONE : String.format(Locale.ROOT, "%.2f", r);
    }

    /** A network's weighted total for one contender, ns: {@code sum count * median}; NaN unless every layer ran. */
    static double networkNanos(org.conv4j.bench.Network net, java.util.Map<String, java.util.Map<String, CaseResult>> byShape,
                               String contender) {
        double sum = 0;
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            CaseResult r = byShape.getOrDefault(l.shape().name(), java.util.Map.of()).get(contender);
            if (r == null || !r.ok()) {
                return Double.NaN;
            }
            sum += l.count() * r.medianNs();
        }
        return sum;
    }

    /** Results of one pass by shape name, then contender. */
    static java.util.Map<String, java.util.Map<String, CaseResult>> index(List<CaseResult> results, ConvPass pass) {
        java.util.Map<String, java.util.Map<String, CaseResult>> byShape = new java.util.HashMap<>();
        for (CaseResult r : results) {
            if (r.pass() == pass) {
                byShape.computeIfAbsent(r.shape().name(), k -> new java.util.LinkedHashMap<>()).put(r.contender(), r);
            }
        }
        return byShape;
    }

    /** The fastest of the results that ran and are conv4j backends, or null. */
    private static CaseResult fastestBackend(java.util.Collection<CaseResult> rs) {
        CaseResult fastest = null;
        for (CaseResult r : rs) {
            if (r.ok() && isBackend(r.contender()) && (fastest == null || r.medianNs() < fastest.medianNs())) {
                fastest = r;
            }
        }
        return fastest;
    }

    private static double naiveMedian(List<CaseResult> results, ConvPass pass) {
        for (CaseResult r : results) {
            if (r.ok() && r.pass() == pass && r.contender().equals("naive")) {
                return r.medianNs();
            }
        }
        return Double.NaN;
    }

    /** A FLOP count with an SI prefix and three significant digits, e.g. {@code 1.60 kFLOP}, {@code 231 MFLOP}. */
    public static String formatFlops(long flops) {
        String[] units = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP"};
        double v = flops;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        String num = v >= 100 || u == 0 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        return num + " " + units[u];
    }

    /** Milliseconds with three significant digits, e.g. {@code 0.0123}, {@code 1.23}, {@code 123}, {@code 12345}. */
    public static String formatMs(double ms) {
        if (Double.isNaN(ms)) {
            return NONE;
        }
        if (ms >= 100) {
            return String.format(Locale.ROOT, "%.0f", ms);
        }
        if (ms >= 10) {
            return String.format(Locale.ROOT, "%.1f", ms);
        }
        if (ms >= 1) {
            return String.format(Locale.ROOT, "%.2f", ms);
        }
        return String.format(Locale.ROOT, "%.3g", ms);
    }

    /** Two decimals under 100 (two significant digits under 0.1), none above, e.g. {@code 0.0012}, {@code 3.40}, {@code 187}. */
    public static String formatGflops(double g) {
        if (Double.isNaN(g)) {
            return NONE;
        }
        if (g >= 100) {
            return String.format(Locale.ROOT, "%.0f", g);
        }
        return g >= 0.1 || g == 0 ? String.format(Locale.ROOT, "%.2f", g) : String.format(Locale.ROOT, "%.2g", g);
    }

    /** A fraction as a percentage, e.g. {@code 0.374 -> 37%}, {@code 0.004 -> 0.4%}. */
    public static String formatPercent(double fraction) {
        if (Double.isNaN(fraction)) {
            return NONE;
        }
        double p = fraction * 100;
        if (p >= 10) {
            return String.format(Locale.ROOT, "%.0f%%", p);
        }
        return p >= 0.1 || p == 0 ? String.format(Locale.ROOT, "%.1f%%", p) : String.format(Locale.ROOT, "%.2g%%", p);
    }

    /** E.g. {@code 1.0x}, {@code 23.4x}, {@code 1234x}. */
    public static String formatSpeedUp(double s) {
        if (Double.isNaN(s)) {
            return NONE;
        }
        if (s >= 100) {
            return String.format(Locale.ROOT, "%.0fx", s);
        }
        return s >= 0.1 ? String.format(Locale.ROOT, "%.1fx", s) : String.format(Locale.ROOT, "%.2gx", s);
    }

    /** {@code 0} stays {@code 0}; others in scientific notation, e.g. {@code 3.1e-06}; NaN is {@link #NONE}. */
    public static String formatDiff(double d) {
        if (Double.isNaN(d)) {
            return NONE;
        }
        if (d == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, "%.1e", d);
    }

    /** A plain-text table: columns padded to their widest cell, two spaces apart, a dashed rule under the header. */
    public static String text(List<String> headers, List<List<String>> rows) {
        int[] width = new int[headers.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = headers.get(c).length();
            for (List<String> row : rows) {
                width[c] = Math.max(width[c], row.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendTextRow(sb, headers, width);
        List<String> rule = new ArrayList<>();
        for (int w : width) {
            rule.add("-".repeat(w));
        }
        appendTextRow(sb, rule, width);
        for (List<String> row : rows) {
            appendTextRow(sb, row, width);
        }
        return sb.toString();
    }

    private static void appendTextRow(StringBuilder sb, List<String> cells, int[] width) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            String cell = cells.get(c);
            if (c > 0) {
                line.append("  ");
            }
            // numbers right-aligned, words left-aligned
            boolean numeric = !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || cell.equals(NONE));
            String pad = " ".repeat(width[c] - cell.length());
            line.append(numeric && c > 1 ? pad + cell : cell + pad);
        }
        sb.append(line.toString().stripTrailing()).append('\n');
    }

    /** A GitHub-flavoured Markdown table; {@code |} inside cells is escaped. */
    public static String markdown(List<String> headers, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(mdRow(headers));
        List<String> rule = new ArrayList<>();
        for (int i = 0; i < headers.size(); i++) {
            rule.add(i < 2 ? "---" : "--:");
        }
        sb.append(mdRow(rule));
        for (List<String> row : rows) {
            sb.append(mdRow(row));
        }
        return sb.toString();
    }

    private static String mdRow(List<String> cells) {
        StringBuilder sb = new StringBuilder("|");
        for (String c : cells) {
            sb.append(' ').append(c.replace("|", "\\|")).append(" |");
        }
        return sb.append('\n').toString();
    }
}
