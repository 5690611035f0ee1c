package org.conv4j.winograd;

import org.conv4j.onednn.BatchedMatmul;
import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.openblas.Parallel;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;

import static org.conv4j.winograd.Transforms.LANES;

/**
 * Runs one {@link Correlation} by Winograd's method in four stages, as NNPACK structures them:
 * <ol>
 *   <li><b>kernel transform</b>: {@code U[xi][ko][ci] = (G g G^T)[xi]} for every kernel, {@code xi < alpha^2} the
 *       position in the transformed tile;</li>
 *   <li><b>input transform</b>: {@code V[xi][c][t] = (B^T d_t B)[xi]} for every source channel {@code c} and tile
 *       {@code t} of a block or chunk of tiles;</li>
 *   <li><b>GEMM</b>: for each {@code xi} and group, {@code M[xi][ko][t] = sum_ci U[xi][ko][ci] V[xi][ci][t]}, a
 *       product {@code (dstPerGroup x srcPerGroup) * (srcPerGroup x tiles)} (OpenBLAS sgemm, or all {@code xi} of a
 *       group as one oneDNN batched matmul): the element-wise products of the formula, summed over channels. Summing
 *       before the output transform is right because the transform is linear;</li>
 *   <li><b>output transform</b>: {@code dst tile = A^T M_t A} (+ bias), cropped at the destination's edges.</li>
 * </ol>
 *
 * <p>Stages 2 to 4 run in one of two ways ({@link Plan#way}):
 * <ul>
 *   <li><b>fused tile blocks</b>, up to 256 input channels per group ({@link #fusable}): each worker (one per
 *       thread of {@link Parallel}) takes blocks of {@code n} consecutive tiles in turn and runs all three stages on
 *       a block before the next, on its own {@code V} and {@code M} of about {@code alpha^2 * (C + K) * n} floats
 *       (about 2 MiB, {@link WinogradTuning#BLOCK_FLOATS}). Its GEMMs have at most
 *       {@link WinogradTuning#SINGLE_THREAD_GEMM_MACS} multiply-adds, so OpenBLAS runs each on the worker's own
 *       thread: both cores multiply at once without OpenBLAS's threads being woken per product, and the transformed
 *       data stays in cache from stage to stage;</li>
 *   <li><b>staged chunks</b>, for more input channels (deep layers: large kernels, few tiles): each stage runs on a
 *       chunk of up to {@link WinogradTuning#MAX_CHUNK_TILES} tiles before the next, the transforms in parallel over
 *       (channel, block of {@link Transforms#LANES} tiles), the products over the whole chunk on the GEMM library's
 *       threads: one sgemm per {@code xi} and group, or ({@link Mode#MATMUL}, from
 *       {@link WinogradTuning#MATMUL_MIN_CHANNELS} channels where oneDNN loads) one oneDNN batched matmul per group
 *       over all {@code xi}, on chunks whose {@code V} and {@code M} stay within
 *       {@link WinogradTuning#MATMUL_CHUNK_FLOATS}. There the transformed kernel is the large operand, and each
 *       product reads it once.</li>
 * </ul>
 *
 * <p><b>Workspace layout</b> (one native buffer, row-major; {@code T} the tiles of a chunk or block):
 * <pre>
 *   U at 0:                 [xi][ko][ci]   alpha^2 x dstChannels x srcPerGroup   (group g's rows ko = g*dstPerGroup ..)
 *   staged chunks:
 *     V:                    [xi][c][t]     alpha^2 x srcChannels x T      V[xi]: C x T, leading dimension T
 *     M after V:            [xi][ko][t]    alpha^2 x dstChannels x T      M[xi]: K x T, leading dimension T
 *     scratchpad after M:   oneDNN's, for MATMUL only                (WinogradTuning.MATMUL_SCRATCHPAD_FLOATS)
 *   fused blocks, per worker w, xi = j*alpha + i:
 *     V:                    [j][c][i][t]   alpha slabs of C x alpha x T    V[xi]: C x T, leading dimension alpha*T
 *     M after V:            [j][ko][i][t]  alpha slabs of K x alpha x T    M[xi]: K x T, leading dimension alpha*T
 * </pre>
 * Either way {@code U[xi]}'s group block, {@code V[xi]} and {@code M[xi]} are plain row-major matrices that sgemm reads
 * in place. In a fused block the {@code alpha} positions {@code j*alpha ..} of a channel are one run of
 * {@code alpha x T} in slab {@code j}: the transformed values of a channel move to and from native memory in
 * {@code alpha} copies ({@code alpha^2} in a chunk, where a channel's runs lie a matrix apart), and the rows of
 * {@code V[xi]} lie {@code alpha * T} floats apart, not {@code alpha^2 * T} (fewer pages and cache lines per
 * product). Tiles are numbered image by image, row by row: {@code t = (n * tilesH + th) * tilesW + tw}; the
 * tile-innermost runs of {@code V} and {@code M} are exactly the runs the transforms produce and consume
 * ({@link Transforms}).
 *
 * <p><b>Threads</b>: every output element is computed by one task in a fixed order (a block's by the worker that
 * takes it, with the same products whichever worker that is), so results do not depend on the thread count or on
 * the order in which workers take blocks.
 */
