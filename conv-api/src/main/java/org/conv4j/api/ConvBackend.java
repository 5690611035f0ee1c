package org.conv4j.api;

import org.conv4j.internal.TransposedPasses;
import org.conv4j.spi.CostModel;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.PreparedBackwardCalls;
import org.conv4j.spi.PreparedCalls;

/**
 * One implementation of 2D convolution (cross-correlation, as deep-learning frameworks define it).
 *
 * <p>Forward, for output element {@code (n, k, oh, ow)} with {@code g = k / (K/groups)} and
 * {@code Cg = C/groups}:
 * <pre>
 *   y[n,k,oh,ow] = bias[k] + sum_{c&lt;Cg, i&lt;kH, j&lt;kW} w[k,c,i,j] * x[n, g*Cg + c, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw]
 * </pre>
 * where {@code x} reads as zero outside the input. Backward returns the gradients of a loss {@code L}
 * given {@code dL/dy}: {@code dL/dx} (input's shape), {@code dL/dw} (weight's shape) and {@code dL/db}
 * (length K, the sum of {@code dL/dy} over {@code n, oh, ow}).
 *
 * <p>Implementations are found by {@link java.util.ServiceLoader}: a backend module lists its class in
 * {@code META-INF/services/org.conv4j.api.ConvBackend} (the class path) and names it in its module descriptor,
 * {@code provides org.conv4j.api.ConvBackend with ...} (the module path). A backend usually extends
 * {@link org.conv4j.spi.AbstractConvBackend}. Contract for every implementation:
 * <ul>
 *   <li>Arguments are validated with {@link ConvShape#forward} / {@link ConvShape#backward}, so bad input
 *       fails with the same {@link IllegalArgumentException} (or {@link NullPointerException}) everywhere.</li>
 *   <li>Inputs are never modified; results are new tensors (or, for {@link #forwardInto}, the caller's).</li>
 *   <li>Thread-safe: concurrent calls give the same results as serial ones.</li>
 *   <li>A non-finite input or weight value affects only the outputs whose window contains it.</li>
 *   <li>Results agree with the {@code naive} reference backend within the backend's documented tolerance.</li>
 * </ul>
 */
public interface ConvBackend {

    /**
     * The backend's short name: {@code naive}, {@code im2col}, {@code strided}, {@code fft}, ...
     *
     * @return the name
     */
    String name();

    /**
     * Whether this backend runs {@code pass} on this validated geometry. {@link Conv2d} asks about the basic
     * passes only ({@link ConvPass#FORWARD}, {@link ConvPass#BACKWARD}); the others are described by their
     * {@linkplain ConvPass#basis() basis}. A backend that answers false is
     * never chosen by {@link Conv2d} for it (it may still be called directly, and then must still be
     * correct or throw {@link UnsupportedOperationException}). The default is true: every shape.
     *
     * @param shape the validated geometry of the call
     * @param pass the pass to run
     * @return whether this backend runs it
     */
    default boolean supports(ConvShape shape, ConvPass pass) {
        return true;
    }

    /**
     * A cheap estimate, in nanoseconds, of one call of {@code pass} on this geometry on the machine the JVM
     * runs on; {@code Double.NaN} if the backend gives none (the default). {@link Conv2d} chooses the
     * supporting backend with the smallest estimate when nothing is pinned or autotuned, so an estimate
     * should be a model fitted to measurements ({@link CostProfile}), computed in well under a microsecond once
     * the geometry has been seen: a backend may ask its native library once per geometry (which kernel it would
     * run) and cache the answer, but must not allocate per call or run a convolution to estimate one.
     *
     * @param shape the validated geometry of the call
     * @param pass the pass to run
     * @return the estimated nanoseconds, or NaN
     */
    default double estimateNanos(ConvShape shape, ConvPass pass) {
        return Double.NaN;
    }

    /**
     * The name of the {@link CostProfile} model behind {@link #estimateNanos} for this call (e.g. {@code im2col},
     * {@code onednn.depthwise}), so that {@code java -jar conv-bench.jar fit} can refit that model from measured
     * times; null (the default) where the estimate is not a profile's {@link CostModel}.
     *
     * @param shape the validated geometry of the call
     * @param pass the pass to run
     * @return the model's name, or null
     */
    default String costModel(ConvShape shape, ConvPass pass) {
        return null;
    }

    /**
     * Whether this is a reference implementation, correct but not meant to be fast (the {@code naive}
     * backend). {@link Conv2d} runs a reference only when no other backend supports the shape.
     *
     * @return whether this is the reference backend
     */
    default boolean isReference() {
        return false;
    }

