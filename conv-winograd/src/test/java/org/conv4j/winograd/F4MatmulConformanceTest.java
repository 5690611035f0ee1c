package org.conv4j.winograd;

/** The kit on the F(4x4, 3x3) stages in staged chunks with oneDNN's batched products ({@link WinogradStagesConformance}). */
class F4MatmulConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F4;
    }

    @Override
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.MATMUL;
    }
}
