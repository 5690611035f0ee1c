package org.conv4j.api;

import java.util.Objects;

/**
 * 1D convolution (PyTorch's {@code Conv1d}, TensorFlow's {@code Conv1D}) on whichever 2D backends are on the
 * classpath: the same operations as {@link Conv2d}, on {@link Tensor3D}s.
 *
 * <pre>{@code
 * Tensor3D x = Tensor3D.random(42, 8, 16, 1000);            // N, C, W
 * Tensor3D w = Tensor3D.random(7, 32, 16, 3);               // K, C/groups, kW
 * Conv1dParams p = Conv1dParams.builder().padding(2).dilation(2).build();
 * Tensor3D y = Conv1d.forward(x, w, null, p);               // (8, 32, 1000)
 * Conv1dGradients g = Conv1d.backward(x, w, y, p);          // dL/dx, dL/dw, dL/db for dL/dy = y
 * }</pre>
 *
 * <p><b>How it runs.</b> Every call is the 2D convolution of height 1 whose width is the 1D axis, as PyTorch runs
 * {@code conv1d}: each {@code Tensor3D (n, c, w)} is seen as the {@code Tensor4D (n, c, 1, w)} it is a view of
 * ({@link Tensor3D#asTensor4D()}: same storage, NCW being NCHW and NWC being NHWC at height 1), the weight
 * {@code (K, C/groups, kW)} as {@code (K, C/groups, 1, kW)}, the parameters as {@link Conv1dParams#toConvParams()},
 * and each result, of height 1, is seen back as a {@code Tensor3D}. No element is copied on the way in or out;
 * the 2D call does what it does for any 2D operands (results take the input's storage and layout).
 *
 * <p>The formulas are those of the width axis of {@link ConvBackend} and {@link TransposedShape}: with
 * {@code g = k / (K/groups)} and {@code Cg = C/groups},
 * <pre>
 *   y[n,k,ow] = bias[k] + sum_{c&lt;Cg, j&lt;kW} w[k,c,j] * x[n, g*Cg + c, ow*stride - padLeft + j*dilation]
 *   outW      = floor((W + padLeft + padRight - ((kW - 1)*dilation + 1)) / stride) + 1
 *   outW (transposed) = (W - 1)*stride - padLeft - padRight + (kW - 1)*dilation + outputPadding + 1
 * </pre>
 * {@link ConvShape} and {@link TransposedShape} validate every call and compute these sizes, as for 2D: a
 * failure is an {@link IllegalArgumentException} naming the argument with the expected and the actual value;
 * where it quotes a tensor's shape, it quotes the height-1 view {@code (n, c, 1, w)}, and it calls the 1D axis
 * the width.
 *
 * <p>{@link #forward} and the other static methods choose the backend as {@link Conv2d} does for the 2D call
 * (pinned, autotuned or estimated); {@link #on(ConvBackend)} runs on one given backend.
 */
public final class Conv1d {

    private static final OnBackend SELECTING = new OnBackend(Conv2d.selecting());

    private Conv1d() {
    }

    /**
     * The 1D operations on one backend (e.g. {@code Conv1d.on(Conv2d.backend("im2col"))}).
     *
     * @param backend the 2D backend that runs the height-1 convolutions
     * @return the operations on that backend
     * @throws NullPointerException if {@code backend} is null
     */
    public static OnBackend on(ConvBackend backend) {
        return new OnBackend(Objects.requireNonNull(backend, "backend must not be null"));
    }

    /**
     * The validated geometry of the forward pass: that of the 2D convolution of height 1 (its
     * {@link ConvShape#cols()} is the 1D axis), e.g. for {@link Conv2d#plan(ConvShape, ConvPass)}.
     *
     * @param input the input {@code (N, C, W)}
     * @param weight the weight {@code (K, C/groups, kW)}
     * @param bias one value per output channel {@code K}, or null
     * @param params the parameters
     * @return the validated geometry
     * @throws NullPointerException naming a null argument
     * @throws IllegalArgumentException naming the argument, with the expected and the actual value
     */
    public static ConvShape shape(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params) {
        return ConvShape.forward(view(input), view(weight), bias, params(params));
    }

