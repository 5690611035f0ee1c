package org.conv4j.spi;

import org.conv4j.api.Conv2d;
import org.conv4j.api.Conv3dShape;
import org.conv4j.api.ConvBackend;
import org.conv4j.api.ConvGradients;
import org.conv4j.api.ConvParams;
import org.conv4j.api.ConvPass;
import org.conv4j.api.ConvShape;
import org.conv4j.api.MemoryLayout;
import org.conv4j.api.PaddingMode;
import org.conv4j.api.Tensor4D;
import org.conv4j.api.Tensor5D;
import org.conv4j.api.TransposedShape;
import org.conv4j.internal.Access;
import org.conv4j.internal.LayoutCopy;
import org.conv4j.internal.LayoutEdge;
import org.conv4j.internal.ModePadding;
import org.conv4j.internal.TransposedPasses;

import java.util.stream.IntStream;

/**
 * A base for backends: validates every call once through {@link ConvShape}, allocates (or checks) the
 * output, and hands the validated geometry to the subclass, so that no backend repeats the checks or
 * re-derives a size. It implements the {@link PaddingMode}s other than zeros once for every backend (see
 * {@link #handlesPaddingModes()}), and provides the bias gradient, which every backend computes the same way.
 *
 * <p>Subclasses implement {@link #forward(ConvShape, Tensor4D, Tensor4D, float[], Tensor4D)} and
 * {@link #backward(ConvShape, Tensor4D, Tensor4D, Tensor4D)}; the public entry points are final.
 *
 * <p>The {@link Conv2d} facade validates each call once and then runs the chosen backend on that validated
 * geometry, through entry points of this class that are not public ({@code validatedForward},
 * {@code validatedBackward}, {@code takesInPlace}; the prepared passes of this package, {@link PreparedCalls} and
 * {@link PreparedBackwardCalls}, also {@code validatedInputGradient} and {@code validatedWeightGradient}): they trust
 * that the geometry belongs to the tensors, so only conv-api's own code calls them, the facade through its internal
 * access bridge (registered below).
 */
public abstract class AbstractConvBackend implements ConvBackend {

    /** Below this many gradOutput elements the bias gradient is summed on the calling thread. */
    static final int PARALLEL_BIAS_GRADIENT_ELEMENTS = 1 << 16;

    static {
        Access.setBackends(new FacadeAccess());
    }

    /**
     * The facade's way in (see the class comment): these entry points skip validation, so they are package-private
     * here and reached from the facade's package through {@code org.conv4j.internal.Access}, which conv-api does
     * not export, rather than made public SPI methods that every caller could give a geometry not of its tensors.
     */
    private static final class FacadeAccess implements Access.Backends {
        @Override
        public Tensor4D validatedForward(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                         float[] bias, Tensor4D output) {
            return b.validatedForward(s, input, weight, bias, output);
        }

        @Override
        public ConvGradients validatedBackward(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                               Tensor4D gradOutput) {
            return b.validatedBackward(s, input, weight, gradOutput);
        }

        @Override
        public boolean takesInPlace(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D output) {
            return b.takesInPlace(s, input, output);
        }

        @Override
        public double inPlaceSavingsNanos(AbstractConvBackend b, ConvShape s, MemoryLayout layout) {
            return b.inPlaceSavingsNanos(s, layout);
        }

        @Override
        public double backwardInPlaceSavingsNanos(AbstractConvBackend b, ConvShape s, ConvPass pass,
                                                  MemoryLayout layout) {
            // a geometry padded beforehand reaches no backend in place: its operands are converted first
            return b.padsFirst(s) ? Double.NaN : b.backwardInPlaceSavingsNanos(s, pass, layout);
        }

        @Override
        public Tensor4D validatedInputGradient(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                               Tensor4D gradOutput) {
            return b.validatedInputGradient(s, input, weight, gradOutput);
        }

