package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvBackendConformance;

import java.util.List;

/**
 * The shared kit with every 3x3 stride-1 shape, whatever its channel count, on the Winograd stages, one subclass
 * per tile size (F2StagesConformanceTest ..., and all three chosen per shape by
 * ChosenTileConformanceTest); chunks of at most 3 tiles, so that most calls run several chunks and blocks of a few lanes.
 */
abstract class WinogradStagesConformance extends ConvBackendConformance {

    abstract TileSize tile();

    @Override
    protected ConvBackend backend() {
        return new WinogradBackend(Workspace.defaultLimitBytes(), List.of(tile()), 3, 1);
    }

    @Override
    protected float tolerance() {
        return WinogradBackend.TOLERANCE;
    }
}
