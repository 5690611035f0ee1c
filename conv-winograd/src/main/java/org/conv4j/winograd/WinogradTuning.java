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
     * Tiles per chunk at most: the transformed input and the GEMM outputs of one chunk ({@code alpha^2 * (C + K)}
     * floats per tile) are written by one stage and read by the next; 1024 tiles keep each GEMM wide (n = 1024)
     * while bounding the intermediate data of a 64-channel F(4x4) layer at 19 MiB.
     */
    static final long MAX_CHUNK_TILES = 1024;

    /** Model: the fixed cost of a call (scans, planning, the native workspace, task hand-offs), in ns. */
    static final double FIXED_NS = 60_000;

    /** Model: multiply-adds per ns of the GEMM stage at large sides. */
    static final double GEMM_MACS_PER_NS = 60;

    /** Model: the sides (filters, channels, tiles) at which the GEMMs run at half speed. */
    static final double HALF_M = 16;
    static final double HALF_K = 16;
    static final double HALF_N = 64;

    /**
     * Model: ns per float of transformed data (input and output, {@code alpha^2} per tile and channel): the
     * transforms' arithmetic and the copies to and from native memory.
     */
    static final double TRANSFORM_NS_PER_FLOAT = 1.0;
}
