package org.conv4j.winograd;

import java.util.List;

/**
 * The Winograd backend's switch points and the constants of its time model, each with one line of why
 * (docs/winograd.md has the measurements).
 */
final class WinogradTuning {

    private WinogradTuning() {
    }

    /**
     * The tile sizes chosen from: those whose error on the accuracy test's worst-case inputs (512 channels,
     * magnitudes up to 1e4, against a float64 reference) stays within 1e-4 of the output's largest magnitude
     * ({@code TileAccuracyTest}, docs/winograd.md "Accuracy").
     */
    static final List<TileSize> TILE_SIZES = List.of(TileSize.F2, TileSize.F4, TileSize.F6);

    /**
     * Groups with fewer input or output channels than this are declined: the GEMMs would have a side below 16,
     * where OpenBLAS runs far below its rate and the transforms (which cost per channel, not per product) dominate.
     */
    static final int MIN_GROUP_CHANNELS = 16;

    /**
     * Tiles per staged chunk at most (the layers with large kernels, {@link WinogradEngine#fusable}): each chunk runs
     * one sgemm per position on OpenBLAS's threads, so the fewer chunks the fewer products and thread wake-ups;
     * 4096 tiles hold a whole batch of 8 of VGG-19's and ResNet-50's staged layers (1568 tiles at most) in one chunk,
     * whose transformed input and GEMM outputs ({@code alpha^2 * (C + K)} floats per tile: 98 MiB for VGG-19's
     * 512-channel 28x28 layer in F(2x2) at batch 8) stay within the default workspace limit; a smaller limit gives
     * smaller chunks.
     */
    static final long MAX_CHUNK_TILES = 4096;

    /**
     * The most multiply-adds of an sgemm that OpenBLAS runs on the calling thread: {@code m*n*k <= 65536 *
     * GEMM_MULTITHREAD_THRESHOLD} (its {@code interface/gemm.c}, {@code SMP_THRESHOLD_MIN} of 65536; the threshold,
     * 4 unless OpenBLAS is built otherwise, is the shipped header's constant, inlined at compile time). The fused
     * blocks keep each product within it, so that every worker multiplies on its own thread.
     */
    static final long SINGLE_THREAD_GEMM_MACS = 65536L
            * org.bytedeco.openblas.global.openblas_nolapack.OPENBLAS_GEMM_MULTITHREAD_THRESHOLD;

    /**
     * The filters a fused product takes at least when it must be split to stay within
     * {@link #SINGLE_THREAD_GEMM_MACS} (before its tiles are cut further): 64. A product of all 128 filters of a
     * 128 x 128 layer fits 16 tiles, one of 64 filters 32: the same multiply-adds with half of each position's
     * transformed kernel read per call.
     */
    static final int FUSED_FILTERS = 64;

    /**
     * The fused blocks run when a product of {@link #FUSED_FILTERS} filters (all, if fewer) on this many tiles stays
     * within {@link #SINGLE_THREAD_GEMM_MACS}: up to 256 input channels per group by default. Narrower products run
     * below OpenBLAS's rate: in single-thread CPU-time probes on a loaded host, the fused products of a 256 x 256
     * F(4x4) layer (64 x 256 by 256 x 16) ran at about 94 GFLOP/s per core, those of a 512 x 512 F(2x2) layer (8
     * tiles per call) at 74-77, where OpenBLAS's threaded products over all tiles of the call reach 106-167 GFLOP/s
     * on two cores on a quiet one (docs/winograd.md, "Speed"). The deeper layers run staged.
     */
    static final int MIN_FUSED_COLUMNS = 16;

    /**
     * The {@code V} and {@code M} floats one worker's fused block aims at: 2^19 floats, 2 MiB (one core's L2 of 1 MiB
     * and its share of L3 on the AVX-512 hosts), so that a block's data stays in cache from its input transform
     * through its GEMMs to its output transform. Wider blocks make the transforms' loops and copies longer, narrower
     * ones keep the GEMM operands nearer: in a single-thread CPU-time probe on a loaded host, 64 tiles of F(6x6)
     * with 64 + 64 channels (2 MiB) ran the block about 10% slower than 128 (4 MiB), and 32 tiles with 128 + 128
     * channels (2 MiB) about 10% faster than 64 or 128 (4 and 8 MiB), whose GEMMs ran 20-30% slower.
     */
    static final long BLOCK_FLOATS = 1 << 19;

