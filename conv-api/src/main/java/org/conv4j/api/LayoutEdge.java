package org.conv4j.api;

/**
 * The conversions at the edge of a call, in one place: every backend computes on heap NCHW tensors
 * ({@link Tensor4D#isHeapNchw()}); operands in another layout or in native memory are copied into that form once
 * when the call starts, and each result is copied into the storage and layout of the operand it corresponds to
 * when it ends (the output and {@code dL/dx} take the input's, {@code dL/dw} the weight's, as PyTorch's
 * channels-last propagates), or into the caller's output for {@code forwardInto}. Heap NCHW operands pass through
 * untouched: the default path copies nothing more than before.
 */
final class LayoutEdge {

    private LayoutEdge() {
    }

    /** Whether every tensor given is heap NCHW (nulls are skipped), so no conversion is needed. */
    static boolean canonical(Tensor4D... tensors) {
        for (Tensor4D t : tensors) {
            if (t != null && !t.isHeapNchw()) {
                return false;
            }
        }
        return true;
    }

    /** {@code result} (heap NCHW) in the storage and layout of {@code model}: itself if {@code model} is heap NCHW. */
    static Tensor4D like(Tensor4D model, Tensor4D result) {
        if (model.isHeapNchw()) {
            return result;
        }
        Tensor4D t = model.isNative()
                ? Tensor4D.allocateNative(model.layout(), result.n(), result.c(), result.h(), result.w())
                : Tensor4D.zeros(model.layout(), result.n(), result.c(), result.h(), result.w());
        return t.copyFrom(result);
    }

    /** Gradients computed on heap NCHW copies, with {@code dL/dx} like {@code input} and {@code dL/dw} like {@code weight}. */
    static ConvGradients like(Tensor4D input, Tensor4D weight, ConvGradients g) {
        return new ConvGradients(like(input, g.input()), like(weight, g.weight()), g.bias());
    }
}
