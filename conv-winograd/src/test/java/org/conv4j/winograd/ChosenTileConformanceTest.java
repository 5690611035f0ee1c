package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The kit with every 3x3 stride-1 shape on the Winograd stages, the tile size chosen per shape and chunks as large
 * as by default (so blocks of up to 128 lanes).
 */
class ChosenTileConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new WinogradBackend(Workspace.defaultLimitBytes(), WinogradTuning.TILE_SIZES,
                WinogradTuning.MAX_CHUNK_TILES, 1);
    }

    @Override
    protected float tolerance() {
        return WinogradBackend.TOLERANCE;
    }
}
