package org.conv4j.bench.compare;

import org.conv4j.api.ConvPass;
import org.conv4j.bench.MeasuredPasses;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * PNG charts with XChart: time against input size for the single-channel scaling case (one line per backend,
 * log time axis), a GFLOP/s bar chart per layer (one bar per backend and pass), and an overview of all
 * layers per pass. Cases that did not run are left out (a bar of 0 would read as a measurement).
 */
final class Charts {

    static final int WIDTH = 800;
    static final int HEIGHT = 480;

    private Charts() {
    }

    /** Writes the scaling chart for {@code pass}; returns the file name, or null if there is nothing to plot. */
    static String scaling(List<CaseResult> results, ConvPass pass, Path dir) throws IOException {
        Map<String, List<double[]>> byContender = new LinkedHashMap<>();
        for (CaseResult r : results) {
            if (r.ok() && r.pass() == pass && r.shape().group().equals("single-channel-2x2")) {
                byContender.computeIfAbsent(r.contender(), k -> new ArrayList<>())
                        .add(new double[] {r.shape().inH(), r.medianMs()});
            }
        }
        if (byContender.isEmpty()) {
            return null;
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Single-channel scaling case, " + pass.label() + ": 1 channel, 2x2 kernel")
                .xAxisTitle("input size n (n x n)").yAxisTitle("median time per call, ms (log)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Map.Entry<String, List<double[]>> e : byContender.entrySet()) {
            List<double[]> pts = e.getValue();
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i)[0];
                y[i] = pts.get(i)[1];
            }
            chart.addSeries(e.getKey(), x, y);
        }
        String file = "scaling-" + pass.label() + ".png";
        BitmapEncoder.saveBitmap(chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /** Writes one layer's bar chart (GFLOP/s per backend, a series per pass); returns the file name or null. */
    static String layer(List<CaseResult> shapeResults, Path dir) throws IOException {
        Set<String> contenders = new LinkedHashSet<>();
        for (CaseResult r : shapeResults) {
            if (r.ok()) {
                contenders.add(r.contender());
            }
        }
        if (contenders.isEmpty()) {
            return null;
        }
        String name = shapeResults.get(0).shape().name();
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(name + ": " + shapeResults.get(0).shape().summary())
                .xAxisTitle("backend").yAxisTitle("GFLOP/s, log scale (higher is better)").build();
        List<Double> all = new ArrayList<>();
        for (ConvPass pass : MeasuredPasses.ALL) {
            List<String> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            boolean any = false;
            for (String c : contenders) {
                Double g = null;
                for (CaseResult r : shapeResults) {
                    if (r.ok() && r.pass() == pass && r.contender().equals(c)) {
                        g = r.gflops();
                        any = true;
                    }
                }
                x.add(c);
                y.add(g);
            }
            if (any) {
                chart.addSeries(pass.label(), x, y);
                all.addAll(y);
            }
        }
        style(chart, all);
        String file = "layer-" + name + ".png";
        BitmapEncoder.saveBitmap(chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /** Writes the all-layers overview for {@code pass} (GFLOP/s, a series per backend); file name or null. */
    static String overview(List<CaseResult> results, ConvPass pass, Path dir) throws IOException {
        Set<String> layers = new LinkedHashSet<>();
        Set<String> contenders = new LinkedHashSet<>();
        for (CaseResult r : results) {
            if (r.ok() && r.pass() == pass && !r.shape().group().equals("single-channel-2x2")) {
                layers.add(r.shape().name());
                contenders.add(r.contender());
            }
        }
        if (layers.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(WIDTH, 110 * layers.size())).height(HEIGHT)
                .title("All layers, " + pass.label() + " (missing bar = not run)")
                .xAxisTitle("layer").yAxisTitle("GFLOP/s, log scale (higher is better)").build();
        chart.getStyler().setXAxisLabelRotation(20);
        List<Double> all = new ArrayList<>();
        for (String c : contenders) {
            List<String> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (String layer : layers) {
                double g = Double.NaN;
                for (CaseResult r : results) {
                    if (r.ok() && r.pass() == pass && r.contender().equals(c) && r.shape().name().equals(layer)) {
                        g = r.gflops();
                    }
                }
                x.add(layer);
                y.add(Double.isNaN(g) ? null : g);
            }
            chart.addSeries(c, x, y);
            all.addAll(y);
        }
        style(chart, all);
        String file = "layers-" + pass.label() + ".png";
        BitmapEncoder.saveBitmap(chart, dir.resolve(file).toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /**
     * Log GFLOP/s axis (naive and the fast backends differ by two to three orders of magnitude), from the
     * decade below the smallest bar to the decade above the largest: XChart's log axis needs explicit
     * positive bounds for bars, which otherwise start at zero.
     */
    private static void style(CategoryChart chart, List<Double> values) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (Double v : values) {
            if (v != null && v > 0) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (max > 0) {
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
            chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(max) + 1e-9)));
        }
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE); // inside, it can hide the last bars
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setOverlapped(false);
    }
}
