package org.conv4j.api;

/**
 * A backward pass prepared once for calls that repeat with one geometry (a training step's fixed shapes): the
 * backend is chosen, the geometry validated and, where the backend can, the weights laid out for its input-gradient
 * kernel, once, at {@link Conv2d#prepareBackward} (and again at {@link #setWeights}); a call then checks the tensors'
 * shapes and runs. Made by {@link Conv2d#prepareBackward} or {@link ConvBackend#prepareBackward}.
 *
 * <p>The gradients are those of {@link ConvBackend#backward}: {@code dL/dx} of the input's shape, {@code dL/dw} of
 * the weight's, {@code dL/db} one value per output channel (whether or not the forward pass has a bias). The
 * {@code Into} calls write them into the caller's tensors, in whatever storage and layout those are, overwriting
 * every element; the others return new ones: {@code dL/dx} in the storage and layout of the input (of
 * {@code gradOutput} for {@link #inputGradient}), {@code dL/dw} in those of the weight last given, as
 * {@link Conv2d#backward} returns them.
 *
 * <p>The weights are read when the pass is prepared and when {@link #setWeights} is called: changing the weight
 * tensor in between does not change the results until {@code setWeights} is called with it. Only {@code dL/dx}
 * depends on them.
 *
 * <p>Thread-safety: as {@link PreparedConvolution}. Calls may come from any thread; calls on one prepared pass run
 * one at a time (it holds one set of buffers). For calls in parallel, prepare one per thread. {@link #close()}
 * frees what it holds; after it, calls fail with {@link IllegalStateException}.
 */
public interface PreparedBackward extends AutoCloseable {

    /**
     * The geometry it was prepared for.
     *
     * @return the validated geometry
     */
    ConvShape shape();

    /**
     * The backend that runs it.
     *
     * @return the backend
     */
    ConvBackend backend();

    /**
     * The three gradients, into new tensors.
     *
     * @param input the input {@code (N, C, H, W)} of the prepared shape, any storage and layout
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}, any storage and layout
     * @return {@code dL/dx} (like the input), {@code dL/dw} (like the weight last given) and {@code dL/db}
     * @throws IllegalArgumentException if a shape is not the prepared one
     * @throws IllegalStateException if this pass or a tensor is closed
     */
    ConvGradients backward(Tensor4D input, Tensor4D gradOutput);

    /**
     * The three gradients, into {@code gradients}' tensors and array, every element of which is overwritten.
     *
     * @param input the input {@code (N, C, H, W)} of the prepared shape, any storage and layout
     * @param gradOutput {@code dL/dy}, of the forward output's shape, any storage and layout
     * @param gradients where to write: {@code input()} of the input's shape, {@code weight()} of the weight's
     *        (each in any storage and layout), {@code bias()} of length {@code K}
     * @return {@code gradients}
     * @throws IllegalArgumentException if a shape or length is not the prepared one
     * @throws IllegalStateException if this pass or a tensor is closed
     */
    ConvGradients backwardInto(Tensor4D input, Tensor4D gradOutput, ConvGradients gradients);

    /**
     * {@code dL/dx} alone, into a new tensor in {@code gradOutput}'s storage and layout.
     *
     * @param gradOutput {@code dL/dy}, of the forward output's shape, any storage and layout
     * @return {@code dL/dx}, of the input's shape
     * @throws IllegalArgumentException if the shape is not the prepared one
     * @throws IllegalStateException if this pass or the tensor is closed
     */
    Tensor4D inputGradient(Tensor4D gradOutput);

    /**
     * {@code dL/dx} alone, into {@code inputGradient}, every element of which is overwritten.
     *
     * @param gradOutput {@code dL/dy}, of the forward output's shape, any storage and layout
     * @param inputGradient a tensor of the input's shape, any storage and layout
     * @return {@code inputGradient}
     * @throws IllegalArgumentException if a shape is not the prepared one
     * @throws IllegalStateException if this pass or a tensor is closed
     */
    Tensor4D inputGradientInto(Tensor4D gradOutput, Tensor4D inputGradient);

    /**
     * {@code dL/dw} alone, into a new tensor in the storage and layout of the weight last given.
     *
     * @param input the input of the prepared shape, any storage and layout
     * @param gradOutput {@code dL/dy}, of the forward output's shape, any storage and layout
     * @return {@code dL/dw}, of the weight's shape
     * @throws IllegalArgumentException if a shape is not the prepared one
     * @throws IllegalStateException if this pass or a tensor is closed
     */
    Tensor4D weightGradient(Tensor4D input, Tensor4D gradOutput);

    /**
     * {@code dL/dw} alone, into {@code weightGradient}, every element of which is overwritten.
     *
     * @param input the input of the prepared shape, any storage and layout
     * @param gradOutput {@code dL/dy}, of the forward output's shape, any storage and layout
     * @param weightGradient a tensor of the weight's shape {@code (K, C/groups, kH, kW)}, any storage and layout
     * @return {@code weightGradient}
     * @throws IllegalArgumentException if a shape is not the prepared one
     * @throws IllegalStateException if this pass or a tensor is closed
     */
    Tensor4D weightGradientInto(Tensor4D input, Tensor4D gradOutput, Tensor4D weightGradient);

    /**
     * Replaces the weights (and lays them out for the kernel again); {@code dL/dw} of the allocating calls then takes
     * this weight's storage and layout.
     *
     * @param weight the new weight, of the prepared weight's shape, any storage and layout
     * @throws IllegalArgumentException if the weight's shape differs
     * @throws IllegalStateException if this pass is closed
     */
    void setWeights(Tensor4D weight);

    /** Frees the buffers and laid-out weights it holds; later calls fail. Closing twice does nothing. */
    @Override
    void close();
}
