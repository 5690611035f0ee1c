package org.conv4j.winograd;

/** The kit on the F(2x2, 3x3) stages in staged chunks with oneDNN's batched products ({@link WinogradStagesConformance}). */
class F2MatmulConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F2;
    }

    @Override
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.MATMUL;
    }
}