    /**
     * Model: the most tiles the GEMM efficiency term counts ({@code n} of {@code eff}): 1024. The model's constants
     * describe staged products of up to this many tiles; the fused blocks' narrower products run faster than the
     * model says, which the cost profile's scale per pass corrects ({@code winograd.forwardScale},
     * {@code winograd.backwardScale}, fitted by {@code conv-bench fit}; docs/winograd.md, "Choosing the tile size,
     * and the estimate").
     */
    static final long MODEL_GEMM_TILES = 1024;

    /** Model: the fixed cost of a call (scans, planning, the native workspace, task hand-offs), in ns. */
    static final double FIXED_NS = 60_000;

    /*
     * The time model's constants below give the shape of the estimate (how it grows with channels, filters, tiles
     * and the tile size), which is what the choice between tile sizes needs; they were set by hand from timings of
     * staged calls on a 2-core AVX-512 host. Its absolute level, which Conv2d's choice between backends needs, comes
     * from the cost profile's fitted scale and offset per pass.
     */

    /**
     * Model: multiply-adds per ns of the GEMM stage at large sides, and the sides (filters, channels, tiles) at
     * which it runs at half speed: the shape of the im2col backend's fitted GEMM model (the same OpenBLAS sgemm),
     * at half its rate (this backend's GEMMs have short sides: K x C by C x tiles with C, K of 64-512).
     */
    static final double GEMM_MACS_PER_NS = 27.4;
    static final double HALF_M = 70.1;
    static final double HALF_K = 4.09;
    static final double HALF_N = 57.1;

    /**
     * Model: ns per float of transformed data (input and output, {@code alpha^2} per tile and channel): the
     * gathers, the transforms' arithmetic and the copies to and from native memory. 1.8-2.3 ns per float measured
     * on one thread (CPU time, F(4x4) and F(6x6) on ResNet-50's 64-channel layer at batch 8, loaded host).
     */
    static final double TRANSFORM_NS_PER_FLOAT = 2.0;

    /**
     * The floats of {@code V} and {@code M} a staged chunk of {@link WinogradEngine.Mode#MATMUL} holds at most
     * (at least {@link Transforms#LANES} tiles): 2^22 floats, 16 MiB, half of the AVX-512 hosts' 32 MiB
     * last-level cache, so that the input transform's output is still there for the products and theirs for the
     * output transform.
     */
    static final long MATMUL_CHUNK_FLOATS = 1L << 22;

    /**
     * The scratchpad floats kept for a {@link WinogradEngine.Mode#MATMUL} product: 2^18, 1 MiB. oneDNN's
     * {@code brg_matmul} asks for 1.4 KiB on most of these shapes and up to 258 KiB with 4096 tiles and 512 channels;
     * a product that needs more runs on OpenBLAS.
     */
    static final long MATMUL_SCRATCHPAD_FLOATS = 1L << 18;

    /**
     * Input channels per group from which the products run as oneDNN batched matmuls, where oneDNN loads
     * ({@link WinogradEngine.Mode#MATMUL}): 128. With more channels the fused blocks' single-thread products grow
     * narrow (16-32 tiles for 128-256 channels), and OpenBLAS packs a whole {@code K x C} matrix of the transformed
     * kernel for each; oneDNN's batched products over a staged chunk ran VGG-19's and ResNet-50's layers of 128-512
     * channels 1.1-1.5x faster than the fused blocks, and those of 64 channels 1.1-1.6x slower (their fused products
     * run near OpenBLAS's rate, and their transforms gain from the block staying in cache; docs/winograd.md, "Speed").
     */
    static final int MATMUL_MIN_CHANNELS = 128;

    /**
     * Model: the GEMM stage's rate with oneDNN's batched products ({@link WinogradEngine.Mode#MATMUL}) over the
     * OpenBLAS rate the model's other constants describe: 1.5, the middle of the 1.2-1.9x measured on the stage's
     * product shapes (docs/winograd.md, "Speed").
     */
    static final double MATMUL_GEMM_RATE = 1.5;
}
