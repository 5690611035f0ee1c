package org.conv4j.internal;

import org.conv4j.api.Conv3dBackend;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.spi.CostProfile;

/**
 * What choosing a backend needs of one call's validated geometry, whatever its rank: which backends run a pass on
 * it and what each estimates. {@link BackendSelector} and {@link Autotuner} work on it, so that 1D and 2D
 * ({@link ConvShape}) and 3D ({@link Conv3dShape}) calls are chosen, timed and remembered by the same rules. Equal
 * geometries are equal (a map key); {@link #toString()} names the geometry in the autotune cache file's keys.
 */
public interface Selectable {

    /**
     * Whether {@code b} runs {@code pass} on this geometry.
     *
     * @param b a backend
     * @param pass the pass
     * @return whether it does
     */
    boolean supportedBy(ConvBackend b, ConvPass pass);

    /**
     * The estimate of {@code b} for one call of {@code pass}, in nanoseconds; NaN if it gives none.
     *
     * @param b a backend that {@linkplain #supportedBy supports} the pass
     * @param pass the pass
     * @return the estimated nanoseconds, or NaN
     */
    double estimateBy(ConvBackend b, ConvPass pass);

    /** A 1D or 2D geometry: {@link ConvBackend#supports} and the {@link CostProfile}'s calibrated estimate. */
    record Planar(ConvShape shape) implements Selectable {
        @Override
        public boolean supportedBy(ConvBackend b, ConvPass pass) {
            return b.supports(shape, pass.basis());
        }

        @Override
        public double estimateBy(ConvBackend b, ConvPass pass) {
            return CostProfile.current().estimate(b, shape, pass.basis());
        }

        @Override
        public String toString() {
            return shape.toString();
        }
    }

    /** A 3D geometry: the backends that implement {@link Conv3dBackend}, with their own support and estimate. */
    record Volume(Conv3dShape shape) implements Selectable {
        @Override
        public boolean supportedBy(ConvBackend b, ConvPass pass) {
            return b instanceof Conv3dBackend v && v.supports3d(shape, pass);
        }

        @Override
        public double estimateBy(ConvBackend b, ConvPass pass) {
            return ((Conv3dBackend) b).estimate3dNanos(shape, pass);
        }

        @Override
        public String toString() {
            return "3d " + shape;
        }
    }
}
