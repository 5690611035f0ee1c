package org.conv4j.winograd;

/** The kit on the F(6x6, 3x3) stages in fused blocks ({@link WinogradStagesConformance}). */
class F6StagesConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F6;
    }
}
