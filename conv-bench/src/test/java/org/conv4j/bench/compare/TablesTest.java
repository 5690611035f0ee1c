package org.conv4j.bench.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.conv4j.api.ConvPass;
import org.conv4j.bench.BenchShape;
import org.conv4j.bench.ShapeCatalog;
import org.junit.jupiter.api.Test;

class TablesTest {

    private static final BenchShape SHAPE = ShapeCatalog.byName(ShapeCatalog.RESNET50_3X3_64_B1);

    @Test
    void gflopsIsFlopsPerNanosecond() {
        assertEquals(2.0, Measure.gflops(2_000_000_000L, 1e9), 1e-12);
        assertEquals(17.179869184, Measure.gflops(2L * 2048 * 2048 * 2048, 1e9), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> Measure.gflops(1, 0));
        assertThrows(IllegalArgumentException.class, () -> Measure.gflops(-1, 1));
        // ResNet 3x3 64->64 at 56x56: 2 * 64*64*9 * 56*56 = 231,211,008 FLOPs
        assertEquals(231_211_008L, SHAPE.forwardFlops());
        CaseResult r = new CaseResult(SHAPE, ConvPass.FORWARD, "x", CaseResult.Status.OK, 2_312_110.08, 3, 0, 0, "");
        assertEquals(100.0, r.gflops(), 1e-9);
        CaseResult b = new CaseResult(SHAPE, ConvPass.BACKWARD, "x", CaseResult.Status.OK, 2_312_110.08, 3, 0, 0, "");
        assertEquals(200.0, b.gflops(), 1e-9, "backward counts twice the forward FLOPs");
    }

    @Test
    void theFacadeTableComparesWithTheFastestConv4jBackend() {
        List<CaseResult> rs = List.of(
                new CaseResult(SHAPE, ConvPass.FORWARD, "im2col", CaseResult.Status.OK, 2e6, 3, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.FORWARD, "strided", CaseResult.Status.OK, 1e6, 3, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.FORWARD, "nd4j", CaseResult.Status.OK, 0.5e6, 3, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.FORWARD, "conv2d", CaseResult.Status.OK, 2e6, 3, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.FORWARD, "conv2d-autotune", CaseResult.Status.OK, 1.04e6, 3, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.BACKWARD, "im2col", CaseResult.Status.OK, 2e6, 3, 0, 0, ""));
        List<List<String>> rows = Tables.facade(rs, r -> r.contender().equals("conv2d") ? "im2col" : null);
        assertEquals(1, rows.size(), "no facade ran backward");
        assertEquals(List.of(SHAPE.name(), "forward", "strided", "1.00", "2.00", "2.00", "im2col", "1.04", "1.04", "-"),
                rows.get(0));
    }

    @Test
    void medianAndSpeedUp() {
        assertEquals(3.0, Measure.median(new long[] {5, 1, 3}));
        assertEquals(2.5, Measure.median(new long[] {4, 1, 3, 2}));
        assertEquals(7.0, Measure.median(new long[] {7}));
        assertThrows(IllegalArgumentException.class, () -> Measure.median(new long[0]));
        assertEquals(4.0, Measure.speedUp(400, 100));
    }

    @Test
    void numberFormats() {
        assertEquals("0.0123", Tables.formatMs(0.01234));
        assertEquals("1.23", Tables.formatMs(1.234));
        assertEquals("12.3", Tables.formatMs(12.34));
        assertEquals("12346", Tables.formatMs(12345.6));
        assertEquals("-", Tables.formatMs(Double.NaN));
        assertEquals("3.40", Tables.formatGflops(3.4));
        assertEquals("187", Tables.formatGflops(187.4));
        assertEquals("0.0012", Tables.formatGflops(0.00123));
        assertEquals("800 FLOP", Tables.formatFlops(800));
        assertEquals("1.60 kFLOP", Tables.formatFlops(1600));
        assertEquals("231 MFLOP", Tables.formatFlops(231_211_008L));
        assertEquals("64.5 GFLOP", Tables.formatFlops(64_492_000_000L));
        assertEquals("0.0012%", Tables.formatPercent(0.0000123));
        assertEquals("0.012x", Tables.formatSpeedUp(0.0123));
        assertEquals("37%", Tables.formatPercent(0.374));
        assertEquals("0.4%", Tables.formatPercent(0.004));
        assertEquals("23.4x", Tables.formatSpeedUp(23.42));
        assertEquals("1234x", Tables.formatSpeedUp(1234.4));
        assertEquals("0", Tables.formatDiff(0));
        assertEquals("3.1e-06", Tables.formatDiff(3.14e-6));
        assertEquals("-", Tables.formatDiff(Double.NaN));
    }

