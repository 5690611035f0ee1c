package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.ParallelChunks;
import org.conv4j.spi.PreparedCalls;
import org.conv4j.spi.WorkspaceBudget;
import org.conv4j.im2col.Im2colBackend;
import org.conv4j.onednn.OnednnBackend;
import org.conv4j.openblas.AbstractGemmBackend;
import org.conv4j.openblas.NativeBufferPool;
import org.conv4j.openblas.OpenBlasSetup;

import java.util.List;

/**
 * The {@code winograd} backend: 3x3 stride-1 convolutions by Winograd's minimal filtering {@code F(m x m, 3 x 3)}
 * (Lavin and Gray 2016), in the four stages NNPACK uses: kernel transform, input transform, {@code (m+2)^2} GEMMs over
 * many tiles at once (oneDNN's batched matmul for layers of 128 or more channels per group, OpenBLAS's sgemm for the
 * others and where oneDNN does not load), output transform ({@link WinogradEngine}; docs/winograd.md).
 *
 * <p><b>Shapes</b>: it {@linkplain #supports supports} ungrouped or grouped 3x3 kernels with stride 1 and dilation
 * 1, any padding (four-sided, zero or copies), any batch and size, when each group has at least
 * {@link WinogradTuning#MIN_GROUP_CHANNELS} input and output channels. Called directly on any other shape it is
 * still correct: it runs the {@code im2col} backend's exact path.
 *
 * <p><b>Passes</b>: the forward pass (+ bias) and the input gradient are Winograd correlations ({@link Correlation}:
 * the input gradient is the 3x3 stride-1 correlation of {@code dL/dy} with the rotated kernel). The weight gradient
 * runs on the {@code onednn} backend where oneDNN loads, else on {@code im2col}: Winograd's {@code F(3x3, m x m)}
 * form of it pays only with large outputs per tile and was not built; {@code dL/db} is {@link #biasGradient}.
 *
 * <p><b>Tile size</b>: per layer, the one of {@link WinogradTuning#TILE_SIZES} with the smallest modelled time
 * ({@link #estimateNanos}); larger tiles need fewer multiplications but waste more of the last tiles of small
 * images.
 *
 * <p><b>Non-finite values</b>: the transforms mix the {@code alpha x alpha} inputs of a tile into every transformed
 * element, and the output transform mixes those into every output of the tile; a NaN or infinity would therefore
 * reach outputs whose window does not contain it (and an infinity would meet its own negative and become NaN). The
 * convolution requires that it reach only the outputs whose sums contain it (docs/architecture.md, "Non-finite
 * values"), so each call first scans its operands ({@link ParallelChunks#allFinite(float[])}) and
 * runs the exact path when it finds one. The scan reads the input once more at memory speed; it leaves the source
 * in cache for the input transform.
 *
 * <p><b>Memory</b>: the transformed kernels and the transformed inputs and GEMM outputs of every worker's block of
 * tiles (or of one chunk) live in one native buffer of at most {@link #workspaceBytes()} (smaller blocks or chunks if
 * the process-wide budget grants less), pooled and counted against {@link WorkspaceBudget#global()}. <b>Accuracy</b>: see {@link #TOLERANCE}.
 * Thread-safe; native calls run in turn with the other OpenBLAS backends' ({@link AbstractGemmBackend#runNativeCall}).
 */
public final class WinogradBackend extends AbstractConvBackend {

    /** The name this backend registers under. */
    public static final String NAME = "winograd";

    /**
     * The largest difference from the float64 reference, relative to the reference's largest magnitude, that the
     * conformance kit allows this backend: the largest tile size's measured error on the kit's shapes and on the
     * accuracy test's worst case (docs/winograd.md, "Accuracy"), with a margin.
     */
    public static final float TOLERANCE = 5e-5f;

