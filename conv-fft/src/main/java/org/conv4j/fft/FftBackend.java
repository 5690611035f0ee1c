package org.conv4j.fft;

import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dGradients;
import org.conv4j.api.Conv3dParams;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvAxis;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.Workspace;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.LruCache;
import org.conv4j.spi.WorkspaceBudget;

import java.util.Arrays;

/**
 * Convolution through the Fourier transform (the convolution theorem), forward and backward, with
 * JTransforms' 1D transforms.
 *
 * <p><b>What it computes.</b> Exactly the sums of {@link org.conv4j.api.ConvBackend} (cross-correlation with stride,
 * four-sided zero padding, dilation, groups and bias), as three frequency-domain products, each with
 * the channel sum done per frequency ({@link SpectralProduct}):
 * <pre>
 *   forward   Y[n,k]  = sum_{c in group}  X[n,c] * conj(W[k,c])     (correlation of x with w)
 *   dL/dx     DX[n,c] = sum_{k in group}  U[n,k] * W[k,c]           (full convolution of dy with w)
 *   dL/dw     DW[k,c] = sum_n             X[n,c] * conj(U[n,k])     (correlation of x with dy)
 * </pre>
 * where {@code X, W, U} are the 2D spectra of the input, of the dilated (zero-inserted) kernel and of the
 * stride-upsampled (zero-inserted) output gradient. Stride is handled by computing the stride-1 result on
 * the transform grid and reading every {@code s}-th position; padding by placing the data in the circular
 * buffer so that every padded read lands on a zero ({@link AxisTiling}). docs/fft.md derives all three.
 *
 * <p><b>3D.</b> It also runs {@link org.conv4j.api.Conv3d}'s calls ({@link Conv3dBackend}): the same three
 * products on heap NCDHW volumes with 3D transforms, one tile per axis ({@link Fft3d}); volumes whose transform
 * exceeds the length cap or the workspace budget are declined through {@link #supports3d}.
 *
 * <p><b>Sizes and tiles.</b> {@link FftPlanner} picks 5-smooth transform lengths and, where cheaper, cuts
 * the image into overlap-save tiles; transform plans are cached per size ({@link RealFft2D#of}).
 *
 * <p><b>Memory.</b> The spectra held at once are bounded by the workspace limit
 * shared by every backend ({@link Workspace}: property {@value Workspace#LIMIT_PROPERTY}, default
 * {@link Workspace#DEFAULT_LIMIT_BYTES}); above it the engine works in
 * blocks ({@link SpectralProduct}).
 *
 * <p><b>Precision.</b> Operands are scaled by powers of two (exact) so their largest magnitude is in
 * {@code [1, 2)} before transforming; the error of every result element is then bounded relative to the
 * largest magnitude of the result tensor, not to the element itself (docs/fft.md gives the measured
 * bound). <b>Non-finite values</b> never enter a transform: they are replaced by zero there and their
 * exact effect is added afterwards to exactly the elements whose window contains them ({@link NonFinite}).
 *
 * <p><b>Threads.</b> Stateless apart from the plan cache (thread-safe), so concurrent calls are safe and
 * give bit-identical results to serial ones. Work is spread over the common fork-join pool (daemon
 * threads) in fixed index ranges; JTransforms' own pool is never used ({@link FftSizes#maxTransform()}).
 */
public final class FftBackend extends AbstractConvBackend implements Conv3dBackend {

    /**
     * {@link #estimateNanos}: the fixed cost of a call (plans, buffers, thread hand-off) and the factor from the
     * single-tile model cost to measured time, fitted where the FFT competes (kernels of 5x5 and more, AlexNet
     * conv1, ResNet 7x7 and 3x3; AVX-512 host; docs/benchmarks.md, "Choosing a backend").
     */
    static final double ESTIMATE_FIXED_NS = 100_000;
    static final double ESTIMATE_SCALE = 0.56;