    @Test
    void shapeRowsCompareWithNaiveOfTheSamePassAndShowWhyCasesDidNotRun() {
        List<CaseResult> results = List.of(
                new CaseResult(SHAPE, ConvPass.FORWARD, "naive", CaseResult.Status.OK, 400e6, 2, 0, 0, "reference"),
                new CaseResult(SHAPE, ConvPass.FORWARD, "im2col", CaseResult.Status.OK, 4e6, 10, 2.5e-5, 6e-7, ""),
                CaseResult.skipped(SHAPE, ConvPass.BACKWARD, "naive", "too big"),
                CaseResult.failed(SHAPE, ConvPass.BACKWARD, "fft", "boom"),
                new CaseResult(SHAPE, ConvPass.BACKWARD, "im2col", CaseResult.Status.OK, 8e6, 10, Double.NaN,
                        Double.NaN, "no naive reference"));
        List<List<String>> rows = Tables.shapeRows(results, 115.6);
        assertEquals(List.of("naive", "forward", "400", "0.58", "0.5%", "1.0x", "0", "0", "reference"), rows.get(0));
        assertEquals(List.of("im2col", "forward", "4.00", "57.80", "50%", "100x", "2.5e-05", "6.0e-07", ""), rows.get(1));
        assertEquals(List.of("naive", "backward", "-", "-", "-", "-", "-", "-", "skipped: too big"), rows.get(2));
        assertEquals("failed: boom", rows.get(3).get(8));
        assertEquals(List.of("im2col", "backward", "8.00", "57.80", "50%", "-", "-", "-", "no naive reference"),
                rows.get(4));
        assertEquals("-", Tables.shapeRows(results, Double.NaN).get(1).get(4), "no sgemm probe, no percentage");
    }

    @Test
    void summaryHasARowPerShapeAndPassAndAColumnPerBackend() {
        BenchShape other = ShapeCatalog.byName(ShapeCatalog.SMALL_6X6X10_B1);
        List<CaseResult> results = List.of(
                new CaseResult(SHAPE, ConvPass.FORWARD, "naive", CaseResult.Status.OK, 400e6, 2, 0, 0, ""),
                new CaseResult(SHAPE, ConvPass.FORWARD, "im2col", CaseResult.Status.OK, 4e6, 10, 0, 0, ""),
                CaseResult.skipped(other, ConvPass.BACKWARD, "naive", "too big"),
                new CaseResult(other, ConvPass.BACKWARD, "im2col", CaseResult.Status.OK, 0.01e6, 10, 0, 0, ""));
        List<String> headers = new java.util.ArrayList<>();
        List<List<String>> rows = Tables.summary(results, headers);
        assertEquals(List.of("shape", "pass", "naive", "im2col"), headers);
        assertEquals(List.of(SHAPE.name(), "forward", "400 (0.58)", "4.00 (57.80)"), rows.get(0));
        assertEquals(List.of(other.name(), "backward", "-", "0.0100 (3.46)"), rows.get(1));
    }

    @Test
    void textTableAlignsColumns() {
        String t = Tables.text(List.of("backend", "pass", "ms"), List.of(List.of("naive", "forward", "400"),
                List.of("im2col", "backward", "4.00")));
        assertEquals(String.join("\n",
                "backend  pass      ms",
                "-------  --------  ----",
                "naive    forward    400",
                "im2col   backward  4.00", ""), t);
    }

    @Test
    void markdownTableHasHeaderRuleAndEscapesPipes() {
        String md = Tables.markdown(List.of("backend", "pass", "ms"), List.of(List.of("a|b", "forward", "1")));
        assertEquals("| backend | pass | ms |\n| --- | --- | --: |\n| a\\|b | forward | 1 |\n", md);
        assertTrue(md.endsWith("\n"));
    }

    private static CaseResult ok(BenchShape s, ConvPass p, String c, double ns) {
        return new CaseResult(s, p, c, CaseResult.Status.OK, ns, 3, 0, 0, "");
    }