    /** The native workspaces of this backend, one idle buffer kept per processor. */
    private static final NativeBufferPool POOL = new NativeBufferPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), WorkspaceBudget.global());

    private final long workspaceBytes;
    private final List<TileSize> tileSizes;
    private final long maxChunkTiles;
    private final int minGroupChannels;
    private final WinogradEngine.Mode mode;
    private final Im2colBackend exact;
    /** {@code dL/dw} ({@link #weightGradientBackend}). */
    private final AbstractConvBackend weightGradients;

    /** A backend with the default workspace limit ({@link Workspace#defaultLimitBytes()}). */
    public WinogradBackend() {
        this(Workspace.defaultLimitBytes());
    }

    /**
     * A backend whose calls use at most {@code workspaceBytes} of workspace each.
     *
     * @param workspaceBytes the workspace limit of one call, in bytes
     * @throws IllegalArgumentException if the limit is below {@link Workspace#MIN_LIMIT_BYTES}
     */
    public WinogradBackend(long workspaceBytes) {
        this(workspaceBytes, WinogradTuning.TILE_SIZES, WinogradTuning.MAX_CHUNK_TILES,
                WinogradTuning.MIN_GROUP_CHANNELS);
    }

    /**
     * For tests and probes: choose only among {@code tileSizes}, at most {@code maxChunkTiles} tiles per chunk or
     * block, Winograd for groups of at least {@code minGroupChannels} channels (1: every 3x3 stride-1 shape).
     */
    WinogradBackend(long workspaceBytes, List<TileSize> tileSizes, long maxChunkTiles, int minGroupChannels) {
        this(workspaceBytes, tileSizes, maxChunkTiles, minGroupChannels, WinogradEngine.Mode.BY_SHAPE);
    }

    /** For tests: as above, with stages 2 to 4 run as {@code mode} says (fused blocks or staged chunks forced). */
    WinogradBackend(long workspaceBytes, List<TileSize> tileSizes, long maxChunkTiles, int minGroupChannels,
                    WinogradEngine.Mode mode) {
        this.mode = mode;
        this.workspaceBytes = Workspace.checkLimit(workspaceBytes);
        this.tileSizes = List.copyOf(tileSizes);
        this.maxChunkTiles = maxChunkTiles;
        this.minGroupChannels = minGroupChannels;
        this.exact = new Im2colBackend(this.workspaceBytes);
        this.weightGradients = weightGradientBackend(this.workspaceBytes, exact);
        OpenBlasSetup.ensureLoaded();
    }

    /**
     * The backend that computes {@code dL/dw}: {@code onednn} where oneDNN loads (its backward-weights kernels ran
     * the ResNet-50 and VGG-19 3x3 layers at batch 8 1.3-3x faster than {@code im2col}'s GEMM, docs/winograd.md), else
     * {@code exact}.
     */
    private static AbstractConvBackend weightGradientBackend(long workspaceBytes, Im2colBackend exact) {
        try {
            return new OnednnBackend(workspaceBytes);
        } catch (UnsupportedOperationException e) {
            return exact;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The workspace limit of one call, in bytes.
     *
     * @return the limit
     */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    /**
     * 3x3 kernels, stride 1, dilation 1, at least {@link WinogradTuning#MIN_GROUP_CHANNELS} input and output
     * channels per group (and a transformed kernel that fits one native buffer), for the forward and backward passes.
     */
    @Override
    public boolean supports(ConvShape shape, ConvPass pass) {
        return isWinograd(shape);
    }

    boolean isWinograd(ConvShape s) {
        ConvParams p = s.params();
        return s.kernelH() == 3 && s.kernelW() == 3 && p.strideH() == 1 && p.strideW() == 1
                && p.dilationH() == 1 && p.dilationW() == 1
                && s.inChannelsPerGroup() >= minGroupChannels && s.outChannelsPerGroup() >= minGroupChannels
                && choose(Correlation.forward(s)) != null; // the input gradient's workspace has the same size
    }

    /**
     * The model of {@link WinogradEngine}'s stages for the chosen tile size ({@link #modelNanos}): forward, one
     * correlation; backward, the input gradient's correlation plus the {@code im2col} backend's own estimate of a
     * forward pass for the weight gradient (the same GEMM size over the same column matrix: a term that grows with
     * the weight gradient's work, also where {@code onednn} computes it; the cost profile's fitted
     * {@code winograd.backwardScale} brings the sum to measured time). On shapes it does not support, the
     * {@code im2col} estimate of the path that then runs.
     */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        if (!isWinograd(shape)) {
            return exact.estimateNanos(shape, pass);
        }
        if (pass == ConvPass.FORWARD) {
            Correlation c = Correlation.forward(shape);
            return modelNanos(c, choose(c));
        }
        Correlation c = Correlation.inputGradient(shape);
        return modelNanos(c, choose(c)) + exact.estimateNanos(shape, ConvPass.FORWARD);
    }

    /**
     * The modelled time of {@code p} with tiles {@code t}: a fixed cost, the GEMMs' multiply-adds at a rate that
     * falls with small sides ({@code eff(m, k, n) = m/(m + halfM) * k/(k + halfK) * n/(n + halfN)} as in
     * {@link org.conv4j.spi.CostModel}; {@link WinogradTuning#MATMUL_GEMM_RATE} times faster where oneDNN's batched
     * products run them), and the transformed floats (kernels, inputs, GEMM outputs) at a cost per
     * float. Constants in {@link WinogradTuning}.
     */
    static double modelNanos(Correlation p, TileSize t) {
        double kg = p.dstPerGroup();
        double cg = p.srcPerGroup();
        double n = Math.min(p.tiles(t), WinogradTuning.MODEL_GEMM_TILES);
        double eff = kg / (kg + WinogradTuning.HALF_M) * cg / (cg + WinogradTuning.HALF_K)
                * n / (n + WinogradTuning.HALF_N);
        double transformed = (double) t.alpha * t.alpha * p.tiles(t) * (p.srcChannels() + p.dstChannels())
                + p.kernelFloats(t);
        double rate = WinogradTuning.GEMM_MACS_PER_NS * eff
                * (WinogradEngine.Mode.BY_SHAPE.resolve(p) == WinogradEngine.Mode.MATMUL
                        ? WinogradTuning.MATMUL_GEMM_RATE : 1);
        return WinogradTuning.FIXED_NS + p.gemmMacs(t) / rate + WinogradTuning.TRANSFORM_NS_PER_FLOAT * transformed;
    }

    /**
     * The tile size of this backend's choice with the smallest {@link #modelNanos} for {@code p}, among those whose
     * workspace fits one native buffer; null if none does (then the exact path runs).
     */
    TileSize choose(Correlation p) {
        TileSize best = null;
        double bestNanos = Double.POSITIVE_INFINITY;
        for (TileSize t : tileSizes) {
            if (!WinogradEngine.fits(p, t)) {
                continue;
            }
            double nanos = modelNanos(p, t);
            if (nanos < bestNanos) {
                best = t;
                bestNanos = nanos;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------------------------------- passes

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        if (!isWinograd(s) || !ParallelChunks.allFinite(input.data()) || !ParallelChunks.allFinite(weight.data())) {
            return exact.forwardInto(input, weight, bias, s.params(), output);
        }
        correlate(Correlation.forward(s), input.data(), weight.data(), bias, output.data(), null);
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        return new ConvGradients(inputGradient(s, weight, gradOutput), weightGradient(s, input, gradOutput),
                biasGradient(s, gradOutput));
    }

    /** dL/dx alone: the correlation of dL/dy with the rotated kernel; the input is never read. */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        if (!isWinograd(s) || !ParallelChunks.allFinite(gradOutput.data()) || !ParallelChunks.allFinite(weight.data())) {
            return exact.inputGradient(s.newInput(), weight, gradOutput, s.params());
        }
        Tensor4D dx = s.newInput();
        correlate(Correlation.inputGradient(s), gradOutput.data(), weight.data(), null, dx.data(), null);
        return dx;
    }

    /**
     * dL/dw alone, on {@code onednn} where oneDNN loads and runs the shape, else on {@code im2col} (see the class
     * comment); the weight is never read.
     */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        ConvBackend b = isWinograd(s) && weightGradients.supports(s, ConvPass.BACKWARD) ? weightGradients : exact;
        return b.weightGradient(input, s.newWeight(), gradOutput, s.params());
    }

    /**
     * Runs the correlation on a pooled workspace: the plan ({@link WinogradEngine#plan}) for {@link #workspaceBytes()}
     * if the budget grants it, else the largest blocks or chunks that fit what it grants, at worst one tile.
     */
    private void correlate(Correlation p, float[] src, float[] weight, float[] bias, float[] dst, long[] profile) {
        TileSize t = choose(p);
        long kernelFloats = p.kernelFloats(t);
        AbstractGemmBackend.runNativeCall(() -> {
            NativeBufferPool.Lease<WinogradEngine.Plan> lease = POOL.lease(
                    bytes -> WinogradEngine.plan(p, t, bytes, maxChunkTiles, kernelFloats, mode),
                    plan -> WinogradEngine.workspaceFloats(p, t, plan, kernelFloats), workspaceBytes);
            try {
                WinogradEngine.run(p, t, src, weight, bias, dst, lease.plan(), lease.buffer(), profile);
            } finally {
                POOL.release(lease);
            }
        });
    }

    /**
     * The forward pass prepared with the kernels transformed once ({@link PreparedWinograd}) where this backend runs
     * the shape by Winograd; otherwise the default preparation (the geometry and a copy of the weights).
     */
    @Override
    public PreparedConvolution prepareForward(ConvShape shape, Tensor4D weight, float[] bias) {
        if (!isWinograd(shape) || shape.params().isPaddedWithCopies()) {
            return new PreparedCalls(this, shape, weight, bias);
        }
        return new PreparedWinograd(this, shape, weight, bias);
    }

    /**
     * Stages 2 to 4 on a pooled workspace for {@code V} and {@code M} only, with the kernels transformed beforehand
     * into {@code kernels} ({@link PreparedWinograd}): planned as {@link #correlate} plans it with the transformed
     * kernel outside the workspace.
     */
    void correlatePrepared(Correlation p, TileSize t, float[] src, NativeFloats kernels, float[] bias, float[] dst) {
        AbstractGemmBackend.runNativeCall(() -> {
            NativeBufferPool.Lease<WinogradEngine.Plan> lease = POOL.lease(
                    bytes -> WinogradEngine.plan(p, t, bytes, maxChunkTiles, 0, mode),
                    plan -> WinogradEngine.workspaceFloats(p, t, plan, 0), workspaceBytes);
            try {
                WinogradEngine.runTransformed(p, t, src, kernels, bias, dst, lease.plan(), lease.buffer(), 0, null);
            } finally {
                POOL.release(lease);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- profile

    /**
     * The forward pass into {@code output} with each stage timed, for benchmarks (NNPACK's profile): the tile size
     * chosen, whether stages 2 to 4 ran in fused blocks, and the nanoseconds of the kernel transform, the input
     * transform, the GEMMs and the output transform. Fused blocks interleave stages 2 to 4 on every worker; their
     * wall time is split in proportion to the workers' CPU time in each. It runs the stages without the non-finite
     * scan (for finite benchmark data: a NaN or infinity would spread over its tiles), and the workspace is taken
     * outside the four stages.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, 3, 3)}
     * @param bias the bias (length K), or null
     * @param params stride 1, dilation 1, any padding and groups
     * @param output the output, overwritten
     * @return the tile size and the stages' times
     * @throws UnsupportedOperationException if the shape is not one this backend {@linkplain #supports supports}
     *         (there are no Winograd stages to time)
     */
    public Profile profileForward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params, Tensor4D output) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        s.checkOutput(output);
        if (!isWinograd(s) || params.isPaddedWithCopies()) {
            throw new UnsupportedOperationException("winograd: no Winograd stages for " + s);
        }
        Correlation c = Correlation.forward(s);
        long[] stages = new long[4];
        correlate(c, input.data(), weight.data(), bias, output.data(), stages);
        return new Profile(choose(c), mode.resolve(c).label(), stages[WinogradEngine.KERNEL_TRANSFORM],
                stages[WinogradEngine.INPUT_TRANSFORM], stages[WinogradEngine.GEMM],
                stages[WinogradEngine.OUTPUT_TRANSFORM]);
    }

    /**
     * The time split of one call ({@link #profileForward}).
     *
     * @param tile                   the tile size used
     * @param stages                 how stages 2 to 4 ran: {@code fused} (fused blocks, OpenBLAS on each worker),
     *                               {@code staged} (staged chunks, OpenBLAS's threads) or {@code matmul} (staged
     *                               chunks, oneDNN's batched products)
     * @param kernelTransformNanos   stage 1
     * @param inputTransformNanos    stage 2, all blocks or chunks
     * @param gemmNanos              stage 3, all blocks or chunks
     * @param outputTransformNanos   stage 4, all blocks or chunks
     */
    public record Profile(TileSize tile, String stages, long kernelTransformNanos, long inputTransformNanos,
                          long gemmNanos, long outputTransformNanos) {
    }
}