    /**
     * The forward pass.
     *
     * @param input  {@code (N, C, H, W)}
     * @param weight {@code (K, C/groups, kH, kW)}
     * @param bias   length {@code K}, or null for no bias
     * @param params stride, padding, dilation and groups
     * @return a new tensor {@code (N, K, outH, outW)}, sizes as {@link ConvShape} computes them
     */
    Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params);

    /**
     * The forward pass into a caller-provided tensor of the output shape. Every element of
     * {@code output} is overwritten (its previous contents, even NaN, never leak into the result).
     * The default computes {@link #forward} and copies; backends override it to skip the copy.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @param output a tensor of the output shape, overwritten
     * @return {@code output}
     */
    default Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                 Tensor4D output) {
        ConvShape.forward(input, weight, bias, params).checkOutput(output);
        return output.copyFrom(forward(input, weight, bias, params));
    }

    /**
     * The forward pass prepared for calls that repeat on {@code shape} with these weights ({@link
     * PreparedConvolution}). The default keeps the geometry and a copy of the weights and skips validation on each
     * call; backends that can lay the weights out once for their kernel override it.
     *
     * @param shape the geometry, as {@link ConvShape#forward} validated it
     * @param weight {@code (K, C/groups, kH, kW)}, any storage and layout
     * @param bias length {@code K}, or null
     * @return the prepared convolution; close it when done
     * @throws IllegalArgumentException if the weight or bias do not fit {@code shape}
     */
    default PreparedConvolution prepareForward(ConvShape shape, Tensor4D weight, float[] bias) {
        return new PreparedCalls(this, shape, weight, bias);
    }

    /**
     * The backward pass prepared for calls that repeat on {@code shape} with this weight ({@link PreparedBackward}).
     * The default keeps the geometry and a copy of the weight and skips validation on each call
     * ({@link PreparedBackwardCalls}); backends that can lay the weights out once for their input-gradient kernel,
     * or keep buffers, override it.
     *
     * @param shape the geometry, as {@link ConvShape#forward} or {@link ConvShape#backward} validated it
     * @param weight {@code (K, C/groups, kH, kW)}, any storage and layout
     * @return the prepared backward pass; close it when done
     * @throws IllegalArgumentException if the weight does not fit {@code shape}
     */
    default PreparedBackward prepareBackward(ConvShape shape, Tensor4D weight) {
        return new PreparedBackwardCalls(this, shape, weight);
    }

    /**
     * The backward pass: gradients with respect to input, weight and bias.
     *
     * @param gradOutput {@code dL/dy}, with the forward output's shape {@code (N, K, outH, outW)}
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params);

    /**
     * The input gradient {@code dL/dx} alone (the backward pass without dL/dw and dL/db, e.g. for a layer
     * whose input needs no gradient only dL/dw is wanted, and the reverse). Only {@code input}'s shape is read.
     * The default computes the whole backward pass; backends override it to skip the rest.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, of the input's shape
     */
    default Tensor4D inputGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return backward(input, weight, gradOutput, params).input();
    }

    /**
     * The weight gradient {@code dL/dw} alone; only {@code weight}'s shape is read. The default computes the
     * whole backward pass.
     *
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dw}, of the weight's shape
     */
    default Tensor4D weightGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return backward(input, weight, gradOutput, params).weight();
    }

    /**
     * The transposed convolution (PyTorch's {@code conv_transpose2d}), shapes and output size as
     * {@link TransposedShape} defines them: the input gradient of the convolution {@link TransposedShape#conv()}
     * for {@code dL/dy = input}, plus the bias.
     *
     * @param input  {@code (N, Cin, H, W)}
     * @param weight {@code (Cin, Cout/groups, kH, kW)}
     * @param bias   length {@code Cout}, or null
     * @param params stride, padding, dilation, groups and output padding (zero padding only)
     * @return a new tensor {@code (N, Cout, outH, outW)}
     */
    default Tensor4D transposedForward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        TransposedShape t = TransposedShape.forward(input, weight, bias, params);
        if (t.reachesNothing()) {
            return TransposedPasses.output(t, null, bias);
        }
        ConvShape c = t.conv();
        Tensor4D core = inputGradient(c.newInput(), weight, input, c.params());
        return TransposedPasses.output(t, core, bias);
    }

    /**
     * The gradients of a transposed convolution: {@code dL/dx} (the convolution's forward pass of
     * {@code dL/dy}), {@code dL/dw} and {@code dL/db} (see {@link TransposedShape}).
     *
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @param input the input of the transposed forward pass
     * @param weight its weight {@code (Cin, Cout/groups, kH, kW)}
     * @param params the parameters of the transposed forward pass
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    default ConvGradients transposedBackward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        TransposedShape t = TransposedShape.backward(input, weight, gradOutput, params);
        if (t.reachesNothing()) {
            return TransposedPasses.unreachedGradients(t, input, weight, gradOutput.toHeapNchw());
        }
        ConvShape c = t.conv();
        Tensor4D reached = TransposedPasses.reached(t, gradOutput);
        return new ConvGradients(forward(reached, weight, null, c.params()),
                weightGradient(reached, weight, input, c.params()), TransposedPasses.biasGradient(t, gradOutput));
    }
}