    @Test
    void networkTotalsWeighEachLayerByItsCountAndCompareTheFacadeWithTheFastestPerLayer() {
        org.conv4j.bench.Network net = ShapeCatalog.network(ShapeCatalog.MOBILENET_NET, 1);
        java.util.List<CaseResult> rs = new java.util.ArrayList<>();
        int i = 0;
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            // im2col is fastest on even layers, direct on odd ones; the facade takes im2col's time everywhere
            double im2col = i % 2 == 0 ? 1e6 : 3e6;
            double direct = i % 2 == 0 ? 2e6 : 1e6;
            rs.add(ok(l.shape(), ConvPass.FORWARD, "im2col", im2col));
            rs.add(ok(l.shape(), ConvPass.FORWARD, "direct", direct));
            rs.add(ok(l.shape(), ConvPass.FORWARD, "nd4j", 0.1e6)); // a peer is never "fastest"
            rs.add(ok(l.shape(), ConvPass.FORWARD, "conv2d", im2col));
            rs.add(ok(l.shape(), ConvPass.FORWARD, "onednn-limit", 0.5e6)); // a peer too
            i++;
        }
        double im2colTotal = 0;
        double directTotal = 0;
        i = 0;
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            im2colTotal += l.count() * (i % 2 == 0 ? 1.0 : 3.0);
            directTotal += l.count() * (i % 2 == 0 ? 2.0 : 1.0);
            i++;
        }
        double fastest = net.layerCount(); // 1 ms per call on every layer
        List<String> headers = new java.util.ArrayList<>();
        List<List<String>> rows = Tables.networkTotals(List.of(net), rs, headers);
        assertEquals(List.of("network", "pass", "layers", "GFLOP", "im2col", "direct", "nd4j", "conv2d",
                "onednn-limit", Tables.FASTEST_PER_LAYER, "conv2d / fastest", "conv2d / limit"), headers);
        assertEquals(1, rows.size());
        List<String> row = rows.get(0);
        assertEquals(List.of("mobilenet-net-b1", "forward", "59"), row.subList(0, 3));
        assertEquals(Tables.formatMs(im2colTotal), row.get(4));
        assertEquals(Tables.formatMs(directTotal), row.get(5));
        assertEquals(Tables.formatMs(fastest), row.get(9));
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f", im2colTotal / fastest), row.get(10));
        assertEquals(String.format(java.util.Locale.ROOT, "%.2f", im2colTotal / (0.5 * net.layerCount())),
                row.get(11));

        List<List<String>> layers = Tables.network(net, ConvPass.FORWARD, rs, headers);
        assertEquals(List.of("layer", "count", "im2col", "direct", "nd4j", "conv2d", "onednn-limit", "fastest",
                Tables.FASTEST_PER_LAYER), headers);
        assertEquals(net.layers().size() + 1, layers.size());
        assertEquals(List.of("mobilenet-net-conv1-b1", "3", "1.00", "2.00", "0.100", "1.00", "0.500", "im2col", "1.00"),
                layers.get(0));
        assertEquals(List.of("total", "59", Tables.formatMs(im2colTotal), Tables.formatMs(directTotal),
                Tables.formatMs(5.9), Tables.formatMs(im2colTotal), Tables.formatMs(29.5), "",
                Tables.formatMs(fastest)), layers.get(layers.size() - 1));
        assertEquals(null, Tables.network(net, ConvPass.BACKWARD, rs, headers), "no backward results");
    }

    @Test
    void aNetworkTotalIsEmptyWhenALayerDidNotRun() {
        org.conv4j.bench.Network net = ShapeCatalog.network(ShapeCatalog.MOBILENET_DW_NET, 1);
        java.util.List<CaseResult> rs = new java.util.ArrayList<>();
        for (org.conv4j.bench.Network.Layer l : net.layers()) {
            rs.add(ok(l.shape(), ConvPass.BACKWARD, "fft", 1e6));
        }
        rs.set(3, CaseResult.failed(net.layers().get(3).shape(), ConvPass.BACKWARD, "fft", "boom"));
        List<String> headers = new java.util.ArrayList<>();
        List<String> row = Tables.networkTotals(List.of(net), rs, headers).get(0);
        assertEquals(Tables.NONE, row.get(4));
        assertEquals(Tables.NONE, row.get(5), "no fastest backend on the failed layer");
    }

    @Test
    void sequenceRowsGiveTheRatioToTheSumAlone() {
        org.conv4j.bench.Network net = ShapeCatalog.network(ShapeCatalog.VGG19_NET, 8);
        List<List<String>> rows = Tables.sequenceRows(List.of(
                new SequenceResult(net, ConvPass.FORWARD, "onednn", 110e6, 100e6, ""),
                new SequenceResult(net, ConvPass.BACKWARD, "naive", Double.NaN, Double.NaN,
                        "skipped: naive does not run ...")));
        assertEquals(List.of("vgg19-net-b8", "forward", "onednn", "110", "100", "1.10", ""), rows.get(0));
        assertEquals(List.of("vgg19-net-b8", "backward", "naive", "-", "-", "-", "skipped: naive does not run ..."),
                rows.get(1));
    }
}
