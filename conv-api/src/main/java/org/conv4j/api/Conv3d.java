package org.conv4j.api;

import org.conv4j.internal.Autotuner;
import org.conv4j.internal.BackendSelector;
import org.conv4j.internal.ModePadding;
import org.conv4j.internal.Selectable;
import org.conv4j.spi.AbstractConvBackend;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * 3D convolution (PyTorch's {@code Conv3d} and {@code ConvTranspose3d}, TensorFlow's {@code Conv3D} and
 * {@code Conv3DTranspose}) on the backends that run it: forward, {@code forwardInto}, backward, the single
 * gradients and the transposed passes, on {@link Tensor5D}s.
 *
 * <pre>{@code
 * Tensor5D x = Tensor5D.random(42, 1, 4, 16, 32, 32);        // N, C, D, H, W
 * Tensor5D w = Tensor5D.random(7, 8, 4, 3, 3, 3);            // K, C/groups, kD, kH, kW
 * Conv3dParams p = Conv3dParams.builder().padding(1).build();
 * Tensor5D y = Conv3d.forward(x, w, null, p);               // (1, 8, 16, 32, 32)
 * Conv3dGradients g = Conv3d.backward(x, w, y, p);          // dL/dx, dL/dw, dL/db for dL/dy = y
 * }</pre>
 *
 * <p><b>Which backend runs.</b> A backend runs 3D convolutions if it implements {@link Conv3dBackend} as well as
 * {@link ConvBackend}; {@link #backends()} lists those on the classpath. The static methods run on the backend
 * pinned by {@value Conv2d#BACKEND_PROPERTY} if set; else, in autotune mode ({@link Conv2d#isAutotune()}), on the
 * one found fastest by timing, with 2D's rules and cache; else on the non-reference 3D backend that
 * {@linkplain Conv3dBackend#supports3d supports} the call with the smallest {@linkplain
 * Conv3dBackend#estimate3dNanos estimate} (the first by name if none estimates); else on the reference
 * ({@code naive}). A transposed pass runs where its convolution's backward pass would. {@link #on(ConvBackend)}
 * runs on a given one, and declines a backend without the capability, or a call it does not support, with an
 * {@link UnsupportedOperationException} that names the backend.
 *
 * <p>Every call is validated by {@link Conv3dShape} (an {@link IllegalArgumentException} naming the argument with
 * the expected and the actual value); operands in another layout ({@link Tensor5D#NDHWC}) or in native memory are
 * copied to heap NCDHW for the backend, unless it takes them as they are ({@link Conv3dBackend#takesInPlace3d}:
 * {@code onednn} reads and writes native tensors in place), and each result takes the storage and layout of its
 * operand (the output and {@code dL/dx} the input's, {@code dL/dw} the weight's), as in 2D. The
 * {@link PaddingMode}s other than zeros are done here for every backend, as {@link AbstractConvBackend} does them in
 * 2D: the input is padded with copies of itself once, the backend convolves it without padding, and the padded
 * input's gradient is folded back onto the input, summing where several padded positions copy one element.
 */
public final class Conv3d {

    private Conv3d() {
    }

    /**
     * The backends on the classpath that run 3D convolutions (those of {@link Conv2d#backends()} that implement
     * {@link Conv3dBackend}).
     *
     * @return the 3D backends, by name
     */
    public static List<ConvBackend> backends() {
        return Conv2d.backends().stream().filter(b -> b instanceof Conv3dBackend).collect(Collectors.toList());
    }

    /**
     * The 3D operations on {@code backend}.
     *
     * @param backend a backend
     * @return the operations on it
     * @throws NullPointerException if {@code backend} is null
     * @throws UnsupportedOperationException if the backend does not run 3D convolutions
     */
    public static OnBackend on(ConvBackend backend) {
        Objects.requireNonNull(backend, "backend must not be null");
        if (!(backend instanceof Conv3dBackend)) {
            throw new UnsupportedOperationException(backend.name() + " backend: 3D convolution is not supported (it"
                    + " does not implement Conv3dBackend); backends that run it: "
                    + backends().stream().map(ConvBackend::name).collect(Collectors.toList()));
        }
        return new OnBackend(backend);
    }

    /**
     * {@code call} on the backend for this geometry and pass: the pinned one; else, in autotune mode, the one that
     * {@link Autotuner} finds fastest (timing the candidates on the first calls, as in 2D); else the one
     * {@link BackendSelector} chooses by the backends' {@linkplain Conv3dBackend#estimate3dNanos estimates} (see the
     * class comment).
     */
    private static <R> R run(Conv3dShape shape, ConvPass pass, Function<OnBackend, R> call) {
        String pinned = Settings.value(Settings.BACKEND);
        if (pinned != null && !pinned.isBlank()) {
            return call.apply(on(Conv2d.backend(pinned.trim())));
        }
        List<ConvBackend> all = backends();
        if (all.isEmpty()) {
            throw new IllegalStateException("No conv4j backend that runs 3D convolutions is on the classpath: add"
                    + " org.conv4j:conv-naive");
        }
        Selectable volume = new Selectable.Volume(shape);
        if (Conv2d.isAutotune()) {
            Function<ConvBackend, R> onBackend = b -> call.apply(on(b));
            return Conv2d.tuner().call(all, volume, pass, onBackend, onBackend, r -> { });
        }
        return call.apply(on(BackendSelector.best(all, volume, pass)));
    }

    /** As {@link #run(Conv3dShape, ConvPass, Function)} for a transposed pass: its convolution's backward pass. */
    private static <R> R run(Transposed3dShape t, Function<OnBackend, R> call) {
        if (t.reachesNothing()) { // the output is the bias alone: no backend computes anything
            List<ConvBackend> all = backends();
            return call.apply(on(all.stream().filter(ConvBackend::isReference).findFirst().orElse(all.get(0))));
        }
        return run(t.conv(), ConvPass.BACKWARD, call);
    }

    /**
     * The forward pass on the chosen backend.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param bias one value per filter, or null
     * @param params strides, paddings, dilations and groups
     * @return the output {@code (N, K, outD, outH, outW)}, in the input's storage and layout
     */
    public static Tensor5D forward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
        return run(Conv3dShape.forward(input, weight, bias, params), ConvPass.FORWARD,
                c -> c.forward(input, weight, bias, params));
    }

    /**
     * The forward pass into {@code output} on the chosen backend; every element of {@code output} is overwritten.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param bias one value per filter, or null
     * @param params strides, paddings, dilations and groups
     * @param output a tensor of the output shape, any storage and layout
     * @return {@code output}
     */
    public static Tensor5D forwardInto(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params,
                                       Tensor5D output) {
        return run(Conv3dShape.forward(input, weight, bias, params), ConvPass.FORWARD,
                c -> c.forwardInto(input, weight, bias, params, output));
    }

    /**
     * The backward pass on the chosen backend.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the output's shape
     * @param params strides, paddings, dilations and groups
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static Conv3dGradients backward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
        return run(Conv3dShape.backward(input, weight, gradOutput, params), ConvPass.BACKWARD,
                c -> c.backward(input, weight, gradOutput, params));
    }

    /**
     * {@code dL/dx} alone, on the chosen backend.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the output's shape
     * @param params strides, paddings, dilations and groups
     * @return {@code dL/dx}, of the input's shape
     */
    public static Tensor5D inputGradient(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
        return run(Conv3dShape.backward(input, weight, gradOutput, params), ConvPass.BACKWARD,
                c -> c.inputGradient(input, weight, gradOutput, params));
    }

    /**
     * {@code dL/dw} alone, on the chosen backend.
     *
     * @param input the input {@code (N, C, D, H, W)}
     * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the output's shape
     * @param params strides, paddings, dilations and groups
     * @return {@code dL/dw}, of the weight's shape
     */
    public static Tensor5D weightGradient(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
        return run(Conv3dShape.backward(input, weight, gradOutput, params), ConvPass.BACKWARD,
                c -> c.weightGradient(input, weight, gradOutput, params));
    }

    /**
     * The transposed forward pass (PyTorch's {@code ConvTranspose3d}) on the chosen backend: the adjoint of the
     * convolution with the same parameters, whose input gradient it computes (see {@link Conv3dParams} for the
     * output size).
     *
     * @param input the input {@code (N, Cin, D, H, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kD, kH, kW)}
     * @param bias one value per output channel, or null
     * @param params strides, paddings (zeros), dilations, groups and output padding
     * @return the output {@code (N, Cout, outD, outH, outW)}, in the input's storage and layout
     */
    public static Tensor5D transposedForward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
        return run(Transposed3dShape.forward(input, weight, bias, params),
                c -> c.transposedForward(input, weight, bias, params));
    }

    /**
     * The backward pass of {@link #transposedForward} on the chosen backend.
     *
     * @param input the input {@code (N, Cin, D, H, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kD, kH, kW)}
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @param params strides, paddings (zeros), dilations, groups and output padding
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static Conv3dGradients transposedBackward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput,
                                                     Conv3dParams params) {
        return run(Transposed3dShape.backward(input, weight, gradOutput, params),
                c -> c.transposedBackward(input, weight, gradOutput, params));
    }

    /** Whether the input is padded with copies of itself ({@link PaddingMode} other than zeros, some side padded). */
    private static boolean padsFirst(Conv3dShape s) {
        return s.params().paddingMode() != PaddingMode.ZEROS && (s.depth().padded() > s.depth().in()
                || s.rows().padded() > s.rows().in() || s.cols().padded() > s.cols().in());
    }

    /**
     * {@code result} in the storage and layout of {@code model}: itself if it has them (a heap NCDHW result of a heap
     * NCDHW operand, or a result a backend made in its operand's form, {@link Conv3dBackend#takesInPlace3d}).
     */
    private static Tensor5D like(Tensor5D model, Tensor5D result) {
        if (result.isNative() == model.isNative() && result.layout() == model.layout()) {
            return result;
        }
        Tensor5D t = model.isNative()
                ? Tensor5D.allocateNative(model.layout(), result.n(), result.c(), result.d(), result.h(), result.w())
                : Tensor5D.zeros(model.layout(), result.n(), result.c(), result.d(), result.h(), result.w());
        return t.copyFrom(result);
    }

    /** The 3D operations on one backend that runs them. Immutable and thread-safe as the backend is. */
    public static final class OnBackend {
        private final ConvBackend backend;
        private final Conv3dBackend volumes;

        private OnBackend(ConvBackend backend) {
            this.backend = backend;
            this.volumes = (Conv3dBackend) backend;
        }

        /** {@return the backend that runs the calls} */
        public ConvBackend backend() {
            return backend;
        }

        /**
         * The forward pass, as {@link Conv3d#forward}.
         *
         * @param input the input {@code (N, C, D, H, W)}
         * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
         * @param bias one value per filter, or null
         * @param params strides, paddings, dilations and groups
         * @return the output, in the input's storage and layout
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor5D forward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
            Conv3dShape s = supported(Conv3dShape.forward(input, weight, bias, params), ConvPass.FORWARD);
            if (input.isHeapNcdhw()) {
                return run(s, input, weight.toHeapNcdhw(), bias);
            }
            // the output takes the input's storage and layout: made here, and written in place if the backend can
            Tensor5D output = input.isNative()
                    ? Tensor5D.allocateNative(input.layout(), s.batch(), s.outChannels(), s.depth().out(),
                            s.rows().out(), s.cols().out())
                    : Tensor5D.zeros(input.layout(), s.batch(), s.outChannels(), s.depth().out(), s.rows().out(),
                            s.cols().out());
            return into(s, input, weight, bias, output);
        }

        /** Whether the backend takes these operands as they are ({@link Conv3dBackend#takesInPlace3d}). */
        private boolean inPlace(Conv3dShape s, ConvPass pass, Tensor5D input, Tensor5D weight, Tensor5D third) {
            return !padsFirst(s) && volumes.takesInPlace3d(s, pass, input, weight, third);
        }

        /** The forward pass into {@code output}: in place if the backend takes the operands so, else on heap copies. */
        private Tensor5D into(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias, Tensor5D output) {
            if (inPlace(s, ConvPass.FORWARD, input, weight, output)) {
                return volumes.forward3dInto(s, input, weight, bias, output);
            }
            return output.copyFrom(run(s, input.toHeapNcdhw(), weight.toHeapNcdhw(), bias));
        }

        /** {@code s}, if this backend runs {@code pass} on it; else an {@link UnsupportedOperationException}. */
        private Conv3dShape supported(Conv3dShape s, ConvPass pass) {
            if (!volumes.supports3d(s, pass)) {
                throw new UnsupportedOperationException(backend.name() + " backend: 3D " + pass + " on " + s
                        + " is not supported; backends that run 3D convolutions: "
                        + backends().stream().map(ConvBackend::name).collect(Collectors.toList()));
            }
            return s;
        }

        /** The forward pass on heap NCDHW operands, on the input padded beforehand for a copying padding mode. */
        private Tensor5D run(Conv3dShape s, Tensor5D input, Tensor5D weight, float[] bias) {
            if (!padsFirst(s)) {
                return volumes.forward3d(s, input, weight, bias);
            }
            Tensor5D padded = ModePadding.pad(s, input);
            return volumes.forward3d(Conv3dShape.forward(padded, weight, bias, s.params().unpadded()), padded,
                    weight, bias);
        }

        /**
         * The forward pass into {@code output}, as {@link Conv3d#forwardInto}.
         *
         * @param input the input {@code (N, C, D, H, W)}
         * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
         * @param bias one value per filter, or null
         * @param params strides, paddings, dilations and groups
         * @param output a tensor of the output shape, overwritten
         * @return {@code output}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor5D forwardInto(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params,
                                    Tensor5D output) {
            Conv3dShape s = supported(Conv3dShape.forward(input, weight, bias, params), ConvPass.FORWARD);
            return into(s, input, weight, bias, s.checkOutput(output));
        }

        /**
         * The backward pass, as {@link Conv3d#backward}.
         *
         * @param input the input {@code (N, C, D, H, W)}
         * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
         * @param gradOutput {@code dL/dy}, of the output's shape
         * @param params strides, paddings, dilations and groups
         * @return {@code dL/dx} (in the input's storage and layout), {@code dL/dw} (in the weight's) and
         *         {@code dL/db}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Conv3dGradients backward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
            Conv3dShape s = supported(Conv3dShape.backward(input, weight, gradOutput, params), ConvPass.BACKWARD);
            if (inPlace(s, ConvPass.BACKWARD, input, weight, gradOutput)) {
                Conv3dGradients g = volumes.backward3d(s, input, weight, gradOutput);
                return new Conv3dGradients(like(input, g.input()), like(weight, g.weight()), g.bias());
            }
            Tensor5D x = input.toHeapNcdhw();
            Tensor5D w = weight.toHeapNcdhw();
            Tensor5D dy = gradOutput.toHeapNcdhw();
            Conv3dGradients g;
            if (padsFirst(s)) {
                // dL/dw and dL/db are those of the padded convolution; dL/dx folds each copy's gradient back
                Tensor5D padded = ModePadding.pad(s, x);
                Conv3dGradients p = volumes.backward3d(Conv3dShape.backward(padded, w, dy, s.params().unpadded()),
                        padded, w, dy);
                g = new Conv3dGradients(ModePadding.fold(s, p.input()), p.weight(), p.bias());
            } else {
                g = volumes.backward3d(s, x, w, dy);
            }
            return new Conv3dGradients(like(input, g.input()), like(weight, g.weight()), g.bias());
        }

        /**
         * {@code dL/dx} alone, as {@link Conv3d#inputGradient}.
         *
         * @param input the input {@code (N, C, D, H, W)}
         * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
         * @param gradOutput {@code dL/dy}, of the output's shape
         * @param params strides, paddings, dilations and groups
         * @return {@code dL/dx}, in the input's storage and layout
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor5D inputGradient(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
            return gradient(ConvPass.INPUT_GRADIENT, input, weight, gradOutput, params);
        }

        /**
         * {@code dL/dw} alone, as {@link Conv3d#weightGradient}.
         *
         * @param input the input {@code (N, C, D, H, W)}
         * @param weight the weight {@code (K, C/groups, kD, kH, kW)}
         * @param gradOutput {@code dL/dy}, of the output's shape
         * @param params strides, paddings, dilations and groups
         * @return {@code dL/dw}, in the weight's storage and layout
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor5D weightGradient(Tensor5D input, Tensor5D weight, Tensor5D gradOutput, Conv3dParams params) {
            return gradient(ConvPass.WEIGHT_GRADIENT, input, weight, gradOutput, params);
        }

        /**
         * {@code dL/dx} ({@link ConvPass#INPUT_GRADIENT}) or {@code dL/dw} ({@link ConvPass#WEIGHT_GRADIENT}) alone,
         * in the storage and layout of the operand whose shape it has. A mode-padded convolution takes it from the
         * whole backward pass, which pads the input first.
         */
        private Tensor5D gradient(ConvPass pass, Tensor5D input, Tensor5D weight, Tensor5D gradOutput,
                                  Conv3dParams params) {
            Conv3dShape s = supported(Conv3dShape.backward(input, weight, gradOutput, params), ConvPass.BACKWARD);
            boolean dx = pass == ConvPass.INPUT_GRADIENT;
            if (padsFirst(s)) {
                Conv3dGradients g = backward(input, weight, gradOutput, params);
                return dx ? g.input() : g.weight();
            }
            // the operand besides dL/dy that the gradient reads: the weight for dL/dx, the input for dL/dw
            Tensor5D read = dx ? weight : input;
            Tensor5D dy = gradOutput;
            if (!inPlace(s, pass, input, weight, gradOutput)) {
                read = read.toHeapNcdhw();
                dy = dy.toHeapNcdhw();
            }
            return like(dx ? input : weight,
                    dx ? volumes.inputGradient3d(s, read, dy) : volumes.weightGradient3d(s, read, dy));
        }

        /**
         * The transposed forward pass, as {@link Conv3d#transposedForward}: the input gradient of
         * {@link Transposed3dShape#conv() its convolution} for {@code dL/dy = input}, output padding and bias added.
         *
         * @param input the input {@code (N, Cin, D, H, W)}
         * @param weight the weight {@code (Cin, Cout/groups, kD, kH, kW)}
         * @param bias one value per output channel, or null
         * @param params strides, paddings (zeros), dilations, groups and output padding
         * @return the output, in the input's storage and layout
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor5D transposedForward(Tensor5D input, Tensor5D weight, float[] bias, Conv3dParams params) {
            Transposed3dShape t = Transposed3dShape.forward(input, weight, bias, params);
            Tensor5D core = t.reachesNothing() ? null : volumes.inputGradient3d(
                    supported(t.conv(), ConvPass.BACKWARD), weight.toHeapNcdhw(), input.toHeapNcdhw());
            return like(input, t.output(core, bias));
        }

        /**
         * The backward pass of {@link #transposedForward}: {@code dL/dx} is its convolution's forward pass of
         * {@code dL/dy}'s reached part, {@code dL/dw} that convolution's weight gradient with input {@code dL/dy} and
         * output gradient {@code x}, {@code dL/db} the sums of {@code dL/dy} per output channel.
         *
         * @param input the input {@code (N, Cin, D, H, W)}
         * @param weight the weight {@code (Cin, Cout/groups, kD, kH, kW)}
         * @param gradOutput {@code dL/dy}, of the transposed output's shape
         * @param params strides, paddings (zeros), dilations, groups and output padding
         * @return {@code dL/dx} (in the input's storage and layout), {@code dL/dw} (in the weight's) and
         *         {@code dL/db}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Conv3dGradients transposedBackward(Tensor5D input, Tensor5D weight, Tensor5D gradOutput,
                                                  Conv3dParams params) {
            Transposed3dShape t = Transposed3dShape.backward(input, weight, gradOutput, params);
            Tensor5D dy = gradOutput.toHeapNcdhw();
            float[] db = t.biasGradient(dy);
            Tensor5D dx;
            Tensor5D dw;
            if (t.reachesNothing()) { // the output is the bias alone
                dx = Tensor5D.zeros(input.n(), input.c(), input.d(), input.h(), input.w());
                dw = Tensor5D.zeros(weight.n(), weight.c(), weight.d(), weight.h(), weight.w());
            } else {
                Conv3dShape s = supported(supported(t.conv(), ConvPass.BACKWARD), ConvPass.FORWARD);
                Tensor5D reached = t.reached(dy);
                dx = volumes.forward3d(s, reached, weight.toHeapNcdhw(), null);
                dw = volumes.weightGradient3d(s, reached, input.toHeapNcdhw());
            }
            return new Conv3dGradients(like(input, dx), like(weight, dw), db);
        }

        /** The name of the backend, e.g. {@code conv3d on naive}. */
        @Override
        public String toString() {
            return "conv3d on " + backend.name();
        }
    }
}
