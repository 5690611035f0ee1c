package org.conv4j.winograd;

/** The kit on the F(4x4, 3x3) stages in fused blocks ({@link WinogradStagesConformance}). */
class F4StagesConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F4;
    }
}
