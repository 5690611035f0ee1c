package org.conv4j.winograd;

import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractPreparedConvolution;
import org.conv4j.spi.WorkspaceBudget;
import org.conv4j.openblas.NativeFloats;

/**
 * A forward pass of {@link WinogradBackend} prepared for repeated calls: the kernels are transformed once ({@code U
 * = G g G^T} for every filter and channel, stage 1 of {@link WinogradEngine}) into a native buffer this object
 * holds, in the layout the GEMM stage reads ({@code [xi][ko][ci]}), and each call runs stages 2 to 4 only. The
 * kernel transform is 15-35% of a call on deep layers (docs/winograd.md), where the weights are large and the
 * images small.
 *
 * <p>The transformed kernel's bytes are granted by the process-wide {@link WorkspaceBudget} for the object's life
 * and returned by {@link #close()}. Weights with a non-finite element are not transformed (a NaN would spread over
 * every tile); calls then run the backend's exact path, as its plain forward pass does, and so do inputs with a
 * non-finite element. Calls run one at a time ({@link PreparedConvolution}); any thread may make them.
 */
final class PreparedWinograd extends AbstractPreparedConvolution<WinogradBackend> {

    private final Correlation correlation;
    private final TileSize tile;
    private final WorkspaceBudget.Grant grant;
    private NativeFloats kernels;
    private Tensor4D weight;
    private float[] bias;
    /** Whether {@link #kernels} holds the current weights' transform (false for non-finite weights). */
    private boolean transformed;

    PreparedWinograd(WinogradBackend backend, ConvShape shape, Tensor4D weight, float[] bias) {
        super(backend, shape, bias != null);
        this.correlation = Correlation.forward(shape);
        this.tile = backend.choose(correlation);
        long floats = correlation.kernelFloats(tile);
        this.grant = WorkspaceBudget.global().acquire((long) Float.BYTES * floats, (long) Float.BYTES * floats);
        try {
            this.kernels = NativeFloats.allocate((int) floats);
        } catch (RuntimeException | Error e) {
            grant.close();
            throw e;
        }
        loadWeights(weight, bias); // checked by the backend with the geometry
    }

    /** Keeps heap NCHW copies of the weights and transforms them, if finite. */
    @Override
    protected void loadWeights(Tensor4D w, float[] b) {
        weight = w.toHeapNchw() == w ? w.copy() : w.toHeapNchw();
        bias = b == null ? null : b.clone();
        transformed = Tensor4D.allFinite(weight.data(), 0, weight.data().length);
        if (transformed) {
            WinogradEngine.transformKernels(correlation, tile, weight.data(), kernels);
        }
    }

    @Override
    protected Tensor4D forwardChecked(Tensor4D input, Tensor4D output) {
        Tensor4D x = input.toHeapNchw();
        if (!transformed || !Tensor4D.allFinite(x.data(), 0, x.data().length)) {
            return backend.forwardInto(input, weight, bias, shape.params(), output);
        }
        Tensor4D y = output.isHeapNchw() ? output : shape.newOutput();
        backend.correlatePrepared(correlation, tile, x.data(), kernels, bias, y.data());
        return y == output ? output : output.copyFrom(y);
    }

    @Override
    protected void release() {
        kernels.close();
        kernels = null;
        grant.close();
    }
}
