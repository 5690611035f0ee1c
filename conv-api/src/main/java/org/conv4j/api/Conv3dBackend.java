package org.conv4j.api;

/**
 * The capability of a {@link ConvBackend} to run 3D convolutions: a backend that implements this interface as well
 * runs {@link Conv3d}'s calls; a backend that does not declines them ({@link Conv3d#on(ConvBackend)} fails with
 * {@link UnsupportedOperationException}, naming the backends that do).
 *
 * <p>{@link Conv3d} validates every call with {@link Conv3dShape} and converts the operands to heap NCDHW before
 * calling these methods, and converts the results to the storage and layout of their operands after; it pads the
 * input beforehand for a {@link PaddingMode} other than zeros. An implementation computes on validated heap NCDHW
 * arrays with zero padding only, except where it {@linkplain #takesInPlace3d takes the operands as they are}. The
 * formula, with {@code g = k / (K/groups)},
 * {@code Cg = C/groups} and {@code x} read as zero outside the input:
 * <pre>
 *   y[n,k,od,oh,ow] = bias[k] + sum_{c&lt;Cg, a&lt;kD, i&lt;kH, j&lt;kW} w[k,c,a,i,j]
 *                     * x[n, g*Cg + c, od*sd - padFront + a*dd, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw]
 * </pre>
 * Implementations must be thread-safe and must not modify their operands.
 */
public interface Conv3dBackend {

    /**
     * Whether this backend runs {@code pass} on this geometry (the 3D counterpart of {@link ConvBackend#supports});
     * {@link Conv3d} chooses only among backends that do. The default is true: every shape.
     *
     * @param shape the validated geometry
     * @param pass {@link ConvPass#FORWARD} or {@link ConvPass#BACKWARD}
     * @return whether this backend runs it
     */
    default boolean supports3d(Conv3dShape shape, ConvPass pass) {
        return true;
    }

    /**
     * A cheap estimate, in nanoseconds, of one call of {@code pass} on this geometry (the 3D counterpart of
     * {@link ConvBackend#estimateNanos}); {@code Double.NaN} if the backend gives none (the default).
     * {@link Conv3d} runs, among the supporting non-reference backends, the one with the smallest finite
     * estimate, and the first by name when none gives one.
     *
     * @param shape the validated geometry
     * @param pass {@link ConvPass#FORWARD} or {@link ConvPass#BACKWARD}
     * @return the estimated nanoseconds, or NaN
     */
    default double estimate3dNanos(Conv3dShape shape, ConvPass pass) {
        return Double.NaN;
    }

    /**
     * Whether this backend runs {@code pass} on these operands as the caller gave them, in their storage and layout
     * (e.g. native tensors read and written in place by a native library), rather than on heap NCDHW copies. If so,
     * {@link Conv3d} hands them to the pass's method unconverted: a forward pass to {@link #forward3dInto}, which
     * writes {@code third} itself; the results of {@link #backward3d}, {@link #inputGradient3d} and
     * {@link #weightGradient3d} may then come in any storage and layout, and {@link Conv3d} converts each to its
     * operand's unless it has it already. Asked only for zero padding ({@link Conv3d} pads a heap copy for the other
     * modes). The default is false: every operand arrives heap NCDHW.
     *
     * @param shape the validated geometry
     * @param pass {@link ConvPass#FORWARD}, {@link ConvPass#BACKWARD}, {@link ConvPass#INPUT_GRADIENT} or
     *        {@link ConvPass#WEIGHT_GRADIENT}
     * @param input the input (for {@link ConvPass#INPUT_GRADIENT}, the operand {@code dL/dx} is returned like)
     * @param weight the weight (for {@link ConvPass#WEIGHT_GRADIENT}, the operand {@code dL/dw} is returned like)
     * @param third the output to write (forward) or {@code dL/dy} (the other passes)
     * @return whether the pass takes them as they are
     */
    default boolean takesInPlace3d(Conv3dShape shape, ConvPass pass, Tensor5D input, Tensor5D weight,
                                   Tensor5D third) {
        return false;
    }

    /**
     * The forward pass into {@code output}, every element of which it overwrites, on operands in any storage and
     * layout; {@link Conv3d} calls it where {@link #takesInPlace3d} says the forward pass takes them as they are. The
     * default runs {@link #forward3d} on heap NCDHW copies and copies its result into {@code output}.
     *
     * @param shape the validated geometry
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param bias one value per filter, or null
     * @param output the output {@code (N, K, outD, outH, outW)}
     * @return {@code output}
     */
    default Tensor5D forward3dInto(Conv3dShape shape, Tensor5D input, Tensor5D weight, float[] bias,
                                   Tensor5D output) {
        return output.copyFrom(forward3d(shape, input.toHeapNcdhw(), weight.toHeapNcdhw(), bias));
    }

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
     * The backward pass on validated heap NCDHW operands (or the caller's, where {@link #takesInPlace3d} says so).
     *
     * @param shape the validated geometry
     * @param input the input, heap NCDHW
     * @param weight the weight, heap NCDHW
     * @param gradOutput {@code dL/dy} of the output's shape, heap NCDHW
     * @return {@code dL/dx}, {@code dL/dw} (heap NCDHW, unless taken in place) and {@code dL/db}
     */
    Conv3dGradients backward3d(Conv3dShape shape, Tensor5D input, Tensor5D weight, Tensor5D gradOutput);

    /**
     * {@code dL/dx} alone, on validated heap NCDHW operands (or the caller's, where {@link #takesInPlace3d} says so);
     * {@link Conv3d} calls it for the input gradient and for the transposed forward pass. The default takes it from
     * {@link #backward3d} with a zero input; a backend that can compute it alone should.
     *
     * @param shape the validated geometry
     * @param weight the weight, heap NCDHW
     * @param gradOutput {@code dL/dy} of the output's shape, heap NCDHW
     * @return {@code dL/dx}, a new tensor of the input's shape (heap NCDHW, unless taken in place)
     */
    default Tensor5D inputGradient3d(Conv3dShape shape, Tensor5D weight, Tensor5D gradOutput) {
        return backward3d(shape, shape.newInput(), weight, gradOutput).input();
    }

    /**
     * {@code dL/dw} alone, on validated heap NCDHW operands (or the caller's, where {@link #takesInPlace3d} says so);
     * {@link Conv3d} calls it for the weight gradient and for the transposed backward pass. The default takes it from
     * {@link #backward3d} with a zero weight; a backend that can compute it alone should.
     *
     * @param shape the validated geometry
     * @param input the input, heap NCDHW
     * @param gradOutput {@code dL/dy} of the output's shape, heap NCDHW
     * @return {@code dL/dw}, a new tensor of the weight's shape (heap NCDHW, unless taken in place)
     */
    default Tensor5D weightGradient3d(Conv3dShape shape, Tensor5D input, Tensor5D gradOutput) {
        return backward3d(shape, input, shape.newWeight(), gradOutput).weight();
    }
}
