package org.conv4j.winograd;

/** The kit on the F(6x6, 3x3) stages in staged chunks with oneDNN's batched products ({@link WinogradStagesConformance}). */
class F6MatmulConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F6;
    }

    @Override
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.MATMUL;
    }
}