    /**
     * The forward pass. See {@link ConvBackend#forward}.
     *
     * @param input the input {@code (N, C, W)}
     * @param weight the weight {@code (K, C/groups, kW)}
     * @param bias one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @return the output {@code (N, K, outW)}
     */
    public static Tensor3D forward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params) {
        return SELECTING.forward(input, weight, bias, params);
    }

    /**
     * The forward pass into a caller-provided tensor of the output shape. See {@link ConvBackend#forwardInto}.
     *
     * @param input the input {@code (N, C, W)}
     * @param weight the weight {@code (K, C/groups, kW)}
     * @param bias one value per output channel {@code K}, or null for none
     * @param params stride, padding, dilation and groups
     * @param output a tensor of the output shape {@code (N, K, outW)}, overwritten
     * @return {@code output}
     */
    public static Tensor3D forwardInto(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params,
                                       Tensor3D output) {
        return SELECTING.forwardInto(input, weight, bias, params, output);
    }

    /**
     * The backward pass. See {@link ConvBackend#backward}.
     *
     * @param input the input {@code (N, C, W)}
     * @param weight the weight {@code (K, C/groups, kW)}
     * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static Conv1dGradients backward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
        return SELECTING.backward(input, weight, gradOutput, params);
    }

    /**
     * {@code dL/dx} alone. See {@link ConvBackend#inputGradient}.
     *
     * @param input the input {@code (N, C, W)} (only its shape is read)
     * @param weight the weight {@code (K, C/groups, kW)}
     * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dx}, of the input's shape
     */
    public static Tensor3D inputGradient(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
        return SELECTING.inputGradient(input, weight, gradOutput, params);
    }

    /**
     * {@code dL/dw} alone. See {@link ConvBackend#weightGradient}.
     *
     * @param input the input {@code (N, C, W)}
     * @param weight the weight {@code (K, C/groups, kW)} (only its shape is read)
     * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
     * @param params stride, padding, dilation and groups
     * @return {@code dL/dw}, of the weight's shape
     */
    public static Tensor3D weightGradient(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
        return SELECTING.weightGradient(input, weight, gradOutput, params);
    }

    /**
     * The transposed convolution (PyTorch's {@code conv_transpose1d}). See {@link ConvBackend#transposedForward}.
     *
     * @param input the input {@code (N, Cin, W)}
     * @param weight the weight {@code (Cin, Cout/groups, kW)}
     * @param bias one value per output channel {@code Cout}, or null for none
     * @param params stride, padding, output padding, dilation and groups (zero padding only)
     * @return the output {@code (N, Cout, outW)}
     */
    public static Tensor3D transposedForward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params) {
        return SELECTING.transposedForward(input, weight, bias, params);
    }

    /**
     * The gradients of {@link #transposedForward}. See {@link ConvBackend#transposedBackward}.
     *
     * @param input the input of the transposed forward pass {@code (N, Cin, W)}
     * @param weight its weight {@code (Cin, Cout/groups, kW)}
     * @param gradOutput {@code dL/dy}, of the transposed output's shape
     * @param params the parameters of the transposed forward pass
     * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
     */
    public static Conv1dGradients transposedBackward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput,
                                                     Conv1dParams params) {
        return SELECTING.transposedBackward(input, weight, gradOutput, params);
    }

    /** The 4D view of a (possibly null) argument: a null stays null for the 2D validation to name. */
    private static Tensor4D view(Tensor3D t) {
        return t == null ? null : t.asTensor4D();
    }

    private static ConvParams params(Conv1dParams p) {
        return p == null ? null : p.toConvParams();
    }

    /**
     * The 1D operations on one {@link ConvBackend}, each the backend's 2D operation on the height-1 views (see
     * {@link Conv1d}). Immutable and thread-safe as the backend is.
     */
    public static final class OnBackend {
        private final ConvBackend backend;

        private OnBackend(ConvBackend backend) {
            this.backend = backend;
        }

        /** {@return the backend that runs the calls} */
        public ConvBackend backend() {
            return backend;
        }

        /**
         * The forward pass, as {@link Conv1d#forward}.
         *
         * @param input the input {@code (N, C, W)}
         * @param weight the weight {@code (K, C/groups, kW)}
         * @param bias one value per output channel {@code K}, or null for none
         * @param params stride, padding, dilation and groups
         * @return the output {@code (N, K, outW)}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor3D forward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params) {
            return Tensor3D.view(backend.forward(view(input), view(weight), bias, params(params)));
        }

        /**
         * The forward pass into {@code output}, as {@link Conv1d#forwardInto}.
         *
         * @param input the input {@code (N, C, W)}
         * @param weight the weight {@code (K, C/groups, kW)}
         * @param bias one value per output channel {@code K}, or null for none
         * @param params stride, padding, dilation and groups
         * @param output a tensor of the output shape {@code (N, K, outW)}, overwritten
         * @return {@code output}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor3D forwardInto(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params,
                                    Tensor3D output) {
            backend.forwardInto(view(input), view(weight), bias, params(params),
                    view(output));
            return output;
        }

        /**
         * The backward pass, as {@link Conv1d#backward}.
         *
         * @param input the input {@code (N, C, W)}
         * @param weight the weight {@code (K, C/groups, kW)}
         * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
         * @param params stride, padding, dilation and groups
         * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Conv1dGradients backward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
            return Conv1dGradients.view(backend.backward(view(input), view(weight),
                    view(gradOutput), params(params)));
        }

        /**
         * {@code dL/dx} alone, as {@link Conv1d#inputGradient}.
         *
         * @param input the input {@code (N, C, W)} (only its shape is read)
         * @param weight the weight {@code (K, C/groups, kW)}
         * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
         * @param params stride, padding, dilation and groups
         * @return {@code dL/dx}, of the input's shape
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor3D inputGradient(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
            return Tensor3D.view(backend.inputGradient(view(input), view(weight),
                    view(gradOutput), params(params)));
        }

        /**
         * {@code dL/dw} alone, as {@link Conv1d#weightGradient}.
         *
         * @param input the input {@code (N, C, W)}
         * @param weight the weight {@code (K, C/groups, kW)} (only its shape is read)
         * @param gradOutput {@code dL/dy}, of the output's shape {@code (N, K, outW)}
         * @param params stride, padding, dilation and groups
         * @return {@code dL/dw}, of the weight's shape
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor3D weightGradient(Tensor3D input, Tensor3D weight, Tensor3D gradOutput, Conv1dParams params) {
            return Tensor3D.view(backend.weightGradient(view(input), view(weight),
                    view(gradOutput), params(params)));
        }

        /**
         * The transposed convolution, as {@link Conv1d#transposedForward}.
         *
         * @param input the input {@code (N, Cin, W)}
         * @param weight the weight {@code (Cin, Cout/groups, kW)}
         * @param bias one value per output channel {@code Cout}, or null for none
         * @param params stride, padding, output padding, dilation and groups (zero padding only)
         * @return the output {@code (N, Cout, outW)}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Tensor3D transposedForward(Tensor3D input, Tensor3D weight, float[] bias, Conv1dParams params) {
            return Tensor3D.view(backend.transposedForward(view(input), view(weight), bias,
                    params(params)));
        }

        /**
         * The gradients of the transposed convolution, as {@link Conv1d#transposedBackward}.
         *
         * @param input the input of the transposed forward pass {@code (N, Cin, W)}
         * @param weight its weight {@code (Cin, Cout/groups, kW)}
         * @param gradOutput {@code dL/dy}, of the transposed output's shape
         * @param params the parameters of the transposed forward pass
         * @return {@code dL/dx}, {@code dL/dw} and {@code dL/db}
         * @throws NullPointerException naming a null argument
         * @throws IllegalArgumentException naming the argument, with the expected and the actual value
         */
        public Conv1dGradients transposedBackward(Tensor3D input, Tensor3D weight, Tensor3D gradOutput,
                                                  Conv1dParams params) {
            return Conv1dGradients.view(backend.transposedBackward(view(input), view(weight),
                    view(gradOutput), params(params)));
        }

        /** The name of the backend, e.g. {@code conv1d on im2col}. */
        @Override
        public String toString() {
            return "conv1d on " + backend.name();
        }
    }
}
