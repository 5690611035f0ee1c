package org.conv4j.winograd;

import org.conv4j.openblas.Gemm;
import org.conv4j.openblas.NativeFloats;
import org.conv4j.openblas.Parallel;

import static org.conv4j.winograd.Transforms.LANES;

/**
 * Runs one {@link Correlation} by Winograd's method in four stages, as NNPACK structures them:
 * <ol>
 *   <li><b>kernel transform</b>: {@code U[xi][ko][ci] = (G g G^T)[xi]} for every kernel, {@code xi < alpha^2} the
 *       position in the transformed tile;</li>
 *   <li><b>input transform</b>, per chunk of tiles: {@code V[xi][c][t] = (B^T d_t B)[xi]} for every source
 *       channel {@code c} and tile {@code t} of the chunk;</li>
 *   <li><b>GEMM</b>: for each {@code xi} and group, {@code M[xi][ko][t] = sum_ci U[xi][ko][ci] V[xi][ci][t]}, one
 *       OpenBLAS sgemm {@code (dstPerGroup x srcPerGroup) * (srcPerGroup x tiles)}: the element-wise products of
 *       the formula, summed over channels, for all tiles of the chunk at once. Summing before the output
 *       transform is right because the transform is linear;</li>
 *   <li><b>output transform</b>: {@code dst tile = A^T M_t A} (+ bias), cropped at the destination's edges.</li>
 * </ol>
 *
 * <p><b>Workspace layout</b> (one native buffer, row-major matrices, {@code T} the chunk's tile capacity):
 * <pre>
 *   U at 0:                 [xi][ko][ci]   alpha^2 x dstChannels x srcPerGroup   (group g's rows ko = g*dstPerGroup ..)
 *   V at kernelFloats:      [xi][c][t]     alpha^2 x srcChannels x T
 *   M after V:              [xi][ko][t]    alpha^2 x dstChannels x T
 * </pre>
 * So {@code U[xi]}'s group block, {@code V[xi]}'s and {@code M[xi]}'s are plain row-major matrices that sgemm reads in
 * place (leading dimensions {@code srcPerGroup}, {@code T}, {@code T}). Tiles are numbered image by image, row by
 * row: {@code t = (n * tilesH + th) * tilesW + tw}; the tile-innermost runs of {@code V} and {@code M} are exactly the
 * runs the transforms produce and consume ({@link Transforms}), copied in and out of native memory in bulk.
 *
 * <p><b>Threads</b>: the transforms run in parallel over (channel, block of {@link Transforms#LANES} tiles) on the
 * common fork-join pool; each sgemm runs on OpenBLAS's threads. Every output element is computed by one task in a
 * fixed order, so results do not depend on the thread count.
 */
final class WinogradEngine {

    /** The stages of the {@code profile} array of {@link #run}: indexes into its nanoseconds. */
    static final int KERNEL_TRANSFORM = 0;
    static final int INPUT_TRANSFORM = 1;
    static final int GEMM = 2;
    static final int OUTPUT_TRANSFORM = 3;

    /** Per-thread scratch: the block, the two intermediates and the result of {@link Transforms#apply}. */
    private static final ThreadLocal<float[][][]> SCRATCH = ThreadLocal.withInitial(() -> {
        int alpha = TileSize.F6.alpha;
        float[][][] s = new float[4][][];
        for (int i = 0; i < s.length; i++) {
            s[i] = Transforms.buffers(alpha, alpha * LANES);
        }
        return s;
    });

    private WinogradEngine() {
    }

    /**
     * The number of tiles per chunk (a multiple of {@link Transforms#LANES} unless all tiles fit in less):
     * bounded by {@code maxChunkTiles} and by what fits in {@code bytes} beside the transformed kernel; at least 1.
     */
    static int chunkTiles(Correlation p, TileSize t, long bytes, long maxChunkTiles) {
        long perTile = (long) t.alpha * t.alpha * (p.srcChannels() + p.dstChannels());
        long floats = Math.min(bytes / Float.BYTES, NativeFloats.MAX_CAPACITY);
        long fit = (floats - p.kernelFloats(t)) / perTile;
        long tiles = Math.max(1, Math.min(Math.min(p.tiles(t), maxChunkTiles), fit));
        return (int) (tiles > LANES ? tiles / LANES * LANES : tiles);
    }

    /** Whether the workspace of one tile per chunk fits one native buffer ({@link NativeFloats#MAX_CAPACITY}). */
    static boolean fits(Correlation p, TileSize t) {
        return workspaceFloats(p, t, 1) <= NativeFloats.MAX_CAPACITY;
    }

    /** The workspace floats of a chunk of {@code chunk} tiles: {@code U + V + M}. */
    static long workspaceFloats(Correlation p, TileSize t, int chunk) {
        return p.kernelFloats(t) + (long) t.alpha * t.alpha * (p.srcChannels() + p.dstChannels()) * chunk;
    }

