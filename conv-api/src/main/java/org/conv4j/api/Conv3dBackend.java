package org.conv4j.api;

/**
 * The capability of a {@link ConvBackend} to run 3D convolutions: a backend that implements this interface as well
 * runs {@link Conv3d}'s calls; a backend that does not declines them ({@link Conv3d#on(ConvBackend)} fails with
 * {@link UnsupportedOperationException}, naming the backends that do).
 *
 * <p>{@link Conv3d} validates every call with {@link Conv3dShape} and converts the operands to heap NCDHW before
 * calling these methods, and converts the results to the storage and layout of their operands after; it pads the
 * input beforehand for a {@link PaddingMode} other than zeros. An implementation computes on validated heap NCDHW
 * arrays with zero padding only. The formula, with {@code g = k / (K/groups)},
 * {@code Cg = C/groups} and {@code x} read as zero outside the input:
 * <pre>
 *   y[n,k,od,oh,ow] = bias[k] + sum_{c&lt;Cg, a&lt;kD, i&lt;kH, j&lt;kW} w[k,c,a,i,j]
 *                     * x[n, g*Cg + c, od*sd - padFront + a*dd, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw]
 * </pre>
 * Implementations must be thread-safe and must not modify their operands.
 */
public interface Conv3dBackend {

    /**
     * The forward pass on validated heap NCDHW operands.
     *
     * @param shape the validated geometry
     * @param input the input {@code (N, C, D, H, W)}, heap NCDHW
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}, heap NCDHW
     * @param bias one value per filter, or null
     * @return a new heap NCDHW tensor {@code (N, K, outD, outH, outW)}
     */
    Tensor5D forward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, float[] bias);

    /**
     * The backward pass on validated heap NCDHW operands.
     *
     * @param shape the validated geometry
     * @param input the input, heap NCDHW
     * @param weight the weight, heap NCDHW
     * @param gradOutput {@code dL/dy} of the output's shape, heap NCDHW
     * @return {@code dL/dx}, {@code dL/dw} (heap NCDHW) and {@code dL/db}
     */
    Conv3dGradients backward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, Tensor5D gradOutput);
}
