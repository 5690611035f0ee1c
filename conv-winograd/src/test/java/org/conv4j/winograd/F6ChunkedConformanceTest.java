package org.conv4j.winograd;

/** The kit on the F(6x6, 3x3) stages in staged chunks ({@link WinogradStagesConformance}). */
class F6ChunkedConformanceTest extends WinogradStagesConformance {
    @Override
    TileSize tile() {
        return TileSize.F6;
    }

    @Override
    WinogradEngine.Mode mode() {
        return WinogradEngine.Mode.STAGED;
    }
}
