package org.conv4j.winograd;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvShape;
import org.conv4j.api.PreparedConvolution;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.PreparedCalls;
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
final class PreparedWinograd implements PreparedConvolution {

    private final WinogradBackend backend;
    private final ConvShape shape;
    private final Correlation correlation;
    private final TileSize tile;
    private final boolean hasBias;
    private final WorkspaceBudget.Grant grant;
    private NativeFloats kernels;
    private Tensor4D weight;
    private float[] bias;
    /** Whether {@link #kernels} holds the current weights' transform (false for non-finite weights). */
    private boolean transformed;
    private boolean closed;

    PreparedWinograd(WinogradBackend backend, ConvShape shape, Tensor4D weight, float[] bias) {
        this.backend = backend;
        this.shape = shape;
        this.correlation = Correlation.forward(shape);
        this.tile = backend.choose(correlation);
        this.hasBias = bias != null;
        long floats = correlation.kernelFloats(tile);
        this.grant = WorkspaceBudget.global().acquire((long) Float.BYTES * floats, (long) Float.BYTES * floats);
        try {
            this.kernels = NativeFloats.allocate((int) floats);
        } catch (RuntimeException | Error e) {
            grant.close();
            throw e;
        }
        load(weight, bias);
    }

    /** Keeps heap NCHW copies of the weights and transforms them, if finite. */
    private void load(Tensor4D w, float[] b) {
        weight = w.toHeapNchw() == w ? w.copy() : w.toHeapNchw();
        bias = b == null ? null : b.clone();
        transformed = Tensor4D.allFinite(weight.data(), 0, weight.data().length);
        if (transformed) {
            WinogradEngine.transformKernels(correlation, tile, weight.data(), kernels);
        }
    }

    @Override
    public ConvShape shape() {
        return shape;
    }

    @Override
    public ConvBackend backend() {
        return backend;
    }

    @Override
    public synchronized Tensor4D forward(Tensor4D input) {
        checkOpen();
        PreparedCalls.checkInput(shape, input);
        return forwardInto(input, shape.newOutputLike(input));
    }

    @Override
    public synchronized Tensor4D forwardInto(Tensor4D input, Tensor4D output) {
        checkOpen();
        PreparedCalls.checkInput(shape, input);
        shape.checkOutput(output);
        Tensor4D x = input.toHeapNchw();
        if (!transformed || !Tensor4D.allFinite(x.data(), 0, x.data().length)) {
            return backend.forwardInto(input, weight, bias, shape.params(), output);
        }
        Tensor4D y = output.isHeapNchw() ? output : shape.newOutput();
        backend.correlatePrepared(correlation, tile, x.data(), kernels, bias, y.data());
        return y == output ? output : output.copyFrom(y);
    }

    @Override
    public synchronized void setWeights(Tensor4D w, float[] b) {
        checkOpen();
        PreparedCalls.checkWeights(shape, w, b, hasBias);
        load(w, b);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        kernels.close();
        kernels = null;
        grant.close();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("winograd: this prepared convolution is closed");
        }
    }
}
