package org.conv4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The network benchmarks run: one short measured iteration each, in this JVM (no fork, no warm-up), on the
 * smallest layers, through JMH's own runner (so the generated code, the parameters and {@code @Setup} are
 * exercised as in a real run). Times are not checked, only that every combination produced a score.
 */
class NetworkBenchmarksRunTest {

    private static Collection<RunResult> run(String include, String... params) throws Exception {
        return run(null, include, params);
    }

    private static Collection<RunResult> run(java.nio.file.Path csv, String include, String... params)
            throws Exception {
        OptionsBuilder b = new OptionsBuilder();
        b.include(include).forks(0).warmupIterations(0).measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(csv == null ? 50 : 10)).shouldFailOnError(true);
        if (csv != null) {
            b.resultFormat(org.openjdk.jmh.results.format.ResultFormatType.CSV).result(csv.toString());
        }
        for (int i = 0; i < params.length; i += 2) {
            b.param(params[i], params[i + 1].split(","));
        }
        Options o = b.build();
        return new Runner(o).run();
    }

    private static List<String> labels(Collection<RunResult> results) {
        List<String> out = new ArrayList<>();
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().toString());
            out.add(r.getParams().getBenchmark().replaceAll(".*\\.", "") + " " + r.getParams().getParam("mode"));
        }
        return out;
    }

    @Test
    void networkBenchRunsBothModes() throws Exception {
        Collection<RunResult> rs = run(NetworkBench.class.getName() + ".network$", "network", "mobilenet-dw-net",
                "batch", "1", "pass", "forward", "backend", "direct", "mode", "sequence,alone");
        assertEquals(List.of("network sequence", "network alone"), labels(rs));
    }

    @Test
    void kernelLimitBenchRunsForwardAndBackward() throws Exception {
        Collection<RunResult> rs = run(KernelLimitBench.class.getName() + ".(forward|backward)$", "shape",
                "mobilenet-dw-net-conv6-dw-b1", "layout", "any,nhwc",
                "backend", "direct"); // BenchMain adds backend to every benchmark: one without it ignores it
        assertEquals(4, rs.size());
        labels(rs);
    }

    /** A real JMH CSV of a network's layers gives the network's total, and its ratio to the kernel limit. */
    @Test
    void totalsOfAJmhCsvWeighTheLayersAndDivideByTheKernelLimit(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String layers = BenchMain.expandShapes("mobilenet-dw-net-b1");
        java.nio.file.Path limit = dir.resolve("limit.csv");
        run(limit, KernelLimitBench.class.getName() + ".forward$", "shape", layers, "layout", "any");
        java.nio.file.Path conv = dir.resolve("conv.csv");
        run(conv, ConvBench.class.getName() + ".forward$", "shape", layers, "backend", "direct");
        List<String> more = java.nio.file.Files.readAllLines(conv);
        List<NetworkTotals.Score> scores = NetworkTotals.parse(java.nio.file.Files.readAllLines(limit));
        assertEquals(9, scores.size());
        List<List<String>> rows = NetworkTotals.rows(scores);
        assertEquals(1, rows.size());
        assertEquals(List.of("mobilenet-dw-net-b1", "KernelLimitBench.forward", "layout=any", "9"),
                rows.get(0).subList(0, 4));
        assertEquals("1.00", rows.get(0).get(6));
        double sum = scores.stream().mapToDouble(NetworkTotals.Score::score).sum();
        assertEquals(sum, Double.parseDouble(rows.get(0).get(4)), 1e-3);

        List<NetworkTotals.Score> both = new ArrayList<>(scores);
        both.addAll(NetworkTotals.parse(more));
        rows = NetworkTotals.rows(both);
        assertEquals(2, rows.size());
        assertEquals(List.of("mobilenet-dw-net-b1", "ConvBench.forward", "backend=direct", "9"), rows.get(1).subList(0, 4));
        assertTrue(Double.parseDouble(rows.get(1).get(6)) > 0, rows.toString());
    }
}