    /**
     * The tolerance the conformance kit runs this backend with (relative to the largest magnitude of the
     * reference result, see {@code Agreement}); the kit's default, as for the float32 GEMM backends. The
     * precision this backend guarantees is relative to the operands, {@code |error| <= 2e-7 * max|x| *
     * max_k sum|w_k|} for the forward pass (measured at most 4e-8); on the kit's default cases that was at
     * most 9.1e-7 of the result. Under cancellation (results far smaller than the operands) the error
     * relative to the result can exceed this tolerance, as for any float32 method (docs/fft.md, section 7).
     */
    public static final float TOLERANCE = 1e-5f;

    /** Plans cached per product and geometry ({@link #plan}); at most {@link #PLAN_CACHE_SIZE}, least recently used out. */
    static final int PLAN_CACHE_SIZE = 256;

    private final LruCache<PlanKey, FftPlanner.Plan> plans = new LruCache<>(PLAN_CACHE_SIZE);
    private final long workspaceBytes;
    /** Largest transform length per axis (tests lower it to force tiling). */
    private final int maxTransform;

    /** A backend with the shared workspace limit, {@link Workspace#defaultLimitBytes()}. */
    public FftBackend() {
        this(Workspace.defaultLimitBytes());
    }

    /**
     * A backend whose spectra take at most {@code workspaceBytes} at once (at least two spectra are
     * always kept, whatever the limit).
     *
     * @param workspaceBytes the limit in bytes
     * @throws IllegalArgumentException if {@code workspaceBytes < } {@link Workspace#MIN_LIMIT_BYTES}
     */
    public FftBackend(long workspaceBytes) {
        this(Workspace.checkLimit(workspaceBytes), FftSizes.MAX_TRANSFORM);
    }

    /**
     * As {@link #FftBackend(long)}, with transform lengths capped at {@code maxTransform} (forces tiling);
     * for tests, any positive limit is accepted, so a tiny one can force blocking.
     */
    FftBackend(long workspaceBytes, int maxTransform) {
        if (workspaceBytes < 1) {
            throw new IllegalArgumentException("workspaceBytes: expected at least 1, got " + workspaceBytes);
        }
        if (maxTransform < 2) {
            throw new IllegalArgumentException("maxTransform: expected at least 2, got " + maxTransform);
        }
        this.workspaceBytes = workspaceBytes;
        this.maxTransform = maxTransform;
    }

    /**
     * The planner's choice for this product and geometry, from a small cache: the search over transform sizes
     * takes 0.01-1 ms, as long as a small layer's whole pass, and a network calls the same geometries again and
     * again. Plans are immutable, so sharing one between threads is safe.
     */
    private FftPlanner.Plan plan(ConvPass op, ConvShape s) {
        return plans.get(new PlanKey(op, s), k -> FftPlanner.plan(op, s, transformLimit()));
    }

    /** A product and a geometry ({@link ConvShape} compares every size and parameter). */
    private record PlanKey(ConvPass op, ConvShape shape) {
    }

    private int transformLimit() {
        return Math.min(maxTransform, FftSizes.maxTransform());
    }

    /**
     * The workspace limit in bytes.
     *
     * @return the limit
     */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    @Override
    public String name() {
        return "fft";
    }

    /** Kernels whose dilated extent fits the largest transform length on each axis. */
    @Override
    public boolean supports(ConvShape shape, ConvPass pass) {
        return shape.dilatedKernelH() <= transformLimit() && shape.dilatedKernelW() <= transformLimit();
    }