    /**
     * {@code dst} (fully overwritten) = the correlation {@code p} of {@code src} with the kernels in
     * {@code weight}, plus {@code bias} unless null, in chunks of {@code chunk} tiles, on the workspace
     * {@code ws} of at least {@link #workspaceFloats} floats. Adds each stage's time to {@code profile} unless
     * it is null.
     */
    static void run(Correlation p, TileSize t, float[] src, float[] weight, float[] bias, float[] dst, int chunk,
                    NativeFloats ws, long[] profile) {
        long start = System.nanoTime();
        transformKernels(p, t, weight, ws);
        lap(profile, KERNEL_TRANSFORM, start);
        runTransformed(p, t, src, ws, bias, dst, chunk, ws, p.kernelFloats(t), profile);
    }

    /**
     * Stages 2 to 4 of {@link #run} with the kernels already transformed: {@code U} at the start of {@code u}
     * ({@link #kernelFloats} floats, as {@link #transformKernels} writes it), {@code V} and {@code M} in {@code ws}
     * from {@code vAt} on ({@code alpha^2 * (srcChannels + dstChannels) * chunk} floats). A prepared convolution
     * keeps its own {@code u} across calls; {@link #run} passes its workspace for both.
     */
    static void runTransformed(Correlation p, TileSize t, float[] src, NativeFloats u, float[] bias, float[] dst,
                               int chunk, NativeFloats ws, long vAt, long[] profile) {
        long start = System.nanoTime();
        int a2 = t.alpha * t.alpha;
        long mAt = vAt + (long) a2 * p.srcChannels() * chunk;
        long total = p.tiles(t);
        int kg = p.dstPerGroup();
        int cg = p.srcPerGroup();
        for (long t0 = 0; t0 < total; t0 += chunk) {
            int count = (int) Math.min(chunk, total - t0);
            long first = t0;
            int blocks = (count + LANES - 1) / LANES;
            Parallel.forEach(p.srcChannels() * blocks, (long) a2 * p.srcChannels() * count,
                    task -> inputBlock(p, t, src, task % p.srcChannels(), first, task / p.srcChannels(), count,
                            chunk, ws, vAt));
            start = lap(profile, INPUT_TRANSFORM, start);
            for (int xi = 0; xi < a2; xi++) {
                for (int g = 0; g < p.groups(); g++) { // M[xi][g] (kg x count) = U[xi][g] (kg x cg) * V[xi][g] (cg x count)
                    Gemm.sgemm(false, false, kg, count, cg, 1f,
                            u, ((long) xi * p.dstChannels() + (long) g * kg) * cg, cg,
                            ws, vAt + ((long) xi * p.srcChannels() + (long) g * cg) * chunk, chunk,
                            0f, ws, mAt + ((long) xi * p.dstChannels() + (long) g * kg) * chunk, chunk);
                }
            }
            start = lap(profile, GEMM, start);
            Parallel.forEach(p.dstChannels() * blocks, (long) t.m * t.m * p.dstChannels() * count,
                    task -> outputBlock(p, t, bias, dst, task % p.dstChannels(), first, task / p.dstChannels(),
                            count, chunk, ws, mAt));
            start = lap(profile, OUTPUT_TRANSFORM, start);
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
            float[][][] s = SCRATCH.get();
            float[][] g = s[0];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    float[] gi = g[i];
                    for (int lane = 0, e = p.tapIndex(ko, ci0, i, j); lane < n; lane++, e += stride) {
                        gi[j * LANES + lane] = weight[e];
                    }
                }
            }
            Transforms.apply(t.kernelSparse, g, s[1], s[2], s[3]);
            for (int i = 0; i < t.alpha; i++) {     // element (i, j) of kernel ci0 + lane: s[3][j][i*LANES + lane]
                for (int j = 0; j < t.alpha; j++) {
                    ws.copyFrom(s[3][j], i * LANES, (int) (((long) (i * t.alpha + j) * p.dstChannels() + ko) * cg + ci0), n);
                }
            }
        });
    }

    /**
     * Stage 2 for source channel {@code c} and block {@code b} of the chunk that starts at tile {@code first}:
     * gathers each tile's {@code alpha x alpha} inputs (zero outside the source), transforms them
     * ({@link Transforms#apply} with {@code B^T}) and copies the runs to {@code V[xi][c][b*LANES ..]}.
     */
    static void inputBlock(Correlation p, TileSize t, float[] src, int c, long first, int b, int count,
                                   int chunk, NativeFloats ws, long vAt) {
        float[][][] s = SCRATCH.get();
        float[][] d = s[0];
        int alpha = t.alpha;
        int n = Math.min(LANES, count - b * LANES);
        int tilesW = p.tilesW(t);
        int perImage = p.tilesH(t) * tilesW;
        int plane = p.srcH() * p.srcW();
        int m = t.m;
        // Segments of consecutive tiles in one tile row: element (a, q) of those tiles is a stride-m run of one
        // source row, copied by one loop per (a, q); the columns outside the source (first and last tiles of a
        // row) are found per (a, q) as a range of the segment instead of testing each element.
        for (int lane = 0; lane < n; ) {
            long tile = first + (long) b * LANES + lane;
            int img = (int) (tile / perImage);
            int r = (int) (tile % perImage);
            int tw = r % tilesW;
            int len = Math.min(n - lane, tilesW - tw);
            int y0 = (r / tilesW) * m + p.originH();
            int xs = tw * m + p.originW();
            int base = (img * p.srcChannels() + c) * plane;
            for (int a = 0; a < alpha; a++) {
                float[] da = d[a];
                int y = y0 + a;
                if (y < 0 || y >= p.srcH()) {
                    for (int q = 0; q < alpha; q++) {
                        java.util.Arrays.fill(da, q * LANES + lane, q * LANES + lane + len, 0f);
                    }
                    continue;
                }
                int row = base + y * p.srcW();
                for (int q = 0; q < alpha; q++) {
                    int at = q * LANES + lane;
                    int x0 = xs + q;
                    int lo = x0 >= 0 ? 0 : Math.min(len, (m - 1 - x0) / m);
                    int hi = x0 >= p.srcW() ? 0 : Math.min(len, (p.srcW() - x0 + m - 1) / m);
                    hi = Math.max(lo, hi);
                    for (int k = 0; k < lo; k++) {
                        da[at + k] = 0f;
                    }
                    for (int k = lo, x = row + x0 + lo * m; k < hi; k++, x += m) {
                        da[at + k] = src[x];
                    }
                    for (int k = hi; k < len; k++) {
                        da[at + k] = 0f;
                    }
                }
            }
            lane += len;
        }
        Transforms.apply(t.inputSparse, d, s[1], s[2], s[3]);
        long at = vAt + (long) c * chunk + (long) b * LANES;
        long step = (long) p.srcChannels() * chunk;
        for (int i = 0; i < alpha; i++) {     // element (i, j) of tile lane: s[3][j][i*LANES + lane]
            for (int j = 0; j < alpha; j++) {
                ws.copyFrom(s[3][j], i * LANES, (int) (at + (i * alpha + j) * step), n);
            }
        }
    }

    /**
     * Stage 4 for destination channel {@code ko} and block {@code b}: copies the runs {@code M[xi][ko][b*LANES ..]}
     * in, transforms them ({@link Transforms#apply} with {@code A^T}), adds the bias and writes the parts of the
     * {@code m x m} tiles that lie inside the destination.
     */
    static void outputBlock(Correlation p, TileSize t, float[] bias, float[] dst, int ko, long first,
                                    int b, int count, int chunk, NativeFloats ws, long mAt) {
        float[][][] s = SCRATCH.get();
        float[][] m = s[0];
        float[][] y = s[3];
        int alpha = t.alpha;
        int n = Math.min(LANES, count - b * LANES);
        long at = mAt + (long) ko * chunk + (long) b * LANES;
        long step = (long) p.dstChannels() * chunk;
        for (int a = 0; a < alpha; a++) {     // element (a, q) of tile lane at m[a][q*LANES + lane]
            for (int q = 0; q < alpha; q++) {
                ws.copyTo((int) (at + (a * alpha + q) * step), m[a], q * LANES, n);
            }
        }
        Transforms.apply(t.outputSparse, m, s[1], s[2], y);
        float add = bias == null ? 0f : bias[ko];
        int tilesW = p.tilesW(t);
        int perImage = p.tilesH(t) * tilesW;
        int plane = p.dstH() * p.dstW();
        int mm = t.m;
        // Segments of consecutive tiles in one tile row, as in inputBlock: output (i, j) of those tiles is a
        // stride-m run of one destination row; tiles over the right or bottom edge keep only what lies inside.
        for (int lane = 0; lane < n; ) {
            long tile = first + (long) b * LANES + lane;
            int img = (int) (tile / perImage);
            int r = (int) (tile % perImage);
            int tw = r % tilesW;
            int len = Math.min(n - lane, tilesW - tw);
            int h0 = (r / tilesW) * mm;
            int rows = Math.min(mm, p.dstH() - h0);
            int base = (img * p.dstChannels() + ko) * plane + h0 * p.dstW();
            for (int j = 0; j < mm; j++) {
                float[] yj = y[j];
                int w0 = tw * mm + j;
                int hi = w0 >= p.dstW() ? 0 : Math.min(len, (p.dstW() - w0 + mm - 1) / mm);
                for (int i = 0; i < rows; i++) {
                    int from = i * LANES + lane;
                    for (int k = 0, e = base + i * p.dstW() + w0; k < hi; k++, e += mm) {
                        dst[e] = yj[from + k] + add;
                    }
                }
            }
            lane += len;
        }
    }
}
