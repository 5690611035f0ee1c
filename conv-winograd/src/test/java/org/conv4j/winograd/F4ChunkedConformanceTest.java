package org.conv4j.winograd;

/** The kit on the F(4x4, 3x3) stages in staged chunks ({@link WinogradStagesConformance}). */
class F4ChunkedConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F4;
    }

    @Override
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.STAGED;
    }
}
