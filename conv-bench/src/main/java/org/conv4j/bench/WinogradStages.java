package org.conv4j.bench;

import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.winograd.WinogradBackend;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The {@code winograd} backend's stage split (NNPACK's profile) on catalogue shapes: per layer, the tile size it
 * chooses, how stages 2 to 4 ran (fused blocks, staged chunks with OpenBLAS, or staged chunks with oneDNN's batched
 * products: {@code fused}, {@code staged}, {@code matmul}), and the median time of its kernel transform, input
 * transform, GEMMs and output transform over repeated forward calls ({@link WinogradBackend#profileForward}), with the
 * GEMM stage's rate in GFLOP/s (to set beside {@code SgemmBench}) and the whole call's median.
 *
 * <pre>
 *   java -cp conv-bench/target/benchmarks.jar org.conv4j.bench.WinogradStages [SHAPES] [SECONDS]
 * </pre>
 * {@code SHAPES} is a comma-separated list of shape or group names (default {@code stride1-3x3}); each layer warms up
 * for {@code SECONDS} (default 2) and is then timed for as long again. Shapes the backend does not support are
 * listed as such. A probe for direction, not a JMH measurement: run it on a quiet machine with {@code -Xms} equal to
 * {@code -Xmx} and {@code -XX:+AlwaysPreTouch}.
 */
public final class WinogradStages {

    private WinogradStages() {
    }

    public static void main(String[] args) {
        List<BenchShape> shapes = ShapeCatalog.select(args.length > 0 ? args[0] : "stride1-3x3");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        WinogradBackend backend = new WinogradBackend();
        System.out.printf(Locale.ROOT, "%-26s %-12s %-6s %9s %9s %9s %9s %9s %9s%n", "shape", "tile", "stages",
                "kernel", "input", "gemm", "output", "call", "gemm");
        System.out.printf(Locale.ROOT, "%-26s %-12s %-6s %9s %9s %9s %9s %9s %9s%n", "", "", "", "ms", "ms", "ms", "ms",
                "ms", "GFLOP/s");
        for (BenchShape s : shapes) {
            ConvShape g = s.geometry();
            if (!backend.supports(g, org.conv4j.api.ConvPass.FORWARD)) {
                System.out.printf(Locale.ROOT, "%-26s not supported by winograd%n", s.name());
                continue;
            }
            Tensor4D x = s.input(Problem.DEFAULT_SEED);
            Tensor4D w = s.weight(Problem.DEFAULT_SEED);
            Tensor4D y = g.newOutput();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                backend.profileForward(x, w, null, s.params(), y);
            }
            end = System.nanoTime() + (long) (seconds * 1e9);
            long[][] samples = new long[5][];
            int count = 0;
            WinogradBackend.Profile last = null;
            long[][] grow = new long[5][16];
            while (System.nanoTime() < end || count < 3) {
                long t0 = System.nanoTime();
                last = backend.profileForward(x, w, null, s.params(), y);
                long call = System.nanoTime() - t0;
                if (count == grow[0].length) {
                    for (int i = 0; i < grow.length; i++) {
                        grow[i] = Arrays.copyOf(grow[i], 2 * count);
                    }
                }
                grow[0][count] = last.kernelTransformNanos();
                grow[1][count] = last.inputTransformNanos();
                grow[2][count] = last.gemmNanos();
                grow[3][count] = last.outputTransformNanos();
                grow[4][count] = call;
                count++;
            }
            for (int i = 0; i < samples.length; i++) {
                samples[i] = Arrays.copyOf(grow[i], count);
                Arrays.sort(samples[i]);
            }
            double gemmFlops = 2.0 * last.tile().inputTile() * last.tile().inputTile()
                    * ((long) s.batch() * ceil(g.outH(), last.tile().outputTile()) * ceil(g.outW(), last.tile().outputTile()))
                    * g.outChannels() * g.inChannelsPerGroup();
            long gemmMedian = samples[2][count / 2];
            System.out.printf(Locale.ROOT, "%-26s %-12s %-6s %9.3f %9.3f %9.3f %9.3f %9.3f %9.1f%n", s.name(),
                    last.tile(), last.stages(), samples[0][count / 2] / 1e6,
                    samples[1][count / 2] / 1e6, gemmMedian / 1e6, samples[3][count / 2] / 1e6,
                    samples[4][count / 2] / 1e6, gemmFlops / gemmMedian);
        }
    }

    private static long ceil(int a, int b) {
        return (a + b - 1) / b;
    }
}
