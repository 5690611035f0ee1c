package org.conv4j.bench.compare;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One tiny end-to-end run (naive only, no ND4J): the table, the report and the charts appear. */
class CompareMainTest {

    @Test
    void tinyRunPrintsTablesAndWritesReportAndCharts(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        String[] args = {"--shapes", "single-channel-2x2-10,single-channel-2x2-25,small-6x6x10-b1", "--backends", "naive",
            "--no-sgemm", "--reps", "2", "--warmup-ms", "0", "--out", dir.toString()};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new CompareMain(Options.parse(args, dir), new PrintStream(bytes, true, StandardCharsets.UTF_8),
                List.of(args)).run();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("[  6/  6] small-6x6x10-b1"), out);
        assertTrue(out.contains("backend  pass"), out);
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("## small-6x6x10-b1"), report);
        assertTrue(report.contains("- settings: conv4j.backend"), report);
        assertTrue(report.contains("conv4j.workspace.limit="), report);
        assertTrue(report.contains("| naive | forward |"), report);
        assertTrue(report.contains("![scaling-forward.png](scaling-forward.png)"), report);
        for (String png : new String[] {"scaling-forward.png", "scaling-backward.png", "layers-forward.png",
            "layer-small-6x6x10-b1.png"}) {
            assertTrue(Files.size(dir.resolve(png)) > 1000, png);
        }
    }

    @Test
    void listNamesEveryGroup() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CompareMain.list(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        for (String g : new String[] {"single-channel-2x2", "resnet50", "large-kernel", "kernel-sweep", "default"}) {
            assertTrue(out.contains(g), g);
        }
        assertTrue(out.contains("naive"), out);
    }

    /** A whole (small) network: its per-layer table, the weighted totals and the sequence against the layers alone. */
    @Test
    void aNetworkGetsItsTablesTotalsAndSequence(@TempDir Path dir) throws Exception {
        String[] args = {"--shapes", "mobilenet-dw-net-b1", "--backends", "direct,conv2d,onednn-limit", "--pass", "forward",
            "--sequence", "--no-sgemm", "--no-charts", "--reps", "1", "--warmup-ms", "0", "--out", dir.toString()};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new CompareMain(Options.parse(args, dir), new PrintStream(bytes, true, StandardCharsets.UTF_8),
                List.of(args)).run();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("mobilenet-dw-net-b1 forward: MobileNet v1 depthwise at batch 1, 9 convolutions"), out);
        assertTrue(out.contains("mobilenet-dw-net-conv6-dw-b1"), out);
        assertTrue(out.matches("(?s).*\\ntotal +9 .*"), out);
        assertTrue(out.contains("conv2d / fastest"), out);
        assertTrue(out.contains("conv2d / limit"), out);
        // the kernel limit's results, read back from oneDNN's layouts, match the naive reference
        assertTrue(out.matches("(?s).*mobilenet-dw-net-conv6-dw-b1 forward  onednn-limit .*max\\|diff\\| [0-9.e-]+ .*"),
                out);
        assertTrue(out.matches("(?s).*mobilenet-dw-net-b1 +forward +direct +[0-9.]+ +[0-9.]+ +[0-9.]+.*"), out);
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("## Networks"), report);
        assertTrue(report.contains("### In sequence"), report);
        assertTrue(report.contains("| mobilenet-dw-net-b1 | forward | 9 |"), report);
        assertTrue(report.contains("### mobilenet-dw-net-b1 forward"), report);
    }
}