        @Override
        public Tensor4D validatedWeightGradient(AbstractConvBackend b, ConvShape s, Tensor4D input, Tensor4D weight,
                                                Tensor4D gradOutput) {
            return b.validatedWeightGradient(s, input, weight, gradOutput);
        }
    }

    /** For subclasses. */
    protected AbstractConvBackend() {
    }

    /** The backend's {@link #name()}, so that logs and messages name it. */
    @Override
    public String toString() {
        return name();
    }

    @Override
    public final Tensor4D forward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        return validatedForward(s, input, weight, bias, s.newOutputLike(input));
    }

    @Override
    public final Tensor4D forwardInto(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params,
                                      Tensor4D output) {
        ConvShape s = ConvShape.forward(input, weight, bias, params);
        return validatedForward(s, input, weight, bias, s.checkOutput(output));
    }

    @Override
    public final ConvGradients backward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return validatedBackward(ConvShape.backward(input, weight, gradOutput, params), input, weight, gradOutput);
    }

    /**
     * {@link #backward(Tensor4D, Tensor4D, Tensor4D, ConvParams)} on the geometry {@code s} validated from these
     * tensors already ({@link Conv2d} validates each call once, then hands it to the chosen backend). Operands
     * other than heap NCHW are converted at the edge ({@link LayoutEdge}).
     */
    final ConvGradients validatedBackward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        if (takesBackwardInPlace(s, ConvPass.BACKWARD, input, gradOutput)) {
            // dL/dx comes in the input's form from the backend; dL/dw heap NCHW, written into the weight's form
            return LayoutEdge.staged(LayoutEdge.floats(weight, weight), () -> {
                ConvGradients g = backward(s, input, weight.toHeapNchw(), gradOutput);
                return new ConvGradients(g.input(), LayoutEdge.like(weight, g.weight()), g.bias());
            });
        }
        if (!LayoutEdge.canonical(input, weight, gradOutput)) {
            return LayoutEdge.staged(LayoutEdge.floats(input, input, weight, weight, gradOutput),
                    () -> LayoutEdge.like(input, weight, validatedBackward(s, input.toHeapNchw(), weight.toHeapNchw(),
                            gradOutput.toHeapNchw())));
        }
        if (padsFirst(s)) {
            // dL/dw and dL/db are those of the padded convolution; dL/dx folds each copy's gradient back.
            Tensor4D padded = ModePadding.pad(s, input);
            ConvGradients g = backward(ModePadding.inner(s, weight), padded, weight, gradOutput);
            return new ConvGradients(ModePadding.fold(s, g.input()), g.weight(), g.bias());
        }
        return backward(s, input, weight, gradOutput);
    }

    @Override
    public final Tensor4D inputGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return validatedInputGradient(ConvShape.backward(input, weight, gradOutput, params), input, weight, gradOutput);
    }

    @Override
    public final Tensor4D weightGradient(Tensor4D input, Tensor4D weight, Tensor4D gradOutput, ConvParams params) {
        return validatedWeightGradient(ConvShape.backward(input, weight, gradOutput, params), input, weight,
                gradOutput);
    }

    /**
     * {@code dL/dx} alone on the geometry {@code s} validated already, in the storage and layout of {@code model}
     * (the input of a call, or {@code dL/dy} of a prepared one); operands other than heap NCHW are converted at the
     * edge.
     */
    final Tensor4D validatedInputGradient(ConvShape s, Tensor4D model, Tensor4D weight, Tensor4D gradOutput) {
        if (takesBackwardInPlace(s, ConvPass.INPUT_GRADIENT, model, gradOutput)) {
            // dL/dx comes in dL/dy's form, which is the model's
            return LayoutEdge.staged(LayoutEdge.floats(weight), () -> inputGradient(s, weight.toHeapNchw(),
                    gradOutput));
        }
        if (!LayoutEdge.canonical(model, weight, gradOutput)) {
            return LayoutEdge.staged(LayoutEdge.floats(model, weight, gradOutput), () -> LayoutEdge.like(model,
                    heapInputGradient(s, weight.toHeapNchw(), gradOutput.toHeapNchw())));
        }
        return heapInputGradient(s, weight, gradOutput);
    }

    /**
     * {@code dL/dw} alone on the geometry {@code s} validated already, in the storage and layout of {@code weight};
     * operands other than heap NCHW are converted at the edge.
     */
    final Tensor4D validatedWeightGradient(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        if (takesBackwardInPlace(s, ConvPass.WEIGHT_GRADIENT, input, gradOutput)) {
            return LayoutEdge.staged(LayoutEdge.floats(weight), () -> LayoutEdge.like(weight,
                    weightGradient(s, input, gradOutput)));
        }
        if (!LayoutEdge.canonical(input, weight, gradOutput)) {
            return LayoutEdge.staged(LayoutEdge.floats(input, weight, weight, gradOutput),
                    () -> LayoutEdge.like(weight, heapWeightGradient(s, input.toHeapNchw(), weight.toHeapNchw(),
                            gradOutput.toHeapNchw())));
        }
        return heapWeightGradient(s, input, weight, gradOutput);
    }

    /** {@code dL/dx} alone on heap NCHW operands of {@code s}, padded first where {@link #padsFirst} says so. */
    private Tensor4D heapInputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        if (padsFirst(s)) {
            return ModePadding.fold(s, inputGradient(ModePadding.inner(s, weight), weight, gradOutput));
        }
        return inputGradient(s, weight, gradOutput);
    }

    /** {@code dL/dw} alone on heap NCHW operands of {@code s}, padded first where {@link #padsFirst} says so. */
    private Tensor4D heapWeightGradient(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput) {
        if (padsFirst(s)) {
            return weightGradient(ModePadding.inner(s, weight), ModePadding.pad(s, input), gradOutput);
        }
        return weightGradient(s, input, gradOutput);
    }

    @Override
    public final Tensor4D transposedForward(Tensor4D input, Tensor4D weight, float[] bias, ConvParams params) {
        TransposedShape t = TransposedShape.forward(input, weight, bias, params);
        if (t.reachesNothing()) {
            return LayoutEdge.like(input, TransposedPasses.output(t, null, bias));
        }
        long staged = LayoutEdge.floats(input, weight)
                + (input.isHeapNchw() ? 0 : (long) t.batch() * t.outChannels() * t.outH() * t.outW());
        return LayoutEdge.staged(staged, () -> LayoutEdge.like(input,
                transposedForward(t, input.toHeapNchw(), weight.toHeapNchw(), bias)));
    }

    @Override
    public final ConvGradients transposedBackward(Tensor4D input, Tensor4D weight, Tensor4D gradOutput,
                                                  ConvParams params) {
        TransposedShape t = TransposedShape.backward(input, weight, gradOutput, params);
        if (t.reachesNothing()) {
            return LayoutEdge.like(input, weight,
                    TransposedPasses.unreachedGradients(t, input, weight, gradOutput.toHeapNchw()));
        }
        return LayoutEdge.staged(LayoutEdge.floats(input, input, weight, weight, gradOutput),
                () -> LayoutEdge.like(input, weight, transposedBackward(t, input.toHeapNchw(), weight.toHeapNchw(),
                        gradOutput.toHeapNchw())));
    }

    /**
     * The time of the {@link CostProfile} model that {@link #costModel} names for the call, from the current profile;
     * {@code Double.NaN} where it names none (the default {@link #costModel}).
     */
    @Override
    public double estimateNanos(ConvShape shape, ConvPass pass) {
        String model = costModel(shape, pass);
        return model == null ? Double.NaN : CostProfile.current().model(model).nanos(shape, pass);
    }

    /**
     * What this backend's {@link #estimateNanos estimate} of a forward pass on heap NCHW spends on staging that a
     * call which {@link #forwardsInPlace takes native operands in place} skips (copies into native memory and back,
     * reorders), in ns, for operands in {@code layout}: subtracted from the estimate when such a call is chosen
     * ({@link Conv2d}). The default is 0, for a backend that takes nothing in place.
     *
     * @param s the validated geometry
     * @param layout the layout of the native input and output
     * @return the nanoseconds the in-place call does not spend
     */
    protected double inPlaceSavingsNanos(ConvShape s, MemoryLayout layout) {
        return 0;
    }

    /**
     * The measured price of moving a forward call's input and output once, between storages ({@code reorders}
     * false) or between layouts ({@code reorders} true), in ns: conv4j's own conversions ({@code LayoutCopy}), the
     * yardstick for a backend's {@link #inPlaceSavingsNanos}.
     *
     * @param s the validated geometry
     * @param reorders whether they change layout
     * @return the nanoseconds
     */
    protected static double stagingNanos(ConvShape s, boolean reorders) {
        long floats = (long) s.batch() * ((long) s.inChannels() * s.inPlane() + (long) s.outChannels() * s.outPlane());
        return stagingNanos(floats, reorders);
    }

    /**
     * The measured price of moving {@code floats} floats once, between storages ({@code reorders} false) or between
     * layouts ({@code reorders} true), in ns, as {@link #stagingNanos(ConvShape, boolean)} prices a forward call's.
     *
     * @param floats the floats moved
     * @param reorders whether they change layout
     * @return the nanoseconds
     */
    protected static double stagingNanos(long floats, boolean reorders) {
        return floats * LayoutCopy.nanosPerFloat(reorders);
    }

    /**
     * What this backend's backward passes save against its heap estimate of {@code pass} ({@link ConvPass#BACKWARD},
     * {@link ConvPass#INPUT_GRADIENT} or {@link ConvPass#WEIGHT_GRADIENT}) where they read and write native
     * activations ({@code x}, {@code dL/dy}, {@code dL/dx}) of {@code layout} as they are ({@link #backwardsInPlace},
     * and its prepared pass, {@link #prepareBackward}): the staging copies and reorders its heap path pays and such a
     * call skips, in ns. {@link Conv2d} chooses a backend for native activations of one layout by each estimate less
     * this, where a backend that converts them pays for their conversions. Not asked for a geometry padded beforehand
     * (those operands are always converted). The default is NaN: the backward passes convert such operands at the
     * edge.
     *
     * @param s the validated geometry
     * @param pass the backward pass
     * @param layout the layout of the native activations
     * @return the nanoseconds the call does not spend, or NaN if it converts the activations
     */
    protected double backwardInPlaceSavingsNanos(ConvShape s, ConvPass pass, MemoryLayout layout) {
        return Double.NaN;
    }

    /**
     * Whether a forward call on {@code s} reads {@code input} and writes {@code output} as they are, with no
     * conversion at the edge: they are not both heap NCHW, no padding is done beforehand, and
     * {@link #forwardsInPlace} says so.
     */
    final boolean takesInPlace(ConvShape s, Tensor4D input, Tensor4D output) {
        return !LayoutEdge.canonical(input, output) && !padsFirst(s) && forwardsInPlace(s, input, output);
    }

    /**
     * Whether a call on {@code s} runs on an input padded beforehand ({@link ModePadding}): for the padding modes
     * other than zeros unless the backend {@link #handlesPaddingModes() handles them}, and where the backend
     * {@link #padsExplicitly asks for it}.
     */
    private boolean padsFirst(ConvShape s) {
        return s.params().isPaddedWithCopies() && !handlesPaddingModes() || s.params().isPadded() && padsExplicitly(s);
    }

    /**
     * Whether this backend's {@link #forward(ConvShape, Tensor4D, Tensor4D, float[], Tensor4D)} reads {@code input}
     * and writes {@code output} as they are, in their storage and layout, on this geometry: then they reach it
     * unconverted (the weight still arrives heap NCHW), else both arrive heap NCHW (converted by conv-api). Asked only
     * when one of them is not heap NCHW and no padding is done beforehand. The default is false: every backend
     * reads heap NCHW arrays.
     *
     * @param s the validated geometry
     * @param input the input, as the caller gave it
     * @param output the output, as it will be written
     * @return whether the forward pass takes them in place
     */
    protected boolean forwardsInPlace(ConvShape s, Tensor4D input, Tensor4D output) {
        return false;
    }

    /**
     * Whether a backward call of {@code pass} on {@code s} reads {@code activation} and {@code gradOutput} as they
     * are: they are not both heap NCHW, no padding is done beforehand, and {@link #backwardsInPlace} says so.
     */
    final boolean takesBackwardInPlace(ConvShape s, ConvPass pass, Tensor4D activation, Tensor4D gradOutput) {
        return !LayoutEdge.canonical(activation, gradOutput) && !padsFirst(s)
                && backwardsInPlace(s, pass, activation, gradOutput);
    }

    /**
     * Whether this backend's backward passes read the activations as they are, in their storage and layout, on this
     * geometry: then they reach it unconverted (the weight still arrives heap NCHW), and it returns {@code dL/dx} in
     * their storage and layout, {@code dL/dw} heap NCHW. Otherwise every operand arrives heap NCHW (converted by
     * conv-api). The passes and what they receive in place:
     * <ul>
     *   <li>{@link ConvPass#BACKWARD}: {@link #backward(ConvShape, Tensor4D, Tensor4D, Tensor4D)} gets
     *       {@code activation} as its input and {@code gradOutput}, and returns {@code dL/dx} in the input's form;</li>
     *   <li>{@link ConvPass#INPUT_GRADIENT}: {@link #inputGradient(ConvShape, Tensor4D, Tensor4D)} gets
     *       {@code gradOutput}, and returns {@code dL/dx} in its form ({@code activation}, the tensor whose form
     *       {@code dL/dx} must take, is then in that form too);</li>
     *   <li>{@link ConvPass#WEIGHT_GRADIENT}: {@link #weightGradient(ConvShape, Tensor4D, Tensor4D)} gets
     *       {@code activation} as its input and {@code gradOutput}.</li>
     * </ul>
     * Asked only when one of them is not heap NCHW and no padding is done beforehand. The default is false.
     *
     * @param s the validated geometry
     * @param pass the backward pass
     * @param activation the input (for {@link ConvPass#INPUT_GRADIENT}, the tensor whose form {@code dL/dx} takes)
     * @param gradOutput {@code dL/dy}
     * @return whether the pass takes them in place
     */
    protected boolean backwardsInPlace(ConvShape s, ConvPass pass, Tensor4D activation, Tensor4D gradOutput) {
        return false;
    }

    /**
     * A new native tensor for a result this backend writes in full before returning it, e.g. {@code dL/dx} of a
     * backward pass taken {@linkplain #backwardsInPlace in place}: as {@link Tensor4D#allocateNative}, but memory kept
     * from a closed tensor is handed over without being zeroed first, so its contents are undefined until written.
     *
     * @param layout the layout
     * @param n the batch size
     * @param c the channels
     * @param h the height
     * @param w the width
     * @return the tensor, owned by the caller
     */
    protected static Tensor4D newNativeResult(MemoryLayout layout, int n, int c, int h, int w) {
        return Access.tensors().nativeToOverwrite(layout, n, c, h, w);
    }

    /**
     * Whether this backend wants the zero padding of {@code s} done before it is called: the input padded with
     * zeros into a new tensor, the subclass called on it with no padding, and {@code dL/dx} cropped back (the
     * results are the same; the call costs a copy of the padded input). For a backend whose own kernels mishandle
     * some padded geometries. The default is false.
     *
     * @param s the validated geometry
     * @return whether to pad beforehand
     */
    protected boolean padsExplicitly(ConvShape s) {
        return false;
    }

    /**
     * The forward pass on the geometry {@code s} validated from these tensors already, into {@code output} of the
     * output shape (as {@link #validatedBackward}); operands other than heap NCHW are converted at the edge.
     */
    final Tensor4D validatedForward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output) {
        if (takesInPlace(s, input, output)) {
            return LayoutEdge.staged(LayoutEdge.floats(weight), () -> forward(s, input, weight.toHeapNchw(), bias,
                    output));
        }
        if (!LayoutEdge.canonical(input, weight, output)) {
            // computed on heap NCHW copies, then written into the caller's output in its storage and layout
            return LayoutEdge.staged(LayoutEdge.floats(input, weight, output), () -> {
                Tensor4D y = output.isHeapNchw() ? output : s.newOutput();
                validatedForward(s, input.toHeapNchw(), weight.toHeapNchw(), bias, y);
                return y == output ? output : output.copyFrom(y);
            });
        }
        if (padsFirst(s)) {
            return forward(ModePadding.inner(s, weight), ModePadding.pad(s, input), weight, bias, output);
        }
        return forward(s, input, weight, bias, output);
    }

    /**
     * Whether this backend computes the {@link PaddingMode}s other than zeros itself. If not (the default),
     * this class pads the input with copies of itself once, hands the subclass the padded input with no
     * padding, and folds the input gradient back: the subclass only ever sees zero padding.
     *
     * @return true if the subclass handles every padding mode
     */
    protected boolean handlesPaddingModes() {
        return false;
    }

    /**
     * The forward pass on validated arguments: overwrites every element of {@code output}, whose shape
     * {@code s} has checked, and returns it.
     *
     * @param s the validated geometry
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param bias the bias, one value per output channel {@code K}, or null for none
     * @param output the output tensor to overwrite
     * @return {@code output}
     */
    protected abstract Tensor4D forward(ConvShape s, Tensor4D input, Tensor4D weight, float[] bias, Tensor4D output);

    /**
     * The backward pass on validated arguments (gradOutput has the output's shape).
     *
     * @param s the validated geometry
     * @param input the input {@code (N, C, H, W)}
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @return the three gradients
     */
    protected abstract ConvGradients backward(ConvShape s, Tensor4D input, Tensor4D weight, Tensor4D gradOutput);

    /**
     * {@code dL/dx} alone, on validated arguments, as a new tensor of the input's shape. The default runs
     * {@link #backward(ConvShape, Tensor4D, Tensor4D, Tensor4D)} on a zero input and keeps dL/dx; backends
     * override it to skip dL/dw.
     *
     * @param s the validated geometry
     * @param weight the weight {@code (K, C/groups, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @return {@code dL/dx}
     */
    protected Tensor4D inputGradient(ConvShape s, Tensor4D weight, Tensor4D gradOutput) {
        return backward(s, s.newInput(), weight, gradOutput).input();
    }

    /**
     * {@code dL/dw} alone, on validated arguments, as a new tensor of the weight's shape. The default runs
     * the whole backward pass on a zero weight and keeps dL/dw; backends override it to skip dL/dx.
     *
     * @param s the validated geometry
     * @param input the input {@code (N, C, H, W)}
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @return {@code dL/dw}
     */
    protected Tensor4D weightGradient(ConvShape s, Tensor4D input, Tensor4D gradOutput) {
        return backward(s, input, s.newWeight(), gradOutput).weight();
    }

    /**
     * The transposed forward pass on validated arguments: the input gradient of {@link TransposedShape#conv()}
     * for {@code dL/dy = input} ({@link #inputGradient(ConvShape, Tensor4D, Tensor4D)}), placed in the output
     * with its output padding, plus the bias.
     *
     * @param t the validated geometry of the transposed convolution
     * @param input the input {@code (N, Cin, H, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kH, kW)}
     * @param bias one value per output channel {@code Cout}, or null
     * @return the output {@code (N, Cout, outH, outW)}
     */
    protected Tensor4D transposedForward(TransposedShape t, Tensor4D input, Tensor4D weight, float[] bias) {
        return TransposedPasses.output(t, heapInputGradient(t.conv(), weight, input), bias);
    }

    /**
     * The transposed backward pass on validated arguments: {@code dL/dx} is the forward pass of
     * {@link TransposedShape#conv()} on the reached part of {@code dL/dy}, {@code dL/dw} its weight gradient for
     * gradOutput {@code input}, {@code dL/db} the sums of {@code dL/dy}.
     *
     * @param t the validated geometry of the transposed convolution
     * @param input the input of the transposed forward pass
     * @param weight its weight
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @return the three gradients
     */
    protected ConvGradients transposedBackward(TransposedShape t, Tensor4D input, Tensor4D weight,
                                               Tensor4D gradOutput) {
        ConvShape c = t.conv();
        Tensor4D reached = TransposedPasses.reached(t, gradOutput);
        return new ConvGradients(validatedForward(c, reached, weight, null, c.newOutput()),
                heapWeightGradient(c, reached, weight, input), TransposedPasses.biasGradient(t, gradOutput));
    }

    /**
     * {@code db[k] = sum_{n, oh, ow} dy[n, k, oh, ow]}, each sum accumulated in double in a fixed order
     * (so the result does not depend on threads), in parallel over {@code k} for large tensors.
     *
     * @param s the validated geometry
     * @param gradOutput {@code dL/dy}, of the forward output's shape {@code (N, K, outH, outW)}
     * @return {@code dL/db}, one value per output channel
     */
    protected static float[] biasGradient(ConvShape s, Tensor4D gradOutput) {
        return channelSums(gradOutput.data(), s.batch(), s.outChannels(), s.outPlane());
    }

    /**
     * The 3D counterpart of {@link #biasGradient(ConvShape, Tensor4D)}: {@code db[k] = sum_{n, od, oh, ow}
     * dy[n, k, od, oh, ow]}, in the same order and precision.
     *
     * @param s the validated geometry
     * @param gradOutput {@code dL/dy}, heap NCDHW of the forward output's shape {@code (N, K, outD, outH, outW)}
     * @return {@code dL/db}, one value per output channel
     */
    protected static float[] biasGradient(Conv3dShape s, Tensor5D gradOutput) {
        return channelSums(gradOutput.data(), s.batch(), s.outChannels(),
                s.depth().out() * s.rows().out() * s.cols().out());
    }

    /**
     * Per channel of an NCHW (or NCDHW) array {@code (batch, channels, plane)}: the sum over images and positions,
     * each accumulated in double in a fixed order, in parallel over channels for large arrays. The sum behind
     * {@link #biasGradient(ConvShape, Tensor4D)} for any rank and for the transposed passes' {@code dL/db}.
     *
     * @param dy the array, {@code batch * channels * plane} floats
     * @param batch the images
     * @param channels the channels
     * @param plane the positions per channel of one image
     * @return the sum per channel
     */
    public static float[] channelSums(float[] dy, int batch, int channels, int plane) {
        float[] db = new float[channels];
        IntStream ks = IntStream.range(0, channels);
        if (dy.length >= PARALLEL_BIAS_GRADIENT_ELEMENTS) {
            ks = ks.parallel();
        }
        ks.forEach(k -> {
            double sum = 0;
            for (int n = 0; n < batch; n++) {
                int start = (n * channels + k) * plane;
                for (int e = start; e < start + plane; e++) {
                    sum += dy[e];
                }
            }
            db[k] = (float) sum;
        });
        return db;
    }
}