final class WinogradEngine {

    /** The stages of the {@code profile} array of {@link #run}: indexes into its nanoseconds. */
    static final int KERNEL_TRANSFORM = 0;
    static final int INPUT_TRANSFORM = 1;
    static final int GEMM = 2;
    static final int OUTPUT_TRANSFORM = 3;

    /** The fused blocks' profile clock: each worker's CPU time. */
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Per-thread scratch: the block's arrays for {@link Transforms#apply} and its tile segments. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private WinogradEngine() {
    }

    /**
     * How stages 2 to 4 run: fused blocks of {@code tiles} tiles on {@code workers} workers, each with its own
     * {@code V} and {@code M}; or staged chunks of {@code tiles} tiles ({@code workers} is then 1), their products on
     * OpenBLAS or as oneDNN batched matmuls.
     *
     * @param way     {@link Mode#FUSED}, {@link Mode#STAGED} or {@link Mode#MATMUL} (a resolved mode)
     * @param tiles   the tiles of a block or chunk
     * @param workers the workers that hold a {@code V} and {@code M} each
     */
    record Plan(Mode way, int tiles, int workers) {

        /** Whether blocks are fused (else staged chunks). */
        boolean fused() {
            return way == Mode.FUSED;
        }

        /** Whether a staged chunk's products are oneDNN batched matmuls. */
        boolean matmul() {
            return way == Mode.MATMUL;
        }

        /**
         * The row pitch of {@code V[xi]} and {@code M[xi]} (sgemm's leading dimension), {@link #padded}: fused, a
         * channel's {@code alpha * tiles} floats of one slab; staged, a chunk's {@code tiles}.
         */
        int ld(TileSize t) {
            return padded(fused() ? (long) t.alpha * tiles : tiles);
        }

        /**
         * The workspace floats beside the transformed kernel: every worker's {@code V} and {@code M}, and with
         * {@code matmul} the products' scratchpad ({@link WinogradTuning#MATMUL_SCRATCHPAD_FLOATS}) after them.
         */
        long floats(Correlation p, TileSize t) {
            long channels = p.srcChannels() + p.dstChannels();
            long rows = channels * (fused() ? (long) workers * t.alpha : t.alpha * t.alpha);
            return rows * ld(t) + (matmul() ? WinogradTuning.MATMUL_SCRATCHPAD_FLOATS : 0);
        }
    }

    /**
     * {@code floats} rounded up to whole cache lines (16 floats) and then to an odd number of them. As the pitch of a
     * matrix's rows this puts consecutive rows in different cache sets: with a power-of-two pitch (a chunk of 1024
     * tiles; a slab row of 32 F(6x6) tiles, 256 floats) every row of {@code V[xi]} falls in the same few sets of L1
     * and L2, and a product that reads 64 of them evicts its own operand.
     */
    static int padded(long floats) {
        long lines = (floats + 15) / 16;
        return (int) ((lines % 2 == 0 ? lines + 1 : lines) * 16);
    }

    /**
     * Which way stages 2 to 4 run: {@link #BY_SHAPE} in production, the others forced (for tests).
     * <ul>
     *   <li>{@link #MATMUL}: staged chunks whose products are oneDNN batched matmuls ({@link BatchedMatmul}), one
     *       per group over every position {@code xi}, on oneDNN's threads;</li>
     *   <li>{@link #FUSED}: fused blocks, OpenBLAS on each worker's thread;</li>
     *   <li>{@link #STAGED}: staged chunks, one OpenBLAS sgemm per position and group on OpenBLAS's threads.</li>
     * </ul>
     * {@link #BY_SHAPE} runs {@link #MATMUL} where oneDNN loads and a group has at least
     * {@link WinogradTuning#MATMUL_MIN_CHANNELS} input channels, else fused blocks where {@link #fusable}, else staged
     * chunks.
     */
    enum Mode {
        BY_SHAPE, FUSED, STAGED, MATMUL;

        /**
         * The mode {@code p} runs in: this one ({@link #STAGED} for {@link #MATMUL} where oneDNN does not load), or for
         * {@link #BY_SHAPE} the one the shape and platform give.
         */
        Mode resolve(Correlation p) {
            if (this == MATMUL && !MatmulSupport.AVAILABLE) {
                return STAGED;
            }
            if (this != BY_SHAPE) {
                return this;
            }
            if (MatmulSupport.AVAILABLE && p.srcPerGroup() >= WinogradTuning.MATMUL_MIN_CHANNELS) {
                return MATMUL;
            }
            return fusable(p) ? FUSED : STAGED;
        }

        /** The mode's name in lower case, as the stage profile reports it. */
        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Whether oneDNN's matmul runs here, asked once. */
    private static final class MatmulSupport {
        static final boolean AVAILABLE = BatchedMatmul.available();
    }

    /**
     * Whether a group's product of up to {@link WinogradTuning#FUSED_FILTERS} filters on
     * {@link WinogradTuning#MIN_FUSED_COLUMNS} tiles fits OpenBLAS's single-thread size (by default: up to 256 input
     * channels per group, any number of filters): then the fused blocks run ({@link Plan#fused}).
     */
    static boolean fusable(Correlation p) {
        return (long) p.srcPerGroup() * Math.min(p.dstPerGroup(), WinogradTuning.FUSED_FILTERS)
                * WinogradTuning.MIN_FUSED_COLUMNS <= WinogradTuning.SINGLE_THREAD_GEMM_MACS;
    }

    /**
     * The tiles of one fused GEMM call on a block of {@code n}: as many as stay within
     * {@link WinogradTuning#SINGLE_THREAD_GEMM_MACS} with up to {@link WinogradTuning#FUSED_FILTERS} filters, at most
     * {@code n} (then {@link #fusedRows} takes as many filters as fit).
     */
    static int fusedColumns(Correlation p, int n) {
        long perColumn = (long) p.srcPerGroup() * Math.min(p.dstPerGroup(), WinogradTuning.FUSED_FILTERS);
        return (int) Math.max(1, Math.min(n, WinogradTuning.SINGLE_THREAD_GEMM_MACS / perColumn));
    }

    /** The filters of one fused GEMM call of {@code columns} tiles: as many as stay within the single-thread size. */
    static int fusedRows(Correlation p, int columns) {
        long perRow = (long) p.srcPerGroup() * columns;
        return (int) Math.max(1, Math.min(p.dstPerGroup(), WinogradTuning.SINGLE_THREAD_GEMM_MACS / perRow));
    }

    /** The workers that {@link Parallel#forEach} can run at once: the common pool's threads and the caller. */
    static int workers() {
        return ForkJoinPool.getCommonPoolParallelism() + 1;
    }

    /**
     * The plan for {@code bytes} of workspace with {@code kernelFloats} of it taken by the transformed kernel (0 when
     * it lives elsewhere): fused blocks of at most {@code maxTiles} tiles and {@link WinogradTuning#BLOCK_FLOATS}
     * ({@link Transforms#LANES} at most), small images split evenly over the workers, as many workers as fit; or
     * staged chunks of all tiles if they fit, else of as many as fit up to {@code maxTiles} (a multiple of
     * {@link Transforms#LANES} above it), as {@code mode} says. At least one tile and one worker, whatever
     * {@code bytes} is.
     */
    static Plan plan(Correlation p, TileSize t, long bytes, long maxTiles, long kernelFloats, Mode mode) {
        long floats = Math.min(bytes / Float.BYTES, NativeFloats.MAX_CAPACITY) - kernelFloats;
        long channels = p.srcChannels() + p.dstChannels();
        int a2 = t.alpha * t.alpha;
        long total = p.tiles(t);
        Mode way = mode.resolve(p);
        // padded() adds at most 32 floats to a row: the fits below allow for that
        if (way == Mode.FUSED) {
            long want = Math.min(Math.min(maxTiles, LANES), Math.max(1, WinogradTuning.BLOCK_FLOATS / (a2 * channels)));
            int workers = workers();
            long tiles = Math.max(1, Math.min(want, (total + workers - 1) / workers));
            for (int w = workers; w >= 1; w--) {
                long fit = (floats / (w * channels * t.alpha) - 32) / t.alpha;
                if (fit >= 1) {
                    return new Plan(way, (int) Math.min(tiles, fit), w);
                }
            }
            return new Plan(way, 1, 1);
        }
        if (way == Mode.MATMUL) {
            // the products' scratchpad, and chunks whose V and M stay in the last-level cache between the stages
            floats -= WinogradTuning.MATMUL_SCRATCHPAD_FLOATS;
            maxTiles = Math.min(maxTiles, Math.max(LANES, WinogradTuning.MATMUL_CHUNK_FLOATS / (a2 * channels)));
        }
        long tiles = Math.max(1, Math.min(Math.min(total, maxTiles), floats / (a2 * channels) - 32));
        // a chunk short of the whole: whole blocks of LANES tiles, so that only the last chunk's last block is partial
        return new Plan(way, (int) (tiles < total && tiles > LANES ? tiles / LANES * LANES : tiles), 1);
    }

    /** Whether the workspace of one tile fits one native buffer ({@link NativeFloats#MAX_CAPACITY}), either way. */
    static boolean fits(Correlation p, TileSize t) {
        // staged with the batched products' scratchpad: the larger of the two staged workspaces
        return workspaceFloats(p, t, new Plan(Mode.MATMUL, 1, 1), p.kernelFloats(t)) <= NativeFloats.MAX_CAPACITY
                && workspaceFloats(p, t, new Plan(Mode.FUSED, 1, 1), p.kernelFloats(t)) <= NativeFloats.MAX_CAPACITY;
    }

    /** The workspace floats of {@code plan} beside {@code kernelFloats} of transformed kernel: {@code U + V + M}. */
    static long workspaceFloats(Correlation p, TileSize t, Plan plan, long kernelFloats) {
        return kernelFloats + plan.floats(p, t);
    }

    /**
     * {@code dst} (fully overwritten) = the correlation {@code p} of {@code src} with the kernels in
     * {@code weight}, plus {@code bias} unless null, by {@code plan} on the workspace {@code ws} of at least
     * {@link #workspaceFloats} floats (with the kernel's). Adds each stage's time to {@code profile} unless it is
     * null.
     */
    static void run(Correlation p, TileSize t, float[] src, float[] weight, float[] bias, float[] dst, Plan plan,
                    NativeFloats ws, long[] profile) {
        long start = System.nanoTime();
        transformKernels(p, t, weight, ws);
        lap(profile, KERNEL_TRANSFORM, start);
        runTransformed(p, t, src, ws, bias, dst, plan, ws, p.kernelFloats(t), profile);
    }

    /**
     * Stages 2 to 4 of {@link #run} with the kernels already transformed: {@code U} at the start of {@code u}
     * ({@link Correlation#kernelFloats} floats, as {@link #transformKernels} writes it), the workers' {@code V} and
     * {@code M} in {@code ws} from {@code at} on ({@link #workspaceFloats} with no kernel). A prepared convolution
     * keeps its own {@code u} across calls; {@link #run} passes its workspace for both.
     */
    static void runTransformed(Correlation p, TileSize t, float[] src, NativeFloats u, float[] bias, float[] dst,
                               Plan plan, NativeFloats ws, long at, long[] profile) {
        if (plan.fused()) {
            runFused(p, t, src, u, bias, dst, plan, ws, at, profile);
        } else {
            runStaged(p, t, src, u, bias, dst, plan, ws, at, profile);
        }
    }

    private static long lap(long[] profile, int stage, long start) {
        if (profile == null) {
            return start;
        }
        long now = System.nanoTime();
        profile[stage] += now - start;
        return now;
    }

    // ------------------------------------------------------------------------------------------- fused blocks

    /**
     * Stages 2 to 4 in fused blocks of {@code plan.tiles()} tiles: worker {@code w} holds {@code V} and {@code M} at
     * {@code at + w * (C + K) * alpha * ld} ({@link Plan#ld}) and takes the next block until none is left. The profile
     * gets the stages' wall time in proportion to the CPU time the workers spent in each (CPU time, so that a
     * worker's thread being descheduled by other processes does not land on whichever stage it was in).
     */
    private static void runFused(Correlation p, TileSize t, float[] src, NativeFloats u, float[] bias, float[] dst,
                                 Plan plan, NativeFloats ws, long at, long[] profile) {
        long total = p.tiles(t);
        int bt = plan.tiles();
        int blocks = (int) ((total + bt - 1) / bt);
        int workers = Math.min(plan.workers(), blocks);
        int ld = plan.ld(t);
        long perWorker = (long) (p.srcChannels() + p.dstChannels()) * t.alpha * ld;
        AtomicInteger next = new AtomicInteger();
        long[][] times = profile == null ? null : new long[workers][3];
        long start = System.nanoTime();
        Parallel.forEach(workers, (long) p.batch() * p.dstChannels() * p.dstH() * p.dstW(), w -> {
            long vAt = at + w * perWorker;
            long mAt = vAt + (long) p.srcChannels() * t.alpha * ld;
            for (int b = next.getAndIncrement(); b < blocks; b = next.getAndIncrement()) {
                long first = (long) b * bt;
                fusedBlock(p, t, src, u, bias, dst, first, (int) Math.min(bt, total - first), ws, vAt, mAt, ld,
                        times == null ? null : times[w]);
            }
        });
        if (profile != null) {
            long wall = System.nanoTime() - start;
            long[] sum = new long[3];
            for (long[] w : times) {
                for (int i = 0; i < 3; i++) {
                    sum[i] += w[i];
                }
            }
            double all = Math.max(1, sum[0] + sum[1] + sum[2]);
            profile[INPUT_TRANSFORM] += Math.round(wall * sum[0] / all);
            profile[GEMM] += Math.round(wall * sum[1] / all);
            profile[OUTPUT_TRANSFORM] += Math.round(wall * sum[2] / all);
        }
    }

    /**
     * One fused block of {@code n} tiles from {@code first}: every source channel's input transform into {@code V}
     * ({@code [j][c][i][t]}: channel rows {@code ld} apart in slabs of {@code C*ld}), the GEMMs into {@code M}
     * ({@code [j][ko][i][t]}, the same) in products of at most {@link #fusedRows} by {@link #fusedColumns}
     * (single-threaded in OpenBLAS, on this thread), every destination channel's output transform from {@code M}.
     * Adds the three stages' CPU nanoseconds to {@code times} unless it is null.
     */
    private static void fusedBlock(Correlation p, TileSize t, float[] src, NativeFloats u, float[] bias, float[] dst,
                                   long first, int n, NativeFloats ws, long vAt, long mAt, int ld, long[] times) {
        Scratch s = SCRATCH.get();
        s.segments.of(p, t, first, n);
        long t0 = cpuTime(times);
        long vSlab = (long) p.srcChannels() * ld;
        long mSlab = (long) p.dstChannels() * ld;
        for (int c = 0; c < p.srcChannels(); c++) {
            inputTransform(p, t, src, c, s, n);
            store(s.f[3], t.alpha, n, ws, vAt + (long) c * ld, vSlab, n);
        }
        long t1 = cpuTime(times);
        int columns = fusedColumns(p, n);
        gemms(p, t, u, ws, vAt, vSlab, n, mAt, mSlab, n, ld, n, columns, fusedRows(p, columns));
        long t2 = cpuTime(times);
        for (int ko = 0; ko < p.dstChannels(); ko++) {
            load(ws, mAt + (long) ko * ld, mSlab, n, s.f[0], t.alpha, n);
            outputTransform(p, t, bias, dst, ko, s, n);
        }
        if (times != null) {
            long t3 = cpuTime(times);
            times[0] += t1 - t0;
            times[1] += t2 - t1;
            times[2] += t3 - t2;
        }
    }

    /** This thread's CPU time in nanoseconds if {@code times} is not null (a profiled call), else 0. */
    private static long cpuTime(long[] times) {
        return times == null ? 0 : THREADS.getCurrentThreadCpuTime();
    }

    // ------------------------------------------------------------------------------------------- staged chunks

    /**
     * Stages 2 to 4 in chunks of {@code chunk} tiles, each stage over the whole chunk before the next: {@code V} at
     * {@code vAt}, {@code M} after it, both with leading dimension {@code ld >= chunk}.
     */
    private static void runStaged(Correlation p, TileSize t, float[] src, NativeFloats u, float[] bias, float[] dst,
                                  Plan plan, NativeFloats ws, long vAt, long[] profile) {
        long start = System.nanoTime();
        int chunk = plan.tiles();
        int ld = plan.ld(t);
        int a2 = t.alpha * t.alpha;
        long mAt = vAt + (long) a2 * p.srcChannels() * ld;
        long scratchAt = mAt + (long) a2 * p.dstChannels() * ld;
        long total = p.tiles(t);
        int channels = p.srcChannels();
        int filters = p.dstChannels();
        for (long t0 = 0; t0 < total; t0 += chunk) {
            int count = (int) Math.min(chunk, total - t0);
            long first = t0;
            int blocks = (count + LANES - 1) / LANES;
            Parallel.forEach(channels * blocks, (long) a2 * channels * count, task -> {
                int c = task % channels;
                int b = task / channels;
                int n = Math.min(LANES, count - b * LANES);
                Scratch s = SCRATCH.get();
                s.segments.of(p, t, first + (long) b * LANES, n);
                inputTransform(p, t, src, c, s, n);
                store(s.f[3], t.alpha, n, ws, vAt + (long) c * ld + (long) b * LANES,
                        (long) t.alpha * channels * ld, (long) channels * ld);
            });
            start = lap(profile, INPUT_TRANSFORM, start);
            if (!plan.matmul() || !matmuls(p, t, u, ws, vAt, mAt, scratchAt, ld, count)) {
                gemms(p, t, u, ws, vAt, (long) t.alpha * channels * ld, (long) channels * ld,
                        mAt, (long) t.alpha * filters * ld, (long) filters * ld, ld, count, count, p.dstPerGroup());
            }
            start = lap(profile, GEMM, start);
            Parallel.forEach(filters * blocks, (long) t.m * t.m * filters * count, task -> {
                int ko = task % filters;
                int b = task / filters;
                int n = Math.min(LANES, count - b * LANES);
                Scratch s = SCRATCH.get();
                s.segments.of(p, t, first + (long) b * LANES, n);
                load(ws, mAt + (long) ko * ld + (long) b * LANES, (long) t.alpha * filters * ld,
                        (long) filters * ld, s.f[0], t.alpha, n);
                outputTransform(p, t, bias, dst, ko, s, n);
            });
            start = lap(profile, OUTPUT_TRANSFORM, start);
        }
    }

    // ------------------------------------------------------------------------------------------- GEMMs

    /**
     * The staged chunk's products as one oneDNN batched matmul per group over every position {@code xi}:
     * {@code M[xi][g] = U[xi][g] * V[xi][g]}, with {@code U[xi]} ({@code [ko][ci]}) {@code K * cg} floats apart,
     * {@code V[xi]} ({@code [c][t]}, rows {@code ld} apart) {@code C * ld} floats apart and {@code M[xi]} {@code K * ld}
     * (the staged layout: {@code xi = j*alpha + i} is one index there, so the positions are one evenly strided
     * batch). The scratchpad at {@code scratchAt} has {@link WinogradTuning#MATMUL_SCRATCHPAD_FLOATS}; returns false,
     * having multiplied nothing, if a product needs more or has a single input channel per group (which
     * {@link BatchedMatmul} does not take): then OpenBLAS runs them.
     */
    private static boolean matmuls(Correlation p, TileSize t, NativeFloats u, NativeFloats ws, long vAt, long mAt,
                                   long scratchAt, int ld, int count) {
        int kg = p.dstPerGroup();
        int cg = p.srcPerGroup();
        if (cg < 2) {
            return false;
        }
        BatchedMatmul.Shape shape = new BatchedMatmul.Shape(t.alpha * t.alpha, kg, count, cg,
                (long) p.dstChannels() * cg, cg, (long) p.srcChannels() * ld, ld, (long) p.dstChannels() * ld, ld);
        if (BatchedMatmul.scratchpadBytes(shape) > 4L * WinogradTuning.MATMUL_SCRATCHPAD_FLOATS) {
            return false;
        }
        for (int g = 0; g < p.groups(); g++) {
            BatchedMatmul.multiply(shape, u.buffer(), (long) g * kg * cg, ws.buffer(), vAt + (long) g * cg * ld,
                    ws.buffer(), mAt + (long) g * kg * ld, ws.buffer(), scratchAt);
        }
        return true;
    }

    /**
     * {@code M[xi][g] = U[xi][g] * V[xi][g]} for every {@code xi} and group on {@code count} tiles, in products of at
     * most {@code rows} filters by {@code columns} tiles each. With {@code xi = j*alpha + i}, element {@code (c, t)}
     * of {@code V[xi]} is at {@code vAt + j*vSlab + i*vStep + c*ld + t} and element {@code (ko, t)} of {@code M[xi]}
     * at {@code mAt + j*mSlab + i*mStep + ko*ld + t}.
     */
    private static void gemms(Correlation p, TileSize t, NativeFloats u, NativeFloats ws, long vAt, long vSlab,
                              long vStep, long mAt, long mSlab, long mStep, int ld, int count, int columns, int rows) {
        int kg = p.dstPerGroup();
        int cg = p.srcPerGroup();
        for (int xi = 0; xi < t.alpha * t.alpha; xi++) {
            int j = xi / t.alpha;
            int i = xi % t.alpha;
            for (int g = 0; g < p.groups(); g++) { // M[xi][g] (kg x count) = U[xi][g] (kg x cg) * V[xi][g] (cg x count)
                long uOff = ((long) xi * p.dstChannels() + (long) g * kg) * cg;
                long vOff = vAt + j * vSlab + i * vStep + (long) g * cg * ld;
                long mOff = mAt + j * mSlab + i * mStep + (long) g * kg * ld;
                for (int k0 = 0; k0 < kg; k0 += rows) {
                    int r = Math.min(rows, kg - k0);
                    for (int c0 = 0; c0 < count; c0 += columns) {
                        Gemm.sgemm(false, false, r, Math.min(columns, count - c0), cg, 1f, u, uOff + (long) k0 * cg, cg,
                                ws, vOff + c0, ld, 0f, ws, mOff + (long) k0 * ld + c0, ld);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- kernel transform

    /**
     * Stage 1: {@code U[xi][ko][ci]} for every kernel, by {@link Transforms#apply} with {@code G} on blocks of
     * {@link Transforms#LANES} kernels {@code (ko, ci0 ..)} (the kernels' input channels as lanes), in parallel over
     * the blocks; each writes its {@code alpha^2} runs of up to {@code LANES} floats.
     */
    static void transformKernels(Correlation p, TileSize t, float[] weight, NativeFloats ws) {
        int a2 = t.alpha * t.alpha;
        int cg = p.srcPerGroup();
        int blocks = (cg + LANES - 1) / LANES;
        // tap (i, j) of kernel (ko, ci + 1) lies this far after that of (ko, ci): see Correlation.tapIndex
        int stride = p.flipped() ? 9 * p.dstPerGroup() : 9;
        Parallel.forEach(p.dstChannels() * blocks, (long) a2 * p.dstChannels() * cg, task -> {
            int ko = task / blocks;
            int ci0 = task % blocks * LANES;
            int n = Math.min(LANES, cg - ci0);
            Scratch scratch = SCRATCH.get();
            float[][][] f = scratch.f;
            float[][] g = f[0];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) { // transposed, as Transforms.apply takes it: g[j][i*n + lane] = tap (i, j)
                    float[] gj = g[j];
                    for (int lane = 0, e = p.tapIndex(ko, ci0, i, j); lane < n; lane++, e += stride) {
                        gj[i * n + lane] = weight[e];
                    }
                }
            }
            Transforms.apply(t.kernelForm, g, f[1], f[2], f[3], scratch.extra, n);
            store(f[3], t.alpha, n, ws, (long) ko * cg + ci0, (long) t.alpha * p.dstChannels() * cg,
                    (long) p.dstChannels() * cg);
        });
    }

    // ------------------------------------------------------------------------------------------- input transform

    /**
     * Stage 2 for source channel {@code c} on the block of {@code n} tiles described by {@code s.segments}: gathers
     * each tile's {@code alpha x alpha} inputs {@code d} (zero outside the source), transposed, and transforms them
     * ({@link Transforms#apply} with {@code B^T}): {@code B^T d^T B = (B^T d B)^T}, so element {@code (j, i)} of tile
     * {@code t}'s result, position {@code xi = j*alpha + i}, is left in {@code s.f[3][j][i*n + t]}, and the
     * {@code alpha} positions {@code j*alpha ..} form one run of {@code alpha*n} (see {@link #store}).
     */
    static void inputTransform(Correlation p, TileSize t, float[] src, int c, Scratch s, int n) {
        gather(p, t, src, c, s.segments, n, s.f[0], s.row);
        Transforms.apply(t.inputForm, s.f[0], s.f[1], s.f[2], s.f[3], s.extra, n);
    }

    /**
     * {@code d[q][a*n + lane] = src[img, c, y0 + a, x0 + q]} (the tile transposed) for every tile {@code lane} of the
     * segments (its {@code y0, x0} the source row and column of its first tap), zero outside the source: per source
     * row, columns {@code q < m} by {@link TileRows#gather}, the last two by copies. A row stretch that crosses the
     * source's left or right edge is first copied into {@code padded} with zeros beyond the edge, so that every tile
     * is gathered by the loops without bounds tests (the per-column tests of the edge tiles cost more than the copy).
     */
    private static void gather(Correlation p, TileSize t, float[] src, int c, Segments g, int n, float[][] d,
                               float[] padded) {
        int alpha = t.alpha;
        int m = t.m;
        int srcH = p.srcH();
        int srcW = p.srcW();
        int plane = srcH * srcW;
        for (int s = 0; s < g.count; s++) {
            int lane = g.lane[s];
            int len = g.len[s];
            int y0 = g.tileRow[s] * m + p.originH();
            int xs = g.tileCol[s] * m + p.originW();
            int span = len * m + alpha - m; // the segment reads source columns xs .. xs + span - 1
            int from = Math.max(xs, 0);
            int to = Math.min(xs + span, srcW);
            boolean inside = from == xs && to == xs + span;
            int base = (g.image[s] * p.srcChannels() + c) * plane;
            for (int a = 0; a < alpha; a++) {
                int y = y0 + a;
                int at = a * n + lane;
                if (y < 0 || y >= srcH || to <= from) {
                    for (int q = 0; q < alpha; q++) {
                        Arrays.fill(d[q], at, at + len, 0f);
                    }
                    continue;
                }
                float[] row = src;
                int x0 = base + y * srcW + xs; // where column xs of the source row is (or would be)
                if (!inside) {
                    Arrays.fill(padded, 0, from - xs, 0f);
                    System.arraycopy(src, base + y * srcW + from, padded, from - xs, to - from);
                    Arrays.fill(padded, to - xs, span, 0f);
                    row = padded;
                    x0 = 0;
                }
                TileRows.gather(row, x0, m, d, at, len);
                for (int q = m; q < alpha; q++) {
                    // Column q of tile k reads column k*m + q of the stretch = (k+1)*m + (q-m): column q-m of tile
                    // k+1, gathered above. Only the segment's last tile has no next tile in it and reads the stretch.
                    System.arraycopy(d[q - m], at + 1, d[q], at, len - 1);
                    d[q][at + len - 1] = row[x0 + (len - 1) * m + q];
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- output transform

    /**
     * Stage 4 for destination channel {@code ko} on the block of {@code n} tiles described by {@code s.segments},
     * with the block's {@code M} runs in {@code s.f[0]} (element {@code (a, q)} of tile {@code t} at
     * {@code s.f[0][a][q*n + t]}): transforms them ({@link Transforms#apply} with {@code A^T}), adds the bias and
     * writes the parts of the {@code m x m} tiles that lie inside the destination.
     */
    static void outputTransform(Correlation p, TileSize t, float[] bias, float[] dst, int ko, Scratch s, int n) {
        float[][] y = s.f[3];
        Transforms.apply(t.outputForm, s.f[0], s.f[1], s.f[2], y, s.extra, n);
        float add = bias == null ? 0f : bias[ko];
        Segments g = s.segments;
        int m = t.m;
        int dstW = p.dstW();
        int plane = p.dstH() * dstW;
        // Output row i of a segment's consecutive tiles is one stretch of a destination row (TileRows.scatter);
        // tiles over the right or bottom edge keep only what lies inside.
        for (int seg = 0; seg < g.count; seg++) {
            int lane = g.lane[seg];
            int len = g.len[seg];
            int h0 = g.tileRow[seg] * m;
            int rows = Math.min(m, p.dstH() - h0);
            int w0 = g.tileCol[seg] * m;
            int base = (g.image[seg] * p.dstChannels() + ko) * plane + h0 * dstW + w0;
            for (int i = 0; i < rows; i++) {
                TileRows.scatter(y, i * n + lane, add, dst, base + i * dstW, dstW - w0, m, len);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- native runs

    /**
     * Copies a block's transform result to native memory: {@code out[j][i*n + t]} is position
     * {@code xi = j*alpha + i} of lane {@code t} (the transforms' inputs are transposed), whose run of {@code n}
     * floats goes to {@code at + j*slab + i*step}. With {@code step == n} the runs of one {@code j} are adjacent there
     * as in {@code out[j]}: one copy of {@code alpha*n} floats per {@code j}.
     */
    private static void store(float[][] out, int alpha, int n, NativeFloats ws, long at, long slab, long step) {
        for (int j = 0; j < alpha; j++) {
            if (step == n) {
                ws.copyFrom(out[j], 0, (int) (at + j * slab), alpha * n);
                continue;
            }
            for (int i = 0; i < alpha; i++) {
                ws.copyFrom(out[j], i * n, (int) (at + j * slab + i * step), n);
            }
        }
    }

    /**
     * Copies a block's runs from native memory to {@code rows[a][q*n + t]} (element {@code (a, q)} of lane
     * {@code t}): the run of position {@code xi = a*alpha + q} from {@code at + a*slab + q*step} ({@code n} floats).
     * With {@code step == n} the runs of one {@code a} are adjacent: one copy of {@code alpha*n} floats per {@code a}.
     */
    private static void load(NativeFloats ws, long at, long slab, long step, float[][] rows, int alpha, int n) {
        for (int a = 0; a < alpha; a++) {
            if (step == n) {
                ws.copyTo((int) (at + a * slab), rows[a], 0, alpha * n);
                continue;
            }
            for (int q = 0; q < alpha; q++) {
                ws.copyTo((int) (at + a * slab + q * step), rows[a], q * n, n);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- scratch

    /** One thread's scratch: the block arrays for {@link Transforms#apply} and the current block's segments. */
    static final class Scratch {
        /** The block, the two intermediates and the result: {@code alpha} arrays of {@code alpha * LANES} each. */
        final float[][][] f = new float[4][][];
        /** The passes' sums, differences and butterfly halves ({@link Transforms#EXTRA} arrays). */
        final float[][] extra;
        final Segments segments = new Segments();
        /** A source row's stretch under a segment, zero-padded where it crosses the source's edges. */
        final float[] row = new float[TileSize.F6.m * LANES + TileSize.F6.alpha - TileSize.F6.m];

        Scratch() {
            int alpha = TileSize.F6.alpha;
            for (int i = 0; i < f.length; i++) {
                f[i] = Transforms.buffers(alpha, alpha * LANES);
            }
            extra = Transforms.buffers(Transforms.EXTRA, alpha * LANES);
        }
    }

    /**
     * A block's tiles as segments: runs of consecutive tiles of one tile row of one image. Segment {@code s} holds
     * lanes {@code lane[s] .. lane[s] + len[s] - 1}, the tiles {@code (image[s], tileRow[s], tileCol[s] + k)}.
     */
    static final class Segments {
        int count;
        final int[] lane = new int[LANES];
        final int[] len = new int[LANES];
        final int[] image = new int[LANES];
        final int[] tileRow = new int[LANES];
        final int[] tileCol = new int[LANES];

        /** The segments of the {@code n <= LANES} tiles from tile {@code first}. */
        void of(Correlation p, TileSize t, long first, int n) {
            int tilesW = p.tilesW(t);
            int perImage = p.tilesH(t) * tilesW;
            count = 0;
            for (int at = 0; at < n; ) {
                long tile = first + at;
                int r = (int) (tile % perImage);
                int tw = r % tilesW;
                int length = Math.min(n - at, tilesW - tw);
                lane[count] = at;
                len[count] = length;
                image[count] = (int) (tile / perImage);
                tileRow[count] = r / tilesW;
                tileCol[count] = tw;
                count++;
                at += length;
            }
        }
    }
}