    /**
     * The planner's cost model of the single-tile transforms ({@link FftPlanner#singleTileCost}, an upper bound
     * of the plan it chooses, cheap to compute), scaled to measured time, plus a fixed cost per call.
     */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        if (pass == ConvPass.FORWARD) {
            return ESTIMATE_FIXED_NS + ESTIMATE_SCALE * FftPlanner.singleTileCost(ConvPass.FORWARD, shape);
        }
        return 2 * ESTIMATE_FIXED_NS + ESTIMATE_SCALE * (FftPlanner.singleTileCost(ConvPass.INPUT_GRADIENT, shape)
                + FftPlanner.singleTileCost(ConvPass.WEIGHT_GRADIENT, shape));
    }

    @Override
    protected Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        compute(s, input.data(), weight.data(), bias, output.data());
        return output;
    }

    @Override
    protected ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        Tensor4D dw = s.newWeight();
        inputGradient(s, weight.data(), gradOutput.data(), dx.data());
        weightGradient(s, input.data(), gradOutput.data(), dw.data());
        return new ConvGradients(dx, dw, biasGradient(s, gradOutput));
    }

    /** dL/dx alone: only the input-gradient product. */
    @Override
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        Tensor4D dx = s.newInput();
        inputGradient(s, weight.data(), gradOutput.data(), dx.data());
        return dx;
    }

    /** dL/dw alone: only the weight-gradient product. */
    @Override
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        Tensor4D dw = s.newWeight();
        weightGradient(s, input.data(), gradOutput.data(), dw.data());
        return dw;
    }

    // ------------------------------------------------------------------------------------------ 3D

    /**
     * Whether the 3D pass runs here ({@link Fft3d}): every axis is one transform of at most
     * {@link FftSizes#maxTransform()} (there is no tiling in 3D), of at most {@link FftPlanner#MAX_POINTS_3D}
     * points, and the smallest workspace of a product, {@link #minimum3dBytes} (two spectra held by the engine
     * plus each thread's scratch: its signal buffer, its transform's slice spectra and the accumulated product,
     * about four spectra), fits the process-wide budget ({@link WorkspaceBudget#global()}) on its own. The
     * per-call limit ({@link #workspaceBytes()}) sizes the chunks as in 2D, down to two spectra at once. Strides,
     * six-sided padding, dilation and groups are all served.
     */
    @Override
    public boolean supports3d(Conv3dShape shape, ConvPass pass) {
        for (ConvPass op : Fft3d.products(pass)) {
            FftPlanner.Plan3d p = cachedPlan3d(op, shape);
            if (p == null || minimum3dBytes(p) > WorkspaceBudget.global().totalBytes()) {
                return false;
            }
        }
        return true;
    }

    /** The least workspace a 3D product with this plan needs: see {@link #supports3d}. */
    static long minimum3dBytes(FftPlanner.Plan3d p) {
        return Fft3d.spectrumBytes(p) * (2 + 4L * SpectralProduct.threads());
    }

    /**
     * The 3D estimate: the products' model cost ({@link FftPlanner#cost3d}, the units of the 2D model), as
     * {@link #estimateNanos} scales it, then corrected by the profile's {@code fft.forward3dScale},
     * {@code fft.forward3dOffsetNs} (and {@code backward3d...}) as {@link CostProfile#estimate} corrects the 2D
     * estimate; infinite where no plan fits the transform cap ({@link #supports3d} declines those, and products
     * beyond the workspace budget).
     */
    @Override
    public double estimate3dNanos(Conv3dShape shape, ConvPass pass) {
        double model = 0;
        for (ConvPass op : Fft3d.products(pass)) {
            FftPlanner.Plan3d p = cachedPlan3d(op, shape);
            if (p == null) {
                return Double.POSITIVE_INFINITY;
            }
            model += ESTIMATE_FIXED_NS + ESTIMATE_SCALE * FftPlanner.cost3d(shape, p);
        }
        String key = pass == ConvPass.FORWARD ? "fft.forward3d" : "fft.backward3d";
        CostProfile profile = CostProfile.current();
        return profile.numberOr(key + "OffsetNs", 0) + profile.numberOr(key + "Scale", 1) * model;
    }

    @Override
    public Tensor5D forward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, float[] bias) {
        return Fft3d.forward(shape, plan3d(ConvPass.FORWARD, shape), input, weight, bias, workspaceBytes);
    }

    @Override
    public Conv3dGradients backward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, Tensor5D gradOutput) {
        return new Conv3dGradients(
                Fft3d.inputGradient(shape, plan3d(ConvPass.INPUT_GRADIENT, shape), weight, gradOutput, workspaceBytes),
                Fft3d.weightGradient(shape, plan3d(ConvPass.WEIGHT_GRADIENT, shape), input, gradOutput,
                        workspaceBytes),
                biasGradient(shape, gradOutput));
    }

    /**
     * The 3D plan of one product from a small cache, as {@link #plan} for 2D (the search weighs up to a few
     * hundred size triples); {@code null} inside the holder where none fits.
     */
    private FftPlanner.Plan3d cachedPlan3d(ConvPass op, Conv3dShape s) {
        return plans3d.get(new Plan3dKey(op, s.batch(), s.inChannels(), s.outChannels(), s.params(), s.depth(),
                s.rows(), s.cols()), k -> new Plan3dHolder(FftPlanner.plan3d(op, s, transformLimit()))).plan();
    }

    /** A product and a 3D geometry: every size and parameter a plan depends on. */
    private record Plan3dKey(ConvPass op, int batch, int inChannels, int outChannels, Conv3dParams params,
                             ConvAxis depth, ConvAxis rows, ConvAxis cols) {
    }

    /** A cached 3D plan, or none. */
    private record Plan3dHolder(FftPlanner.Plan3d plan) {
    }

    private final LruCache<Plan3dKey, Plan3dHolder> plans3d = new LruCache<>(PLAN_CACHE_SIZE);

    private FftPlanner.Plan3d plan3d(ConvPass op, Conv3dShape shape) {
        FftPlanner.Plan3d p = cachedPlan3d(op, shape);
        if (p == null || minimum3dBytes(p) > WorkspaceBudget.global().totalBytes()) {
            throw new UnsupportedOperationException("fft backend: 3D " + op + " on " + shape + " needs a transform"
                    + (p == null ? " longer than " + transformLimit() + " per axis or of more than "
                    + FftPlanner.MAX_POINTS_3D + " points" : " whose smallest workspace (" + minimum3dBytes(p)
                    + " bytes) exceeds the whole workspace budget of " + WorkspaceBudget.global().totalBytes()
                    + " bytes") + " (use another backend)");
        }
        return p;
    }

    // ------------------------------------------------------------------------------------------ forward

    private void compute(ConvShape s, float[] x, float[] w, float[] bias, float[] y) {
        int plane = s.outPlane();
        for (int n = 0; n < s.batch(); n++) {
            for (int k = 0; k < s.outChannels(); k++) {
                int base = s.outputIndex(n, k, 0, 0);
                Arrays.fill(y, base, base + plane, bias == null ? 0f : bias[k]);
            }
        }
        FftPlanner.Plan plan = plan(ConvPass.FORWARD, s);
        boolean xClean = !NonFinite.any(x);
        RealFft2D fft = plan.fft();
        Scaling scaling = Scaling.of(x, w);
        int nt = plan.tiles();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        for (int g = 0; g < s.groups(); g++) {
            int group = g;
            // A(i, l): input tile i = (n, tile) of channel g*Cg + l
            SpectralProduct.Signals a = (i, l, buf, rows) -> placeInput(s, x, xClean, i / nt, group * cg + l, plan,
                    i % nt, scaling.first(), buf, rows);
            // B(l, j): the dilated kernel of filter g*Kg + j, channel l
            SpectralProduct.Signals b = (l, j, buf, rows) -> placeKernel(s, w, group * kg + j, l, fft.fw, scaling.second(),
                    buf, rows);
            // out(i, j): output tile i = (n, tile) of filter g*Kg + j, on the decimated grid
            SpectralProduct.Sink sink = tileSink(plan, plan.decH, plan.decW, scaling.factor(), y,
                    (n, j, oh) -> s.outputIndex(n, group * kg + j, oh, 0));
            SpectralProduct.run(fft, s.batch() * nt, cg, kg, a, b, true, sink, workspaceBytes);
        }
        StructuralZeros.forward(s, bias, y);
        if (!xClean || NonFinite.any(w)) {
            NonFinite.forward(s, x, w, y);
        }
    }

    // ------------------------------------------------------------------------------------------ backward

    /** dx: per group, {@code DX[n,c] = sum_k U[n,k] * W[k,c]}, cropped to the input positions. */
    private void inputGradient(ConvShape s, float[] w, float[] dy, float[] dx) {
        FftPlanner.Plan plan = plan(ConvPass.INPUT_GRADIENT, s);
        RealFft2D fft = plan.fft();
        Scaling scaling = Scaling.of(dy, w);
        int nt = plan.tiles();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        for (int g = 0; g < s.groups(); g++) {
            int group = g;
            // A(i, l): gradient tile i = (n, tile) of filter g*Kg + l, upsampled by the stride
            SpectralProduct.Signals a = SpectralProduct.upsampled(
                    (i, l, buf, rows) -> placeGradientForInput(s, dy, i / nt, group * kg + l, plan, i % nt, scaling.first(), buf, rows),
                    plan.upH, plan.upW, (i, l, out) -> {
                        int tile = i % nt;
                        // data position oh*s sits at buffer index (oh*s - lo) mod f, which is = -lo (mod s)
                        out[0] = (int) Math.floorMod(-plan.h.lo(tile / plan.w.tiles), (long) plan.upH);
                        out[1] = (int) Math.floorMod(-plan.w.lo(tile % plan.w.tiles), (long) plan.upW);
                    });
            SpectralProduct.Signals b = (l, j, buf, rows) -> placeKernel(s, w, group * kg + l, j, fft.fw, scaling.second(),
                    buf, rows);
            // out(i, j): input-gradient tile i = (n, tile) of channel g*Cg + j
            SpectralProduct.Sink sink = tileSink(plan, 1, 1, scaling.factor(), dx,
                    (n, j, ih) -> s.inputIndex(n, group * cg + j, ih, 0));
            SpectralProduct.run(fft, s.batch() * nt, kg, cg, a, b, false, sink, workspaceBytes);
        }
        StructuralZeros.inputGradient(s, dx);
        if (NonFinite.any(dy) || NonFinite.any(w)) {
            NonFinite.inputGradient(s, w, dy, dx);
        }
    }

    /** dw: per group, {@code DW[k,c] = sum_{n, tiles} X[n,c] * conj(U[n,k])}, read at the kernel taps. */
    private void weightGradient(ConvShape s, float[] x, float[] dy, float[] dw) {
        FftPlanner.Plan plan = plan(ConvPass.WEIGHT_GRADIENT, s);
        boolean xClean = !NonFinite.any(x);
        RealFft2D fft = plan.fft();
        Scaling scaling = Scaling.of(x, dy);
        double factor = scaling.factor();
        ConvParams p = s.params();
        int nt = plan.tiles();
        int cg = s.inChannelsPerGroup();
        int kg = s.outChannelsPerGroup();
        int kh = s.kernelH();
        int kw = s.kernelW();
        for (int g = 0; g < s.groups(); g++) {
            int group = g;
            // A(i, l): channel i = g*Cg + i, tile l = (n, tile) of the input
            SpectralProduct.Signals a = (i, l, buf, rows) -> placeInput(s, x, xClean, l / nt, group * cg + i, plan,
                    l % nt, scaling.first(), buf, rows);
            // B(l, j): gradient tile l = (n, tile) of filter g*Kg + j, placed from the tile's first output
            SpectralProduct.Signals b = SpectralProduct.upsampled(
                    (l, j, buf, rows) -> placeGradientForWeight(s, dy, l / nt, group * kg + j, plan, l % nt, scaling.second(), buf, rows),
                    plan.upH, plan.upW, (l, j, out) -> {
                        out[0] = 0; // output oh sits at (oh - oh0)*s
                        out[1] = 0;
                    });
            SpectralProduct.Sink sink = new SpectralProduct.Sink() {
                @Override
                public int rows(int i, int j, int[] rows) {
                    for (int t = 0; t < kh; t++) {
                        // tap t at circular position t*dh (below f: f >= the dilated extent); decimated: t*dh/decH
                        rows[t] = t * p.dilationH() / plan.decH;
                    }
                    return kh;
                }

                @Override
                public void accept(int i, int j, float[] data, int fw) {
                    int k = group * kg + j;
                    int step = p.dilationW() / plan.decW;
                    for (int t = 0; t < kh; t++) {
                        int dst = ((k * cg + i) * kh + t) * kw;
                        for (int u = 0; u < kw; u++) {
                            dw[dst + u] += (float) (data[t * fw + u * step] * factor);
                        }
                    }
                }

                @Override
                public int decimationH() {
                    return plan.decH;
                }

                @Override
                public int decimationW() {
                    return plan.decW;
                }
            };
            SpectralProduct.run(fft, cg, s.batch() * nt, kg, a, b, true, sink, workspaceBytes);
        }
        StructuralZeros.weightGradient(s, dw);
        if (NonFinite.any(dy) || !xClean) {
            NonFinite.weightGradient(s, x, dy, dw);
        }
    }

    /** The destination index of row {@code row}, column 0, of output {@code j} of image {@code n}. */
    @FunctionalInterface
    private interface RowStart {
        int at(int n, int j, int row);
    }

    /**
     * The sink of the forward and input-gradient passes: output {@code (i, j)}, with {@code i = (n, tile)},
     * covers the tile's rows {@code [first, end)} and columns of the destination, at circular positions
     * {@code outputIndex / dec} (on the grid decimated by {@code (decH, decW)}); each value, times
     * {@code factor}, is added to {@code dst[start.at(n, j, row) + column]}.
     */
    private static SpectralProduct.Sink tileSink(FftPlanner.Plan plan, int decH, int decW, double factor, float[] dst,
                                                 RowStart start) {
        int nt = plan.tiles();
        return new SpectralProduct.Sink() {
            @Override
            public int rows(int i, int j, int[] rows) {
                int th = (i % nt) / plan.w.tiles;
                int count = 0;
                for (int r = plan.h.first(th); r < plan.h.end(th); r++) {
                    // circular position (r - r0)*s; on the decimated grid, divided by the decimation
                    rows[count++] = plan.h.outputIndex(th, r) / decH;
                }
                return count;
            }

            @Override
            public void accept(int i, int j, float[] data, int fw) {
                int n = i / nt;
                int th = (i % nt) / plan.w.tiles;
                int tw = (i % nt) % plan.w.tiles;
                int r0 = plan.h.first(th);
                for (int r = r0; r < plan.h.end(th); r++) {
                    int row = (r - r0) * fw;
                    int d = start.at(n, j, r);
                    if (decW == 1) { // no integer division per element where there is no decimation
                        for (int c = plan.w.first(tw); c < plan.w.end(tw); c++) {
                            dst[d + c] += (float) (data[row + plan.w.outputIndex(tw, c)] * factor);
                        }
                    } else {
                        for (int c = plan.w.first(tw); c < plan.w.end(tw); c++) {
                            dst[d + c] += (float) (data[row + plan.w.outputIndex(tw, c) / decW] * factor);
                        }
                    }
                }
            }

            @Override
            public int decimationH() {
                return decH;
            }

            @Override
            public int decimationW() {
                return decW;
            }
        };
    }

    // ------------------------------------------------------------------------------------------ placement

    /**
     * Writes tile {@code tile} of input channel {@code (n, c)} into {@code buf}: data position {@code (r, q)}
     * at buffer {@code (bufferIndex_h(r), bufferIndex_w(q))}, scaled by {@code scale}, non-finite values as 0.
     */
    private static int placeInput(ConvShape s, float[] x, boolean clean, int n, int c, FftPlanner.Plan plan,
                                  int tile, float scale, float[] buf, int[] rows) {
        int th = tile / plan.w.tiles;
        int tw = tile % plan.w.tiles;
        int r0 = (int) plan.h.dataFirst(th);
        int r1 = (int) plan.h.dataLast(th);
        int q0 = (int) plan.w.dataFirst(tw);
        int q1 = (int) plan.w.dataLast(tw);
        if (r0 > r1 || q0 > q1) {
            return 0;
        }
        int fw = plan.w.f;
        int colStart = plan.w.bufferIndex(tw, q0);
        int count = 0;
        for (int r = r0; r <= r1; r++) {
            int br = plan.h.bufferIndex(th, r);
            rows[count++] = br;
            int src = s.inputIndex(n, c, r, 0);
            Arrays.fill(buf, br * fw, br * fw + fw, 0f);
            copyRow(x, src + q0, q1 - q0 + 1, scale, clean, buf, br * fw, colStart, fw);
        }
        return count;
    }

    /**
     * Copies {@code len} values from {@code src[from ..]} to buffer row {@code buf[rowOff ..]} starting at
     * column {@code col} and wrapping at {@code fw}; scaled, non-finite values written as 0 ({@code clean}:
     * the source is known to hold none, so the plain scaled copy runs).
     */
    private static void copyRow(float[] src, int from, int len, float scale, boolean clean, float[] buf, int rowOff,
                                int col, int fw) {
        int first = Math.min(len, fw - col);
        if (clean) {
            for (int q = 0; q < first; q++) {
                buf[rowOff + col + q] = src[from + q] * scale;
            }
            for (int q = first; q < len; q++) {
                buf[rowOff + q - first] = src[from + q] * scale;
            }
            return;
        }
        for (int q = 0; q < first; q++) {
            float v = src[from + q];
            buf[rowOff + col + q] = Float.isFinite(v) ? v * scale : 0f;
        }
        for (int q = first; q < len; q++) {
            float v = src[from + q];
            buf[rowOff + q - first] = Float.isFinite(v) ? v * scale : 0f;
        }
    }

    /** Writes the kernel {@code w[k, c]} zero-inserted by the dilation: tap {@code (i, j)} at {@code (i*dh, j*dw)}. */
    private static int placeKernel(ConvShape s, float[] w, int k, int c, int fw, float scale, float[] buf, int[] rows) {
        ConvParams p = s.params();
        int kh = s.kernelH();
        int kw = s.kernelW();
        int src = (k * s.inChannelsPerGroup() + c) * kh * kw;
        for (int i = 0; i < kh; i++) {
            int row = i * p.dilationH();
            rows[i] = row;
            Arrays.fill(buf, row * fw, row * fw + fw, 0f);
            for (int j = 0; j < kw; j++) {
                float v = w[src + i * kw + j];
                buf[row * fw + j * p.dilationW()] = Float.isFinite(v) ? v * scale : 0f;
            }
        }
        return kh;
    }

    /**
     * Writes tile {@code tile} of the output gradient {@code dy[n, k]} for the input gradient: upsampled by
     * the stride (gradient row {@code oh} is data position {@code oh*sh}), at buffer index
     * {@code bufferIndex(oh*sh)}, on the small grid of an upsampled plan.
     */
    private static int placeGradientForInput(ConvShape s, float[] dy, int n, int k, FftPlanner.Plan plan, int tile,
                                             float scale, float[] buf, int[] rows) {
        ConvParams p = s.params();
        return placeGradient(s, dy, n, k, upsampled(plan.h, tile / plan.w.tiles, p.strideH(), plan.upH),
                upsampled(plan.w, tile % plan.w.tiles, p.strideW(), plan.upW), plan.w.f / plan.upW, scale, buf, rows);
    }

    /**
     * Writes the outputs of tile {@code tile} of the output gradient {@code dy[n, k]} for the weight
     * gradient: output {@code (oh, ow)} at {@code ((oh - oh0)*sh, (ow - ow0)*sw)}, where {@code (oh0, ow0)} is
     * the tile's first output (on the small grid of an upsampled plan, one output per position).
     */
    private static int placeGradientForWeight(ConvShape s, float[] dy, int n, int k, FftPlanner.Plan plan, int tile,
                                              float scale, float[] buf, int[] rows) {
        ConvParams p = s.params();
        int th = tile / plan.w.tiles;
        int tw = tile % plan.w.tiles;
        return placeGradient(s, dy, n, k, fromFirst(plan.h.first(th), plan.h.end(th) - 1, p.strideH() / plan.upH),
                fromFirst(plan.w.first(tw), plan.w.end(tw) - 1, p.strideW() / plan.upW), plan.w.f / plan.upW,
                scale, buf, rows);
    }

    /** Outputs {@code first..last} at buffer index {@code (o - first)*step}. */
    private static AxisSpan fromFirst(int first, int last, int step) {
        return new AxisSpan(first, last, step, -first * step);
    }

    /**
     * The span of tile {@code t} of a {@link AxisTiling.Kind#CONVOLVE} axis, whose data is the gradient upsampled by
     * {@code stride}: output {@code o} is data position {@code o*stride}, at buffer index {@code (o*stride - lo)/up}
     * ({@code up} 1 or the stride). A tile's data never wraps ({@link AxisTiling}), so the index is affine in
     * {@code o}.
     */
    private static AxisSpan upsampled(AxisTiling a, int t, int stride, int up) {
        long first = a.dataFirst(t);
        long last = a.dataLast(t);
        if (first > last) {
            return new AxisSpan(0, -1, 0, 0);
        }
        int from = (int) (first / stride);
        int step = stride / up;
        return new AxisSpan(from, (int) (last / stride), step, a.bufferIndex(t, first) / up - from * step);
    }

    /**
     * Writes the outputs {@code rows x cols} of the output gradient {@code dy[n, k]} into {@code buf} (rows of
     * {@code fw}), each at its spans' buffer position, scaled by {@code scale}, non-finite values as 0; lists the
     * rows written.
     */
    private static int placeGradient(ConvShape s, float[] dy, int n, int k, AxisSpan rowSpan, AxisSpan colSpan,
                                     int fw, float scale, float[] buf, int[] rows) {
        int cols = colSpan.count();
        if (rowSpan.count() == 0 || cols == 0) {
            return 0;
        }
        int step = colSpan.step();
        int count = 0;
        for (int oh = rowSpan.from(); oh <= rowSpan.to(); oh++) {
            int br = rowSpan.at(oh);
            rows[count++] = br;
            Arrays.fill(buf, br * fw, br * fw + fw, 0f);
            int src = s.outputIndex(n, k, oh, colSpan.from());
            int dst = br * fw + colSpan.at(colSpan.from());
            for (int q = 0; q < cols; q++) {
                float v = dy[src + q];
                buf[dst + q * step] = Float.isFinite(v) ? v * scale : 0f;
            }
        }
        return count;
    }

    /**
     * The exact power-of-two scaling of a product's two operands: each is multiplied by {@code first} or
     * {@code second} ({@code 2^-e} for its {@link #exponent}) before the transforms, and the result by
     * {@code factor = 2^(e1 + e2)} after them. Powers of two change no significand bit, so the scaled
     * result equals the unscaled one wherever the latter neither overflows nor underflows.
     */
    record Scaling(float first, float second, double factor) {
        static Scaling of(float[] a, float[] b) {
            int ea = exponent(a);
            int eb = exponent(b);
            return new Scaling(Math.scalb(1f, -ea), Math.scalb(1f, -eb), Math.scalb(1.0, ea + eb));
        }
    }

    /**
     * The binary exponent {@code e} of the largest finite magnitude of {@code a} ({@code 2^e <= max < 2^(e+1)}),
     * or 0 if there is none: dividing by {@code 2^e} is exact and brings the operand to {@code [1, 2)}, so
     * neither the products nor the sums of the transforms overflow or sink into subnormals.
     */
    static int exponent(float[] a) {
        float max = 0f;
        for (float v : a) {
            float m = Math.abs(v);
            if (m > max && m != Float.POSITIVE_INFINITY) {
                max = m; // NaN fails the comparison
            }
        }
        return max == 0f ? 0 : Math.getExponent(max);
    }
}
