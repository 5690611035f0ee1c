package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.Workspace;
import org.conv4j.testkit.ConvBackendConformance;

import java.util.List;

/**
 * The shared kit with every 3x3 stride-1 shape, whatever its channel count, on the Winograd stages, one subclass
 * per tile size and way of running them: fused blocks (F2StagesConformanceTest ...), staged chunks with OpenBLAS
 * (F2ChunkedConformanceTest ...) and with oneDNN's batched products (F2MatmulConformanceTest ...), whatever the shape
 * would choose; all three tile sizes chosen per shape by ChosenTileConformanceTest. At most 3 tiles per block or chunk, so that most calls run several, with a few lanes.
 */
abstract class WinogradStagesConformance extends ConvBackendConformance {

    abstract TileSize tile();

    /** The way stages 2 to 4 run: fused blocks unless a subclass says otherwise. */
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.FUSED;
    }

    @Override
    protected ConvBackend backend() {
        return new WinogradBackend(Workspace.defaultLimitBytes(), List.of(tile()), 3, 1, mode());
    }

    @Override
    protected float tolerance() {
        return WinogradBackend.TOLERANCE;
    }
}
