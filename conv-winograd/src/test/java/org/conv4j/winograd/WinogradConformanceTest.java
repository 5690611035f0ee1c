package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.testkit.ConvBackendConformance;

/**
 * The shared kit on the backend as registered, at {@link WinogradBackend#TOLERANCE}. Most of the kit's shapes
 * have fewer channels than the backend takes by Winograd's method: those run its exact path. The kit's shapes
 * on the Winograd stages themselves are in {@link WinogradStagesConformance} and {@link ChosenTileConformanceTest}.
 */
class WinogradConformanceTest extends ConvBackendConformance {
    @Override
    protected ConvBackend backend() {
        return new WinogradBackend();
    }

    @Override
    protected float tolerance() {
        return WinogradBackend.TOLERANCE;
    }
}
