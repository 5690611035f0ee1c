package org.conv4j.api;

/**
 * A forward convolution prepared once for calls that repeat with one geometry (inference, a training step's fixed
 * shapes): the backend is chosen, the geometry validated and, where the backend can, the weights laid out for its
 * kernel, once, at {@link Conv2d#prepareForward} (and again at {@link #setWeights}); a call then checks the
 * tensors' shapes and runs. Made by {@link Conv2d#prepareForward} or {@link ConvBackend#prepareForward}.
 *
 * <p>The weights are read when the convolution is prepared and when {@link #setWeights} is called: changing the
 * weight tensor in between does not change the results until {@code setWeights} is called with it.
 *
 * <p>Thread-safety: calls may come from any thread; calls on one prepared convolution run one at a time (it holds
 * one set of buffers). For calls in parallel, prepare one per thread. {@link #close()} frees what it holds; after
 * it, calls fail with {@link IllegalStateException}.
 */
public interface PreparedConvolution extends AutoCloseable {

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
     * The forward pass of {@code input}, into a new output in the input's storage and layout.
     *
     * @param input the input, of the prepared shape {@code (N, C, H, W)}, any storage and layout
     * @return the output {@code (N, K, outH, outW)}
     * @throws IllegalArgumentException if the input's shape is not the prepared one
     * @throws IllegalStateException if this convolution or the input is closed
     */
    Tensor4D forward(Tensor4D input);

    /**
     * The forward pass of {@code input} into {@code output}, every element of which is overwritten.
     *
     * @param input the input, of the prepared shape, any storage and layout
     * @param output the output {@code (N, K, outH, outW)}, any storage and layout
     * @return {@code output}
     * @throws IllegalArgumentException if a shape is not the prepared one
     * @throws IllegalStateException if this convolution or a tensor is closed
     */
    Tensor4D forwardInto(Tensor4D input, Tensor4D output);

    /**
     * Replaces the weights and bias (and lays them out for the kernel again).
     *
     * @param weight the new weight, of the prepared weight's shape
     * @param bias the new bias, or null; present exactly where the prepared convolution had one
     * @throws IllegalArgumentException if the weight's shape or the bias's presence or length differ
     */
    void setWeights(Tensor4D weight, float[] bias);

    /** Frees the buffers and laid-out weights it holds; later calls fail. Closing twice does nothing. */
    @Override
    void close();
}
