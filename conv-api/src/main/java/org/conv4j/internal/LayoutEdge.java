package org.conv4j.internal;

import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.Tensor4D;
import org.conv4j.spi.AbstractConvBackend;
import org.conv4j.spi.CostProfile;
import org.conv4j.spi.WorkspaceBudget;

import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The conversions at the edge of a call, in one place: every backend computes on heap NCHW tensors
 * ({@link Tensor4D#isHeapNchw()}); operands in another layout or in native memory are copied into that form once
 * when the call starts, and each result is copied into the storage and layout of the operand it corresponds to
 * when it ends (the output and {@code dL/dx} take the input's, {@code dL/dw} the weight's, as PyTorch's
 * channels-last propagates), or into the caller's output for {@code forwardInto}. Heap NCHW operands pass through
 * untouched: the default path copies nothing more than before.
 *
 * <p>The heap NCHW copies a conversion makes (of each converted operand, and of each result before it is written
 * into its operand's form) are workspace: a call holds a grant of their bytes from {@link WorkspaceBudget#global()}
 * while it runs ({@link #staged}), and their price is part of the estimate a backend is chosen by
 * ({@link #nanos}).
 */
public final class LayoutEdge {

    private LayoutEdge() {
    }

    /** Whether every tensor given is heap NCHW (nulls are skipped), so no conversion is needed. */
    public static boolean canonical(Tensor4D... tensors) {
        for (Tensor4D t : tensors) {
            if (t != null && !t.isHeapNchw()) {
                return false;
            }
        }
        return true;
    }

    /** {@code result} (heap NCHW) in the storage and layout of {@code model}: itself if {@code model} is heap NCHW. */
    public static Tensor4D like(Tensor4D model, Tensor4D result) {
        if (model.isHeapNchw()) {
            return result;
        }
        return zeros(model.isNative(), model.layout(), result.n(), result.c(), result.h(), result.w())
                .copyFrom(result);
    }

    /** A new zeroed tensor {@code (n, c, h, w)} in native memory or on the heap, in {@code layout}. */
    public static Tensor4D zeros(boolean isNative, MemoryLayout layout, int n, int c, int h, int w) {
        return isNative ? Tensor4D.allocateNative(layout, n, c, h, w) : Tensor4D.zeros(layout, n, c, h, w);
    }

    /** Gradients computed on heap NCHW copies, with {@code dL/dx} like {@code input} and {@code dL/dw} like {@code weight}. */
    public static ConvGradients like(Tensor4D input, Tensor4D weight, ConvGradients g) {
        return new ConvGradients(like(input, g.input()), like(weight, g.weight()), g.bias());
    }

    /**
     * The floats staged on the heap for the tensors given that are not heap NCHW (nulls skipped). A tensor is
     * given once for its own copy and once more for a result computed in heap NCHW and then written into its form.
     */
    public static long floats(Tensor4D... tensors) {
        long floats = 0;
        for (Tensor4D t : tensors) {
            if (t != null && !t.isHeapNchw()) {
                floats += t.size();
            }
        }
        return floats;
    }

    /**
     * Runs {@code call}, which stages {@code floats} floats on the heap, under a grant of their bytes from the
     * process-wide budget. The backend's own grant inside the call is taken on the same thread, which the budget
     * serves at once ({@link WorkspaceBudget#acquire}), so nesting the two cannot deadlock.
     */
    public static <T> T staged(long floats, Supplier<T> call) {
        if (floats == 0) {
            return call.get();
        }
        long bytes = Math.multiplyExact(floats, (long) Float.BYTES);
        try (WorkspaceBudget.Grant grant = WorkspaceBudget.global().acquire(bytes, bytes)) {
            return call.get();
        }
    }

    /**
     * The estimated price of converting the tensors given that are not heap NCHW (each as in {@link #floats}), in
     * ns: a bulk copy for native NCHW, a transpose for NHWC, at the rates {@link LayoutCopy#nanosPerFloat} holds.
     */
    public static double nanos(Tensor4D... tensors) {
        double ns = 0;
        for (Tensor4D t : tensors) {
            if (t != null && !t.isHeapNchw()) {
                ns += t.size() * LayoutCopy.nanosPerFloat(t.layout() != MemoryLayout.NCHW);
            }
        }
        return ns;
    }

    /**
     * The price of a forward call's conversions for each backend, added to its estimate: every operand not in heap
     * NCHW for a backend that converts them; for one that {@link Access.Backends#takesInPlace takes input and
     * output in place}, only the weight's, less the staging its heap estimate includes and the call skips
     * ({@link AbstractConvBackend#inPlaceSavingsNanos}).
     */
    public static ToDoubleFunction<ConvBackend> forwardNanos(ConvShape s, Tensor4D input, Tensor4D weight,
                                                             Tensor4D output) {
        return b -> {
            if (b instanceof AbstractConvBackend a && Access.backends().takesInPlace(a, s, input, output)) {
                // the weight's conversion, less the staging the backend's heap estimate includes and this call
                // skips, with at least a tenth of the estimate left
                double estimate = CostProfile.current().estimate(b, s, ConvPass.FORWARD);
                return Math.max(nanos(weight) - Access.backends().inPlaceSavingsNanos(a, s, input.layout()),
                        -0.9 * estimate);
            }
            return nanos(input, weight, output);
        };
    }

    /**
     * The price of a backward call's conversions for each backend, added to its estimate of {@code pass}: every
     * operand not in heap NCHW for a backend that converts them; where the activations are all native in one layout
     * and a backend's backward passes take them in place
     * ({@link AbstractConvBackend#backwardInPlaceSavingsNanos} not NaN), only the weight gradient's, less the staging
     * its heap estimate includes and the call skips, with at least a tenth of the estimate left.
     *
     * @param s the validated geometry
     * @param pass {@link ConvPass#BACKWARD}, {@link ConvPass#INPUT_GRADIENT} or {@link ConvPass#WEIGHT_GRADIENT}
     * @param weightGradient where {@code dL/dw} goes, or null if the pass has none
     * @param activations the activations the pass reads and writes ({@code x}, {@code dL/dy}, {@code dL/dx}; those
     *        it has)
     * @return the price per backend, in ns
     */
    public static ToDoubleFunction<ConvBackend> backwardNanos(ConvShape s, ConvPass pass, Tensor4D weightGradient,
                                                              Tensor4D... activations) {
        return b -> {
            MemoryLayout inPlace = nativeLayout(activations);
            if (inPlace != null && b instanceof AbstractConvBackend a) {
                double savings = Access.backends().backwardInPlaceSavingsNanos(a, s, pass, inPlace);
                if (!Double.isNaN(savings)) {
                    double estimate = CostProfile.current().estimate(b, s, pass.basis());
                    return Math.max(nanos(weightGradient) - savings, -0.9 * estimate);
                }
            }
            return nanos(activations) + nanos(weightGradient);
        };
    }

    /** The layout the tensors share if all are native in it, else null. */
    private static MemoryLayout nativeLayout(Tensor4D... tensors) {
        MemoryLayout layout = tensors[0].layout();
        for (Tensor4D t : tensors) {
            if (!t.isNative() || t.layout() != layout) {
                return null;
            }
        }
        return layout;
    }

    /**
     * The form of each tensor given, two bits per tensor in order: native storage, NHWC layout (0 when all are heap
     * NCHW; a null counts as heap NCHW). The facade keys its estimated choices by it, and its prepared passes their
     * per-form backends.
     *
     * @param tensors the operands
     * @return the forms, packed
     */
    public static int forms(Tensor4D... tensors) {
        int forms = 0;
        for (int i = 0; i < tensors.length; i++) {
            Tensor4D t = tensors[i];
            if (t != null) {
                forms |= ((t.isNative() ? 1 : 0) | (t.layout() == MemoryLayout.NHWC ? 2 : 0)) << (2 * i);
            }
        }
        return forms;
    }
}
