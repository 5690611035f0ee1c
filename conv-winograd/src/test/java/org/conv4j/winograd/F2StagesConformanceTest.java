package org.conv4j.winograd;

/** The kit on the F(2x2, 3x3) stages in fused blocks ({@link WinogradStagesConformance}). */
class F2StagesConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F2;
    }
}
