package org.conv4j.api;

/**
 * The order in which a {@link Tensor4D}'s elements lie in memory. The logical shape is always
 * {@code (n, c, h, w)}; the layout says which index varies fastest.
 *
 * <p>For weights, whose logical shape is {@code (K, C/groups, kH, kW)}, {@link #NHWC} is channels-last in the sense
 * of PyTorch's {@code channels_last} memory format: stored as {@code K, kH, kW, C/groups} (OHWI).
 */
public enum MemoryLayout {
    /**
     * Channels-first: element {@code (n, c, h, w)} at {@code ((n*C + c)*H + h)*W + w}; width fastest. PyTorch's
     * default ({@code contiguous_format}), and conv4j's.
     */
    NCHW,
    /**
     * Channels-last: element {@code (n, c, h, w)} at {@code ((n*H + h)*W + w)*C + c}; channels fastest. What most
     * CPU kernels prefer (oneDNN's {@code nhwc}, PyTorch's {@code channels_last}, TensorFlow's default).
     */
    NHWC;

    /**
     * The position of element {@code (n, c, h, w)} of a tensor of shape {@code (N, C, H, W)} in this layout.
     *
     * @param n the batch index
     * @param c the channel index
     * @param h the row index
     * @param w the column index
     * @param channels the tensor's channel count
     * @param height the tensor's height
     * @param width the tensor's width
     * @return the position in the storage
     */
    public int index(int n, int c, int h, int w, int channels, int height, int width) {
        return this == NCHW ? ((n * channels + c) * height + h) * width + w : ((n * height + h) * width + w) * channels + c;
    }
}
